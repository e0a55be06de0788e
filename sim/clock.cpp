// The lab clocks and the retry schedule (see clock.hpp).
#include "sim/clock.hpp"

#include <limits>

#include <cmath>
#include <stdexcept>

namespace mailflow::sim {

using std::chrono::system_clock;

Clock::~Clock() = default;

system_clock::time_point SystemClock::now() const { return system_clock::now(); }

ScaledClock::ScaledClock(double scale, system_clock::time_point lab_start)
    : scale_(scale), lab_start_(lab_start), real_start_(std::chrono::steady_clock::now()) {
  // Written as a negation so NaN is refused too.
  if (!(scale > 0.0 && scale <= kMaxScale)) throw std::invalid_argument("clock scale must be in (0, 100000]");
}

system_clock::time_point ScaledClock::now() const {
  const auto real = std::chrono::steady_clock::now() - real_start_;
  const auto lab = std::chrono::duration<double, std::nano>(real) * scale_;
  return lab_start_ + std::chrono::duration_cast<system_clock::duration>(lab) +
         std::chrono::duration_cast<system_clock::duration>(std::chrono::nanoseconds(advanced_ns_.load()));
}

void ScaledClock::advance(std::chrono::nanoseconds by) {
  if (by.count() > 0) advanced_ns_.fetch_add(by.count());
}

std::chrono::nanoseconds ScaledClock::real_duration(std::chrono::nanoseconds lab) const {
  // A slow lab (scale < 1) stretches durations: clamp to what 64-bit nanoseconds hold
  // (about 292 years) instead of overflowing in the conversion.
  const double real = static_cast<double>(lab.count()) / scale_;
  constexpr double kMax = static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2);
  if (real >= kMax) return std::chrono::nanoseconds(static_cast<std::int64_t>(kMax));
  if (real <= -kMax) return std::chrono::nanoseconds(-static_cast<std::int64_t>(kMax));
  return std::chrono::nanoseconds(static_cast<std::int64_t>(real));
}

system_clock::time_point ManualClock::default_start() {
  using namespace std::chrono;
  return sys_days{year{2026} / December / 1} + hours{18} + minutes{44} + seconds{37};
}

ManualClock::ManualClock(system_clock::time_point start) : now_(start) {}

system_clock::time_point ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void ManualClock::advance(system_clock::duration d) {
  std::lock_guard lock(mutex_);
  now_ += d;
}

void ManualClock::set(system_clock::time_point t) {
  std::lock_guard lock(mutex_);
  now_ = t;
}

system_clock::time_point RetryPolicy::next_attempt(system_clock::time_point arrival, int attempts_so_far,
                                                   system_clock::time_point now) const {
  if (attempts_so_far <= 0) return now;
  // In double seconds first, so a large attempt count cannot overflow the exponent into
  // an integer duration; anything past the cap (or not finite) is the cap.
  const double cap = static_cast<double>(max_interval.count());
  double wait = static_cast<double>(first_retry.count()) * std::pow(backoff, attempts_so_far - 1);
  if (!std::isfinite(wait) || wait > cap) wait = cap;
  const auto next = now + std::chrono::seconds(static_cast<std::int64_t>(wait));
  const auto deadline = arrival + lifetime;
  if (next < deadline) return next;
  // Past the deadline the answer is `now`; the caller asks expired() and bounces.
  return now < deadline ? deadline : now;
}

bool RetryPolicy::expired(system_clock::time_point arrival, system_clock::time_point now) const {
  return now >= arrival + lifetime;
}

std::string RetryPolicy::verify() const {
  if (first_retry.count() <= 0) return "first_retry must be positive";
  if (!(backoff >= 1.0 && std::isfinite(backoff))) return "backoff must be a finite number >= 1";
  if (max_interval < first_retry) return "max_interval must be at least first_retry";
  if (lifetime.count() <= 0) return "lifetime must be positive";
  return {};
}

}  // namespace mailflow::sim
