// ENVELOPE, BODY and BODYSTRUCTURE against known-good bytes (RFC 3501's examples and a
// Dovecot-style multipart/mixed with an attachment and a nested message/rfc822), and
// BODY[section]<partial> extraction by RFC 3501 §6.4.5's rules.
#include <gtest/gtest.h>

#include <string>

#include "servers/imap/imap_address.hpp"
#include "servers/imap/imap_body.hpp"
#include "servers/imap/imap_section.hpp"
#include "sim/mime.hpp"
#include "tests/sim/mime_samples.hpp"

namespace mailflow::imap {
namespace {

using sim::mime::parse_message;

std::string envelope_of(const std::string& text) { return format_envelope(parse_message(text).fields); }

TEST(ImapEnvelope, Rfc3501Example) {
  // RFC 3501 §8's sample FETCH response, from the message it describes.
  std::string text =
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
      "From: Terry Gray <gray@cac.washington.edu>\r\n"
      "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
      "To: imap@cac.washington.edu\r\n"
      "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
      "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
      "\r\nbody\r\n";
  EXPECT_EQ(envelope_of(text),
            "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((NIL NIL \"imap\" \"cac.washington.edu\")) "
            "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
            "NIL NIL \"<B27397-0100000@cac.washington.edu>\")");
}

TEST(ImapEnvelope, GroupsEncodedWordsRoutesAndDefaults) {
  std::string text =
      "From: =?UTF-8?B?5pel5pys?= <taro@alpha.test>\r\n"
      "Sender: \"Bob \\\"B\\\" Smith\" (office) <bob@beta.test>\r\n"
      "To: undisclosed-recipients:;\r\n"
      "Cc: friends: a@x.test, \"C D\" <c@y.test>;, last@z.test\r\n"
      "Bcc: <@relay.test,@hop.test:e@f.test>, nodomain\r\n"
      "In-Reply-To: <prev@alpha.test>\r\n"
      "Subject: =?ISO-8859-1?Q?caf=E9?=\r\n"
      "\r\n";
  EXPECT_EQ(envelope_of(text),
            "(NIL \"=?ISO-8859-1?Q?caf=E9?=\" "
            "((\"=?UTF-8?B?5pel5pys?=\" NIL \"taro\" \"alpha.test\")) "
            "((\"Bob \\\"B\\\" Smith\" NIL \"bob\" \"beta.test\")) "
            "((\"=?UTF-8?B?5pel5pys?=\" NIL \"taro\" \"alpha.test\")) "
            "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
            "((NIL NIL \"friends\" NIL)(NIL NIL \"a\" \"x.test\")(\"C D\" NIL \"c\" \"y.test\")(NIL NIL NIL NIL)"
            "(NIL NIL \"last\" \"z.test\")) "
            "((NIL \"@relay.test,@hop.test\" \"e\" \"f.test\")(NIL NIL \"nodomain\" \"\")) "
            "\"<prev@alpha.test>\" NIL)");
}

TEST(ImapEnvelope, EmptyHeaderIsAllNil) {
  EXPECT_EQ(envelope_of("\r\nbody"), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  // An empty Sender is absent: it takes From's value (RFC 3501 §7.4.2).
  EXPECT_EQ(envelope_of("From: a@b.test\r\nSender:\r\n\r\n"),
            "(NIL NIL ((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"a\" \"b.test\")) "
            "NIL NIL NIL NIL NIL)");
}

TEST(ImapAddress, ParsesCommentsQuotedLocalPartsAndJunk) {
  auto list = parse_address_list("\"john doe\"@x.test (comment), <>, ,;, Name <a@[127.0.0.1]>");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], (EnvelopeAddress{std::nullopt, std::nullopt, "john doe", "x.test"}));
  EXPECT_EQ(list[1], (EnvelopeAddress{"Name", std::nullopt, "a", "[127.0.0.1]"}));
  EXPECT_TRUE(parse_address_list("").empty());
  EXPECT_EQ(parse_address_list("John Q. Public <jqp@x.test>")[0].name, "John Q. Public");
}

// A body of `lines` lines and `size` octets, the last line without CRLF (the CRLF before
// the next delimiter belongs to the delimiter).
std::string body_of(std::size_t size, std::size_t lines) {
  std::string out;
  std::size_t content = size - 2 * (lines - 1);
  for (std::size_t i = 0; i < lines; ++i) {
    std::size_t n = content / lines + (i < content % lines ? 1 : 0);
    out += std::string(n, 'x');
    if (i + 1 < lines) out += "\r\n";
  }
  return out;
}

TEST(ImapBodyStructure, Rfc3501Examples) {
  std::string single = "Subject: x\r\n\r\n" + body_of(3028, 92);
  EXPECT_EQ(format_body_structure(parse_message(single), false),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)");
  std::string multi =
      "Content-Type: MULTIPART/MIXED; BOUNDARY=\"b\"\r\n\r\n--b\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n" +
      body_of(1152, 23) +
      "\r\n--b\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n"
      "Content-ID: <960723163407.20117h@cac.washington.edu>\r\nContent-Description: Compiler diff\r\n"
      "Content-Transfer-Encoding: BASE64\r\n\r\n" +
      body_of(4554, 73) + "\r\n--b--\r\n";
  EXPECT_EQ(format_body_structure(parse_message(multi), false),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)"
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") "
            "\"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) \"MIXED\")");
}

using mailflow::testing::kNestedMessage;

TEST(ImapBodyStructure, MixedWithAttachmentAndNestedMessage) {
  auto m = parse_message(kNestedMessage);
  const std::string carol = "((\"Carol\" NIL \"carol\" \"beta.test\"))";
  const std::string inner_envelope = "(NIL \"inner\" " + carol + " " + carol + " " + carol + " NIL NIL NIL NIL NIL)";
  EXPECT_EQ(format_body_structure(m, true),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") \"<c1@alpha.test>\" NIL \"7BIT\" 5 1 NIL NIL (\"en\" \"ja\") NIL)"
            "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL \"the report\" \"BASE64\" 8 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
            "(\"ATTACHMENT\" (\"FILENAME\" \"a.pdf\")) NIL \"http://alpha.test/a.pdf\")"
            "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 178 " + inner_envelope +
            " ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 11 1 NIL NIL NIL NIL) \"ALTERNATIVE\" "
            "(\"BOUNDARY\" \"inner\") NIL NIL NIL) 12 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL)");
  EXPECT_EQ(format_body_structure(m, false),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") \"<c1@alpha.test>\" NIL \"7BIT\" 5 1)"
            "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL \"the report\" \"BASE64\" 8)"
            "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 178 " + inner_envelope +
            " ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1)"
            "(\"TEXT\" \"HTML\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 11 1) \"ALTERNATIVE\") 12) \"MIXED\")");
}

TEST(ImapBodyStructure, MultipartWithoutPartsGetsOneEmptyTextPart) {
  EXPECT_EQ(format_body_structure(parse_message("Content-Type: multipart/mixed\r\n\r\nx"), false),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0) \"MIXED\")");
}

TEST(ImapBodyStructure, LanguagesListAndEightBitValuesAsLiterals) {
  auto m = parse_message("Content-Type: text/plain; name=\"caf\xC3\xA9\"\r\nContent-Language: en, ja\r\n\r\nx");
  EXPECT_EQ(format_body_structure(m, true),
            "(\"TEXT\" \"PLAIN\" (\"NAME\" {5}\r\ncaf\xC3\xA9) NIL NIL \"7BIT\" 1 1 NIL NIL (\"en\" \"ja\") NIL)");
}

Section section(std::vector<std::uint32_t> part, Section::Text text = Section::Text::None,
                std::vector<std::string> fields = {}) {
  return Section{std::move(part), text, std::move(fields)};
}

std::optional<std::string> fetch(const std::string& text, const Section& s) {
  return section_text(parse_message(text), text, s);
}

TEST(ImapSection, ExtractsEveryKindOfSection) {
  using T = Section::Text;
  struct Case { Section s; std::optional<std::string> want; };
  const std::string inner_body = "--inner\r\n\r\nplain\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--inner--";
  for (const auto& c : std::initializer_list<Case>{
           {section({}), kNestedMessage},
           {section({}, T::Header), kNestedMessage.substr(0, kNestedMessage.find("\r\n\r\n") + 4)},
           {section({}, T::Text), kNestedMessage.substr(kNestedMessage.find("\r\n\r\n") + 4)},
           {section({}, T::HeaderFields, {"subject", "TO"}), "To: Bob <bob@beta.test>\r\nSubject: nested\r\n\r\n"},
           {section({}, T::HeaderFieldsNot, {"From", "To", "Subject", "Content-Type"}), "MIME-Version: 1.0\r\n\r\n"},
           {section({1}), "hello"},
           {section({1}, T::Mime), "Content-Type: text/plain; charset=utf-8\r\nContent-ID: <c1@alpha.test>\r\nContent-Language: en, ja\r\n\r\n"},
           {section({1}, T::Header), std::nullopt},  // not a message/rfc822 part
           {section({2}), "JVBERi0="},
           {section({3}, T::Header), "From: Carol <carol@beta.test>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"},
           {section({3}, T::Text), inner_body},
           {section({3}, T::HeaderFields, {"Subject"}), "Subject: inner\r\n\r\n"},
           {section({3}, T::Mime), "Content-Type: message/rfc822\r\n\r\n"},
           {section({3, 1}), "plain"},
           {section({3, 2}), "<p>html</p>"},
           {section({3, 2}, T::Mime), "Content-Type: text/html\r\n\r\n"},
           {section({3, 3}), std::nullopt},
           {section({4}), std::nullopt},
           {section({0}), std::nullopt},
           {section({1, 1}), std::nullopt},
       }) {
    SCOPED_TRACE(format_section(c.s));
    EXPECT_EQ(fetch(kNestedMessage, c.s), c.want);
  }
}

TEST(ImapSection, SinglePartMessageIsPartOne) {
  std::string text = "Subject: s\r\n\r\nthe body";
  EXPECT_EQ(fetch(text, section({1})), "the body");
  EXPECT_EQ(fetch(text, section({1}, Section::Text::Mime)), "Subject: s\r\n\r\n");
  EXPECT_EQ(fetch(text, section({2})), std::nullopt);
  // A message/rfc822 inside a single-part message/rfc822: 1 is the inner message, 1.1 its body.
  std::string wrapped = "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner body";
  EXPECT_EQ(fetch(wrapped, section({1})), "Subject: in\r\n\r\ninner body");
  EXPECT_EQ(fetch(wrapped, section({1}, Section::Text::Header)), "Subject: in\r\n\r\n");
  EXPECT_EQ(fetch(wrapped, section({1, 1})), "inner body");
}

TEST(ImapSection, FormatsSectionsAndAppliesPartials) {
  EXPECT_EQ(format_section(section({1, 2}, Section::Text::HeaderFields, {"from", "To"})), "1.2.HEADER.FIELDS (FROM TO)");
  EXPECT_EQ(format_section(section({}, Section::Text::HeaderFieldsNot, {"x"})), "HEADER.FIELDS.NOT (X)");
  EXPECT_EQ(format_section(section({3}, Section::Text::Mime)), "3.MIME");
  EXPECT_EQ(format_section(section({})), "");
  EXPECT_EQ(apply_partial("0123456789", Partial{2, 3}), "234");
  EXPECT_EQ(apply_partial("0123456789", Partial{8, 100}), "89");
  EXPECT_EQ(apply_partial("0123456789", Partial{10, 1}), "");
  EXPECT_EQ(apply_partial("0123456789", std::nullopt), "0123456789");
}

}  // namespace
}  // namespace mailflow::imap
