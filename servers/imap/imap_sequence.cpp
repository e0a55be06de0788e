// Sequence sets: see imap_sequence.hpp.
#include "servers/imap/imap_sequence.hpp"

#include <algorithm>

namespace mailflow::imap {
namespace {

// seq-number: nz-number (no leading zero, at most 2^32-1) or "*".
std::optional<std::uint32_t> parse_number(std::string_view s) {
  if (s == "*") return SequenceSet::kStar;
  if (s.empty() || s.size() > 10 || s[0] < '1' || s[0] > '9') return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > 0xFFFFFFFFull) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::string number_text(std::uint32_t n) { return n == SequenceSet::kStar ? "*" : std::to_string(n); }

}  // namespace

std::optional<SequenceSet> SequenceSet::parse(std::string_view text) {
  std::vector<Range> ranges;
  while (true) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    auto colon = item.find(':');
    auto first = parse_number(item.substr(0, colon));
    auto last = colon == std::string_view::npos ? first : parse_number(item.substr(colon + 1));
    if (!first || !last) return std::nullopt;
    ranges.push_back(Range{*first, *last});
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return SequenceSet(std::move(ranges));
}

bool SequenceSet::contains(std::uint32_t n, std::uint32_t largest) const {
  for (const auto& r : ranges_) {
    auto a = r.first == kStar ? largest : r.first;
    auto b = r.last == kStar ? largest : r.last;
    if (n >= std::min(a, b) && n <= std::max(a, b)) return true;
  }
  return false;
}

bool SequenceSet::fits(std::uint32_t largest) const {
  return std::all_of(ranges_.begin(), ranges_.end(), [&](const Range& r) { return r.first <= largest && r.last <= largest; });
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> SequenceSet::resolve(std::uint32_t largest) const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& r : ranges_) {
    auto a = r.first == kStar ? largest : r.first;
    auto b = r.last == kStar ? largest : r.last;
    out.emplace_back(std::min(a, b), std::max(a, b));
  }
  std::sort(out.begin(), out.end());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
  for (const auto& r : out) {
    if (!merged.empty() && r.first <= merged.back().second + 1ull) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

std::string SequenceSet::format() const {
  std::string out;
  for (const auto& r : ranges_) {
    if (!out.empty()) out += ',';
    out += number_text(r.first);
    if (r.last != r.first) out += ":" + number_text(r.last);
  }
  return out;
}

std::string format_numbers(const std::vector<std::uint32_t>& sorted) {
  std::vector<SequenceSet::Range> ranges;
  for (auto n : sorted) {
    if (!ranges.empty() && n == ranges.back().last + 1ull) {
      ranges.back().last = n;
    } else {
      ranges.push_back(SequenceSet::Range{n, n});
    }
  }
  return SequenceSet(std::move(ranges)).format();
}

}  // namespace mailflow::imap
