// IMAP strings on the wire (quoted, literal, NIL, atoms), modified UTF-7 mailbox names
// (RFC 3501 §5.1.3), and IMAP dates.
#include <gtest/gtest.h>

#include "servers/imap/imap_date.hpp"
#include "servers/imap/imap_string.hpp"

namespace mailflow::imap {
namespace {

TEST(ImapStrings, QuotesWhatItCanAndUsesLiteralsForTheRest) {
  EXPECT_EQ(format_string("hello"), "\"hello\"");
  EXPECT_EQ(format_string(""), "\"\"");
  EXPECT_EQ(format_string("a \"b\" \\c"), "\"a \\\"b\\\" \\\\c\"");
  EXPECT_EQ(format_string("two\r\nlines"), "{10}\r\ntwo\r\nlines");
  EXPECT_EQ(format_string("caf\xC3\xA9"), "{5}\r\ncaf\xC3\xA9");
  EXPECT_EQ(format_string(std::string(2000, 'x')).substr(0, 8), "{2000}\r\n");
  EXPECT_EQ(format_nstring(std::nullopt), "NIL");
  EXPECT_EQ(format_nstring("x"), "\"x\"");
  EXPECT_EQ(format_astring("INBOX"), "INBOX");
  EXPECT_EQ(format_astring("Sent Items"), "\"Sent Items\"");
  EXPECT_EQ(format_astring("nil"), "\"nil\"");
  EXPECT_EQ(format_astring(""), "\"\"");
}

TEST(ImapModifiedUtf7, RoundTripsRfc3501Examples) {
  struct Case { const char* utf8; const char* utf7; };
  for (const auto& c : std::initializer_list<Case>{
           {"~peter/mail/\xE5\x8F\xB0\xE5\x8C\x97/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},  // RFC 3501 §5.1.3
           {"&", "&-"},
           {"Tom & Jerry", "Tom &- Jerry"},
           {"Entw\xC3\xBCrfe", "Entw&APw-rfe"},
           {"\xF0\x9F\x93\xA7 mail", "&2D3c5w- mail"},  // a surrogate pair
           {"INBOX", "INBOX"},
           {"", ""},
       }) {
    SCOPED_TRACE(c.utf7);
    EXPECT_EQ(encode_mailbox_name(c.utf8), c.utf7);
    EXPECT_EQ(decode_mailbox_name(c.utf7), c.utf8);
  }
}

TEST(ImapModifiedUtf7, RejectsInvalidNames) {
  for (const char* bad : {"&", "&U,BTFw", "&AGE-", "&2D0-", "&3GU-", "caf\xC3\xA9", "&U,BTF-", "a\tb", "&!!-"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(decode_mailbox_name(bad).has_value());
  }
  EXPECT_FALSE(encode_mailbox_name("\xC3").has_value());
  EXPECT_FALSE(encode_mailbox_name("\xC0\xAF").has_value());  // overlong "/"
  EXPECT_FALSE(encode_mailbox_name("\xED\xA0\x80").has_value());  // a surrogate in UTF-8
}

TEST(ImapDates, ParsesSearchDates) {
  EXPECT_EQ(parse_date("1-Feb-1994"), days_from_civil(1994, 2, 1));
  EXPECT_EQ(parse_date("01-feb-1994"), days_from_civil(1994, 2, 1));
  EXPECT_EQ(parse_date("29-Feb-2024"), days_from_civil(2024, 2, 29));
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  for (const char* bad : {"29-Feb-2023", "1-Foo-1994", "1-Feb-94", "001-Feb-1994", "1 Feb 1994", "", "32-Jan-2000"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_date(bad).has_value());
  }
}

TEST(ImapDates, ParsesAndFormatsDateTimes) {
  auto when = parse_date_time("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(when.has_value());
  EXPECT_EQ(when->seconds, days_from_civil(1996, 7, 17) * 86400 + 9 * 3600 + 44 * 60 + 25);
  EXPECT_EQ(when->offset_minutes, -420);
  EXPECT_EQ(format_date_time(*when), "17-Jul-1996 02:44:25 -0700");
  auto padded = parse_date_time(" 1-Jan-2000 00:00:00 +0000");
  ASSERT_TRUE(padded.has_value());
  EXPECT_EQ(format_date_time(*padded), "01-Jan-2000 00:00:00 +0000");
  EXPECT_EQ(format_date_time(DateTime{0, 540}), "01-Jan-1970 09:00:00 +0900");
  for (const char* bad : {"17-Jul-1996 02:44:25", "17-Jul-1996 25:00:00 -0700", "17-Jul-1996 02:44:25 PDT", "x"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_date_time(bad).has_value());
  }
}

TEST(ImapDates, ReadsTheDayOfRfc5322Dates) {
  EXPECT_EQ(rfc5322_day("Tue, 01 Dec 2026 18:44:37 +0000"), days_from_civil(2026, 12, 1));
  EXPECT_EQ(rfc5322_day("1 Dec 2026 23:59:59 -1200"), days_from_civil(2026, 12, 1));  // its own zone
  EXPECT_EQ(rfc5322_day("Wed, 17 Jul 96 02:23:25 PDT"), days_from_civil(1996, 7, 17));
  EXPECT_FALSE(rfc5322_day("yesterday").has_value());
}

}  // namespace
}  // namespace mailflow::imap
