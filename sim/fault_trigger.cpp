// Fault triggers: see fault_trigger.hpp.
#include "sim/fault_trigger.hpp"

#include <fmt/format.h>

#include "sim/ascii.hpp"

namespace mailflow::sim {

namespace {

std::string bare(const std::string& address) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') return address.substr(1, address.size() - 2);
  return address;
}

}  // namespace

std::string TriggerSpec::verify() const {
  std::string problems;
  auto problem = [&](const std::string& text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  if (mode == TriggerMode::FirstN && count == 0) problem("'first' needs a number of attempts of at least 1");
  if (mode == TriggerMode::EveryNth && count == 0) problem("'every' needs a period of at least 1");
  if (mode == TriggerMode::Probability && !(probability >= 0.0 && probability <= 1.0)) {
    problem(fmt::format("probability must be from 0 to 1, got {}", probability));
  }
  if (window_start && window_end && *window_end <= *window_start) problem("the window must end after it starts");
  if (rate_per_minute && *rate_per_minute == 0) problem("rate_per_minute must be at least 1");
  return problems;
}

bool address_matches(const std::string& pattern, const std::string& address) {
  if (pattern.empty()) return true;
  const std::string want = bare(pattern), have = bare(address);
  if (want.front() == '@') {
    return have.size() > want.size() && ascii_iequals(have.substr(have.size() - want.size()), want);
  }
  return ascii_iequals(want, have);
}

double seeded_draw(std::uint64_t seed, std::uint64_t n) {
  std::uint64_t z = seed + (n + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

bool Trigger::matches(const FaultAttempt& a) const {
  if (!address_matches(spec_.recipient, a.recipient) || !address_matches(spec_.sender, a.sender)) return false;
  if (!spec_.client.empty() && spec_.client != a.client) return false;
  if (spec_.window_start && a.since_start < *spec_.window_start) return false;
  if (spec_.window_end && a.since_start >= *spec_.window_end) return false;
  return true;
}

bool Trigger::fires(const FaultAttempt& attempt) {
  if (!matches(attempt)) return false;
  std::lock_guard lock(mutex_);
  const std::uint64_t n = attempts_++;  // 0-based
  if (spec_.rate_per_minute) {
    while (!recent_.empty() && attempt.since_start - recent_.front() >= std::chrono::minutes(1)) recent_.pop_front();
    recent_.push_back(attempt.since_start);
    if (recent_.size() <= *spec_.rate_per_minute) return false;
  }
  switch (spec_.mode) {
    case TriggerMode::Always:
      return true;
    case TriggerMode::FirstN:
      return n < spec_.count;
    case TriggerMode::EveryNth:
      return spec_.count > 0 && (n + 1) % spec_.count == 0;
    case TriggerMode::Probability:
      return seeded_draw(spec_.seed, n) < spec_.probability;
  }
  return false;
}

void Trigger::reset() {
  std::lock_guard lock(mutex_);
  attempts_ = 0;
  recent_.clear();
}

std::uint64_t Trigger::attempts() const {
  std::lock_guard lock(mutex_);
  return attempts_;
}

}  // namespace mailflow::sim
