// LIST / LSUB patterns: "*" and "%" (RFC 3501 §6.3.8), references, INBOX in any case,
// and a hostile pattern that must stay fast.
#include <gtest/gtest.h>

#include <chrono>

#include "servers/imap/imap_list.hpp"

namespace mailflow::imap {
namespace {

TEST(ImapListPattern, MatchesStarAndPercent) {
  struct Case { const char* pattern; const char* name; bool match; };
  for (const auto& c : std::initializer_list<Case>{
           {"*", "INBOX", true}, {"*", "Archive/2026/Dec", true}, {"%", "Archive", true},
           {"%", "Archive/2026", false}, {"Archive/%", "Archive/2026", true}, {"Archive/%", "Archive/2026/Dec", false},
           {"Archive/*", "Archive/2026/Dec", true}, {"Archive*", "Archive", true}, {"A%e", "Archive", true},
           {"A%e", "Ar/chive", false}, {"inbox", "INBOX", true}, {"Inbox/*", "INBOX/sub", true},
           {"inbox", "Inbox", true}, {"Sent", "sent", false}, {"", "INBOX", false}, {"Trash", "Trash", true},
           {"*/%", "a/b", true}, {"%/%", "a", false},
       }) {
    SCOPED_TRACE(std::string(c.pattern) + " ~ " + c.name);
    EXPECT_EQ(list_pattern_matches(c.pattern, c.name, '/'), c.match);
  }
}

TEST(ImapListPattern, JoinsReferenceAndPattern) {
  EXPECT_EQ(join_list_pattern("Archive/", "/2026", '/'), "Archive/2026");
  EXPECT_EQ(join_list_pattern("Archive/", "%", '/'), "Archive/%");
  EXPECT_EQ(join_list_pattern("", "*", '/'), "*");
}

TEST(ImapListPattern, HostilePatternStaysFast) {
  std::string pattern;
  for (int i = 0; i < 2000; ++i) pattern += "*%";
  pattern += "b";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(list_pattern_matches(pattern, std::string(1000, 'a'), '/'));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace mailflow::imap
