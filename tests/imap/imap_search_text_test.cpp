// SEARCH over text as a person reads it: RFC 2047 encoded-words in header keys, and
// quoted-printable / base64 text parts in BODY and TEXT, against golden messages.
#include "servers/imap/imap_search_text.hpp"

#include <gtest/gtest.h>

#include "servers/imap/imap_search_eval.hpp"
#include "sim/mime.hpp"

namespace mailflow::imap {
namespace {

using Kind = SearchKey::Kind;

SearchKey key(Kind kind, std::string text, std::string field = {}) {
  SearchKey k;
  k.kind = kind;
  k.text = std::move(text);
  k.field = std::move(field);
  return k;
}

// Parses `text` and evaluates one key, as the session does for a full read.
bool search(std::string_view text, const SearchKey& k) {
  const sim::mime::Part mime = sim::mime::parse_message(text);
  SearchMessage m;
  m.seq = m.uid = m.message_count = m.max_uid = 1;
  m.text = text;
  m.mime = &mime;
  return matches(k, m);
}

constexpr std::string_view kEncodedHeaders =
    "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.test>\r\n"
    "To: =?UTF-8?B?5bGx55Sw?= <yamada@example.test>\r\n"
    "Cc: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j@example.test>\r\n"
    "Subject: =?UTF-8?Q?Caf=C3=A9_au?= =?UTF-8?Q?_lait?= and =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\r\n"
    "X-Note: =?windows-1252?Q?=93quoted=94?=\r\n"
    "\r\n"
    "Plain body.\r\n";

constexpr std::string_view kQuotedPrintable =
    "Subject: qp\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=ISO-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Sch=F6ne Gr=FC=DFe aus K=F6ln, und ein sehr langer Satz, der weich umbro=\r\n"
    "chen wurde.\r\n";

constexpr std::string_view kMultipartBase64 =
    "Subject: parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "5pel5pys6Kqe44Gu5pys5paH44Gn44GZ44CCIE1lZXRpbmcgYXQgbm9vbi4=\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "c2VjcmV0IGF0dGFjaG1lbnQ=\r\n"
    "--b1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: =?UTF-8?B?aW5uZXIgc3ViamVjdA==?=\r\n"
    "\r\n"
    "inner body\r\n"
    "--b1--\r\n";

TEST(ImapSearchDecoding, EncodedWordsDecodeToUtf8) {
  EXPECT_EQ(decode_header_value("=?ISO-8859-1?Q?caf=E9?="), "caf\xc3\xa9");
  EXPECT_EQ(decode_header_value("=?UTF-8?B?5pel5pys6Kqe?="), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(decode_header_value("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?="), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(decode_header_value("=?UTF-8*en?Q?a_b?="), "a b");  // RFC 2231 language
  // White space between adjacent words goes; around plain text it stays.
  EXPECT_EQ(decode_header_value("=?UTF-8?Q?a?= =?UTF-8?Q?b?= c =?UTF-8?Q?d?="), "ab c d");
  // One character split over two words (é is C3 A9).
  EXPECT_EQ(decode_header_value("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?="), "caf\xc3\xa9");
}

TEST(ImapSearchDecoding, MalformedEncodedWordsStayAsWritten) {
  for (std::string_view bad : {"=?", "=?UTF-8?", "=?UTF-8?X?abc?=", "=?UTF-8?Q?no end", "=??Q?x?=", "=?UTF-8?Q?a b?="}) {
    EXPECT_EQ(decode_header_value(bad), bad);
  }
  EXPECT_EQ(decode_header_value("=?x-unknown-charset?Q?abc?="), "abc");
  EXPECT_EQ(decode_header_value("=?UTF-8?B?!!!?="), "");
}

TEST(ImapSearchDecoding, TransferEncodingsAreUndone) {
  EXPECT_EQ(decode_quoted_printable("a=3Db=\r\nc=\nd =41"), "a=bcd A");
  EXPECT_EQ(decode_quoted_printable("stray = sign and =ZZ"), "stray = sign and =ZZ");
  EXPECT_EQ(decode_base64("aGVs\r\nbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(to_utf8("\xe9t\xe9", "iso-8859-1"), "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(to_utf8("ok", "utf-8"), "ok");
}

TEST(ImapSearchDecoding, HeaderKeysMatchDecodedValues) {
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::From, "Andr\xc3\xa9")));
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::From, "pirard@example")));
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::To, "\xe5\xb1\xb1\xe7\x94\xb0")));
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::Cc, "J\xc3\xbcrgen M\xc3\xbcller")));
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::Subject, "caf\xc3\xa9 AU LAIT")));
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::Subject, "\xe6\x97\xa5\xe6\x9c\xac")));
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::Header, "\xe2\x80\x9cquoted\xe2\x80\x9d", "X-Note")));
  EXPECT_TRUE(search(kEncodedHeaders, key(Kind::Subject, "=?UTF-8?Q?Caf")));  // as sent, too
  EXPECT_FALSE(search(kEncodedHeaders, key(Kind::Subject, "Andr\xc3\xa9")));
  EXPECT_FALSE(search(kEncodedHeaders, key(Kind::Bcc, "")));
}

TEST(ImapSearchDecoding, BodyMatchesQuotedPrintableText) {
  EXPECT_TRUE(search(kQuotedPrintable, key(Kind::Body, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln")));
  EXPECT_TRUE(search(kQuotedPrintable, key(Kind::Body, "UMBROCHEN")));  // soft break joined
  EXPECT_TRUE(search(kQuotedPrintable, key(Kind::Text, "sch\xc3\xb6ne")));
  EXPECT_FALSE(search(kQuotedPrintable, key(Kind::Body, "Subject: qp")));
}

TEST(ImapSearchDecoding, BodyMatchesBase64TextPartsOnly) {
  EXPECT_TRUE(search(kMultipartBase64, key(Kind::Body, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")));
  EXPECT_TRUE(search(kMultipartBase64, key(Kind::Body, "meeting AT NOON")));
  EXPECT_FALSE(search(kMultipartBase64, key(Kind::Body, "secret attachment")));  // not text
  EXPECT_TRUE(search(kMultipartBase64, key(Kind::Body, "inner body")));
  EXPECT_TRUE(search(kMultipartBase64, key(Kind::Text, "INNER subject")));  // decoded, inside
  EXPECT_FALSE(search(kMultipartBase64, key(Kind::Subject, "inner subject")));  // not the top's
}

TEST(ImapSearchDecoding, KeysSayHowMuchOfAMessageTheyRead) {
  EXPECT_EQ(content_needed(key(Kind::Unseen, "")), MessageContent::None);
  EXPECT_EQ(content_needed(key(Kind::Keyword, "$Junk")), MessageContent::None);
  EXPECT_EQ(content_needed(key(Kind::Subject, "x")), MessageContent::Header);
  SearchKey either;
  either.kind = Kind::Or;
  either.children = {key(Kind::Seen, ""), key(Kind::Body, "x")};
  EXPECT_EQ(content_needed(either), MessageContent::Full);
  SearchKey negated;
  negated.kind = Kind::Not;
  negated.children = {key(Kind::SentOn, "")};
  EXPECT_EQ(content_needed(negated), MessageContent::Header);
}

}  // namespace
}  // namespace mailflow::imap
