// IMAP sequence sets: "1:*", "*:4", "1,3:5,7", for message sequence numbers and UIDs.
//
// RFC 3501 §9: sequence-set = (seq-number / seq-range) *("," ...); seq-number =
// nz-number / "*"; seq-range = seq-number ":" seq-number, either order ("*:4" is "4:*");
// "*" is the largest number in use (the message count, or the highest UID). §6.4.8: UID
// sets may name UIDs that do not exist (ignored); sequence numbers past the count are a
// BAD, which the session checks with fits().
// Never expands a range into numbers: "1:4294967295" costs one range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailflow::imap {

class SequenceSet {
 public:
  static constexpr std::uint32_t kStar = 0;  // "*": nz-number is never 0

  struct Range {
    std::uint32_t first = 0, last = 0;  // as written; kStar for "*"
    bool operator==(const Range&) const = default;
  };

  // nullopt unless the whole text is a sequence-set.
  static std::optional<SequenceSet> parse(std::string_view text);
  static SequenceSet single(std::uint32_t n) { return SequenceSet({Range{n, n}}); }

  SequenceSet() = default;
  explicit SequenceSet(std::vector<Range> ranges) : ranges_(std::move(ranges)) {}

  // `n` is in the set, with "*" meaning `largest`.
  bool contains(std::uint32_t n, std::uint32_t largest) const;
  // Every number written (not "*") is at most `largest`: a sequence-number set is valid.
  bool fits(std::uint32_t largest) const;
  // The set as sorted, merged, inclusive [low, high] ranges, "*" replaced by `largest`.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> resolve(std::uint32_t largest) const;

  const std::vector<Range>& ranges() const { return ranges_; }
  // "1:3,5,7:*", as it would be written.
  std::string format() const;
  bool operator==(const SequenceSet&) const = default;

 private:
  std::vector<Range> ranges_;
};

// Sorted numbers as the shortest sequence set ("1:3,5"): UIDPLUS's COPYUID and APPENDUID.
std::string format_numbers(const std::vector<std::uint32_t>& sorted);

}  // namespace mailflow::imap
