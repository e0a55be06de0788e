// SEARCH: every RFC 3501 key parsed and evaluated against one message description,
// CHARSET handling, OR / NOT / groups, and the linear case-insensitive substring search.
#include <gtest/gtest.h>

#include <chrono>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_command.hpp"
#include "servers/imap/imap_date.hpp"
#include "servers/imap/imap_search_eval.hpp"

namespace mailflow::imap {
namespace {

const std::string kMessage =
    "Date: Tue, 01 Dec 2026 18:44:37 +0000\r\n"
    "From: Alice Liddell <alice@alpha.test>\r\n"
    "To: Bob <bob@beta.test>\r\n"
    "Cc: carol@beta.test\r\n"
    "Bcc: dave@gamma.test\r\n"
    "Subject: Lunch on\r\n"
    " Friday?\r\n"
    "X-Priority: 1\r\n"
    "\r\n"
    "Shall we meet at the Caf\xC3\xA9 at noon?\r\n";

class ImapSearch : public ::testing::Test {
 protected:
  ImapSearch() : mime_(sim::mime::parse_message(kMessage)) {
    message_.seq = 3;
    message_.uid = 103;
    message_.message_count = 5;
    message_.max_uid = 105;
    message_.flags = {"\\Seen", "\\Flagged", "$Work"};
    message_.recent = true;
    message_.size = kMessage.size();
    message_.internal_day = days_from_civil(2026, 12, 2);
    message_.text = kMessage;
    message_.mime = &mime_;
  }

  // True / false for a match; fails the test when the criteria do not parse.
  bool search(std::string_view criteria) {
    ImapLimits limits;
    auto parsed = parse_command("a SEARCH " + std::string(criteria), limits);
    EXPECT_TRUE(parsed.command.has_value()) << criteria << ": " << parsed.error;
    if (!parsed.command) return false;
    return matches(std::get<SearchCriteria>(parsed.command->args).key, message_);
  }

  sim::mime::Part mime_;
  SearchMessage message_;
};

TEST_F(ImapSearch, EveryKey) {
  struct Case { const char* criteria; bool match; };
  for (const auto& c : std::initializer_list<Case>{
           {"ALL", true},
           {"ANSWERED", false}, {"UNANSWERED", true},
           {"DELETED", false}, {"UNDELETED", true},
           {"DRAFT", false}, {"UNDRAFT", true},
           {"FLAGGED", true}, {"UNFLAGGED", false},
           {"SEEN", true}, {"UNSEEN", false},
           {"KEYWORD $work", true}, {"KEYWORD $Home", false},
           {"UNKEYWORD $Home", true}, {"UNKEYWORD $WORK", false},
           {"RECENT", true}, {"NEW", false}, {"OLD", false},
           {"BCC dave", true}, {"BCC bob", false},
           {"CC CAROL@", true}, {"CC alice", false},
           {"FROM \"alice liddell\"", true}, {"FROM bob", false},
           {"TO bob@beta.test", true}, {"TO alice", false},
           {"SUBJECT \"on Friday\"", true}, {"SUBJECT dinner", false},  // unfolded
           {"HEADER X-Priority 1", true}, {"HEADER x-priority \"\"", true}, {"HEADER X-Missing \"\"", false},
           {"BODY noon", true}, {"BODY Lunch", false},  // BODY is the body only
           {"TEXT lunch", true}, {"TEXT NOON", true}, {"TEXT supper", false},
           {"LARGER 10", true}, {"LARGER 100000", false},
           {"SMALLER 100000", true}, {"SMALLER 10", false},
           {"BEFORE 3-Dec-2026", true}, {"BEFORE 2-Dec-2026", false},
           {"ON 2-Dec-2026", true}, {"ON \"1-Dec-2026\"", false},
           {"SINCE 2-Dec-2026", true}, {"SINCE 3-Dec-2026", false},
           {"SENTBEFORE 2-Dec-2026", true}, {"SENTBEFORE 1-Dec-2026", false},
           {"SENTON 1-Dec-2026", true}, {"SENTON 2-Dec-2026", false},
           {"SENTSINCE 1-Dec-2026", true}, {"SENTSINCE 2-Dec-2026", false},
           {"UID 103", true}, {"UID 1:102,104:*", false}, {"UID *", false}, {"UID 100:*", true},
           {"3", true}, {"1:2,4:*", false}, {"*:3", true}, {"*", false},
           {"NOT SEEN", false}, {"NOT NOT SEEN", true},
           {"OR ANSWERED SEEN", true}, {"OR ANSWERED DELETED", false},
           {"(SEEN FLAGGED)", true}, {"(SEEN DELETED)", false},
           {"SEEN FLAGGED KEYWORD $Work", true}, {"SEEN FLAGGED DELETED", false},
           {"OR (DELETED SEEN) (FROM alice NOT TO carol)", true},
           {"CHARSET UTF-8 TEXT \"caf\xC3\xA9\"", true},
           {"CHARSET us-ascii ALL", true},
           {"CHARSET UTF-8 BODY {5}\r\nCAF\xC3\xA9", true},  // ASCII folding only, é stays é
       }) {
    SCOPED_TRACE(c.criteria);
    EXPECT_EQ(search(c.criteria), c.match);
  }
}

TEST_F(ImapSearch, NewAndOldFollowRecentAndSeen) {
  message_.flags = {};
  EXPECT_TRUE(search("NEW"));
  message_.recent = false;
  EXPECT_FALSE(search("NEW"));
  EXPECT_TRUE(search("OLD"));
}

TEST_F(ImapSearch, WithoutADateFieldSentKeysNeverMatch) {
  auto text = std::string("Subject: x\r\n\r\nbody");
  auto mime = sim::mime::parse_message(text);
  message_.text = text;
  message_.mime = &mime;
  EXPECT_FALSE(search("SENTSINCE 1-Jan-1970"));
  EXPECT_FALSE(search("SENTBEFORE 1-Jan-3000"));
}

TEST(ImapSearchParser, ParsesCharsetAndTree) {
  ImapLimits limits;
  auto parsed = parse_command("a UID SEARCH CHARSET UTF-8 OR 1:3 HEADER Received \"x\" NOT LARGER 99", limits);
  ASSERT_TRUE(parsed.command.has_value()) << parsed.error;
  EXPECT_TRUE(parsed.command->uid);
  const auto& criteria = std::get<SearchCriteria>(parsed.command->args);
  EXPECT_EQ(criteria.charset, "UTF-8");
  ASSERT_EQ(criteria.key.children.size(), 2u);
  const auto& or_key = criteria.key.children[0];
  EXPECT_EQ(or_key.kind, SearchKey::Kind::Or);
  EXPECT_EQ(or_key.children[0].kind, SearchKey::Kind::SequenceNumbers);
  EXPECT_EQ(or_key.children[0].set.format(), "1:3");
  EXPECT_EQ(or_key.children[1].field, "Received");
  EXPECT_EQ(criteria.key.children[1].children[0].size, 99u);
}

TEST(ImapSearchParser, RefusesUnknownCharsetsWithBadCharset) {
  ImapLimits limits;
  auto parsed = parse_command("a SEARCH CHARSET KOI8-R TEXT x", limits);
  EXPECT_FALSE(parsed.command.has_value());
  EXPECT_EQ(parsed.code, &codes::BadCharset);
  EXPECT_EQ(parsed.error, "Unsupported charset");
}

TEST(ImapSearchParser, RejectsMalformedCriteria) {
  ImapLimits limits;
  for (const char* bad : {"a SEARCH FROB", "a SEARCH BEFORE 32-Jan-2026", "a SEARCH OR SEEN", "a SEARCH NOT",
                          "a SEARCH (SEEN", "a SEARCH ()", "a SEARCH LARGER x", "a SEARCH UID 0", "a SEARCH HEADER x",
                          "a SEARCH SEEN  FLAGGED", "a SEARCH KEYWORD \\Seen"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_command(bad, limits).command.has_value());
  }
}

TEST(ImapSubstring, IsCaseInsensitiveAndLinear) {
  EXPECT_TRUE(contains_ignoring_case("Hello World", "o wOR"));
  EXPECT_TRUE(contains_ignoring_case("abc", ""));
  EXPECT_FALSE(contains_ignoring_case("ab", "abc"));
  EXPECT_TRUE(contains_ignoring_case("aaaaab", "aab"));
  EXPECT_TRUE(contains_ignoring_case("abababcab", "ababc"));
  // The worst case for naive search: a long run and a pattern that almost matches.
  std::string hay(4'000'000, 'a');
  std::string needle = std::string(60'000, 'a') + "b";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(contains_ignoring_case(hay, needle));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace mailflow::imap
