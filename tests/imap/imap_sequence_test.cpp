// Sequence sets: parsing, "*" against the largest number, reversed ranges, merging and
// formatting, and the UIDPLUS shortest form.
#include <gtest/gtest.h>

#include "servers/imap/imap_sequence.hpp"

namespace mailflow::imap {
namespace {

using Ranges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

TEST(ImapSequenceSet, ParsesAndResolves) {
  struct Case { const char* text; std::uint32_t largest; Ranges want; };
  for (const auto& c : std::initializer_list<Case>{
           {"1:*", 10, {{1, 10}}},
           {"*:4", 10, {{4, 10}}},
           {"*:4", 3, {{3, 4}}},
           {"*", 7, {{7, 7}}},
           {"1,3:5,7", 10, {{1, 1}, {3, 5}, {7, 7}}},
           {"7,1,2,3,5:4", 10, {{1, 5}, {7, 7}}},
           {"4294967295", 1, {{4294967295u, 4294967295u}}},
           {"5:2", 10, {{2, 5}}},
       }) {
    SCOPED_TRACE(c.text);
    auto set = SequenceSet::parse(c.text);
    ASSERT_TRUE(set.has_value());
    EXPECT_EQ(set->resolve(c.largest), c.want);
    EXPECT_EQ(set->format(), c.text);
  }
}

TEST(ImapSequenceSet, RejectsWhatIsNotASequenceSet) {
  for (const char* text : {"", "0", "01", "1:", ":1", "1,", ",1", "1:2:3", "a", "4294967296", "1 2", "*:*:*", "-1"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(SequenceSet::parse(text).has_value());
  }
}

TEST(ImapSequenceSet, ContainsAndFits) {
  auto set = *SequenceSet::parse("2,4:*");
  EXPECT_FALSE(set.contains(1, 10));
  EXPECT_TRUE(set.contains(2, 10));
  EXPECT_FALSE(set.contains(3, 10));
  EXPECT_TRUE(set.contains(10, 10));
  EXPECT_FALSE(set.contains(11, 10));
  EXPECT_TRUE(set.fits(4));
  EXPECT_FALSE(set.fits(3));  // sequence number 4 does not exist in a 3-message mailbox
  auto huge = *SequenceSet::parse("1:4294967295");
  EXPECT_TRUE(huge.contains(123456789, 1));
  EXPECT_EQ(huge.resolve(5), (Ranges{{1, 4294967295u}}));
}

TEST(ImapSequenceSet, FormatsNumbersCompactly) {
  EXPECT_EQ(format_numbers({1, 2, 3, 5, 7, 8}), "1:3,5,7:8");
  EXPECT_EQ(format_numbers({42}), "42");
  EXPECT_EQ(format_numbers({}), "");
  EXPECT_EQ(SequenceSet::single(9).format(), "9");
}

}  // namespace
}  // namespace mailflow::imap
