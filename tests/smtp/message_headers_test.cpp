// Tests for header rewriting at SMTP hops: the Received: trace field (RFC 5321 §4.4) with
// and without TLS and AUTH, lookups over folded and odd messages, submission's Date and
// Message-ID (RFC 6409 §8), delivery's Return-Path and Delivered-To, folding, and that
// envelope values can never inject a header field.
#include "servers/smtp/message_headers.hpp"

#include <gtest/gtest.h>

#include "sim/clock.hpp"

namespace mailflow::smtp {
namespace {

const auto kWhen = sim::ManualClock::default_start();  // Tue, 01 Dec 2026 18:44:37 +0000

constexpr std::string_view kMessage =
    "From: Alice <alice@alpha.test>\r\n"
    "To: bob@beta.test\r\n"
    "Subject: A long subject\r\n"
    "\tthat is folded\r\n"
    "\r\n"
    "Hi Bob!\r\n";

ReceivedInfo submission_hop() {
  ReceivedInfo info;
  info.helo = "smtp.alpha.test";
  info.client_host = "smtp.alpha.test";
  info.client_address = "127.10.1.1";
  info.by_host = "mx.beta.test";
  info.protocol = "ESMTPSA";
  info.tls = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)";
  info.authenticated_sender = "alice@alpha.test";
  info.id = "20261201T184437Z-000001-ab12";
  info.for_recipient = "bob@beta.test";
  info.when = kWhen;
  return info;
}

TEST(Rfc5322Date, FormatsUtcWithWeekday) {
  EXPECT_EQ(rfc5322_date(kWhen), "Tue, 01 Dec 2026 18:44:37 +0000");
  EXPECT_EQ(rfc5322_date(std::chrono::system_clock::time_point{}), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(ReceivedHeader, NotesTlsAndAuthenticatedSender) {
  EXPECT_EQ(received_header(submission_hop()),
            "Received: from smtp.alpha.test (smtp.alpha.test [127.10.1.1])\r\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
            "\t(Authenticated sender: alice@alpha.test)\r\n"
            "\tby mx.beta.test (mailflow) with ESMTPSA id 20261201T184437Z-000001-ab12\r\n"
            "\tfor <bob@beta.test>; Tue, 01 Dec 2026 18:44:37 +0000\r\n");
}

TEST(ReceivedHeader, PlainHopWithoutTlsAuthOrRecipient) {
  ReceivedInfo info;
  info.helo = "client.example";
  info.client_address = "127.0.0.1";
  info.by_host = "mx.beta.test";
  info.protocol = "ESMTP";
  info.id = "Q1";
  info.when = kWhen;
  EXPECT_EQ(received_header(info),
            "Received: from client.example (unknown [127.0.0.1])\r\n"
            "\tby mx.beta.test (mailflow) with ESMTP id Q1; Tue, 01 Dec 2026 18:44:37 +0000\r\n");
}

TEST(ReceivedHeader, DateGetsItsOwnLineWhenTheByClauseIsLong) {
  ReceivedInfo info = submission_hop();
  info.tls.clear();
  info.authenticated_sender.clear();
  info.for_recipient.clear();
  info.protocol = "ESMTP";
  EXPECT_EQ(received_header(info),
            "Received: from smtp.alpha.test (smtp.alpha.test [127.10.1.1])\r\n"
            "\tby mx.beta.test (mailflow) with ESMTP id 20261201T184437Z-000001-ab12;\r\n"
            "\tTue, 01 Dec 2026 18:44:37 +0000\r\n");
}

TEST(ReceivedHeader, EveryLineStaysUnder78Octets) {
  ReceivedInfo info = submission_hop();
  info.helo = "a-very-long-helo-name.with.many.labels.that.goes.on.example";
  info.client_host = "and-a-long-reverse-name.somewhere.example";
  const std::string header = received_header(info);
  std::size_t start = 0;
  while (start < header.size()) {
    const std::size_t end = header.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 78u) << header.substr(start, end - start);
    start = end + 2;
  }
}

TEST(ReceivedHeader, InjectionThroughEnvelopeValuesIsNeutralised) {
  ReceivedInfo info = submission_hop();
  info.helo = "evil\r\nX-Injected: yes";
  info.for_recipient = "bob@beta.test>\r\nBcc: <mallory@evil.test";
  info.authenticated_sender = "alice\nX-Also: no";
  const std::string message = prepend_header(kMessage, received_header(info));
  EXPECT_FALSE(has_header(message, "X-Injected"));
  EXPECT_FALSE(has_header(message, "Bcc"));
  EXPECT_FALSE(has_header(message, "X-Also"));
  EXPECT_EQ(header_lines(message).size(), 4u);  // Received + the three original fields
  EXPECT_NE(message.find("from evil  X-Injected: yes ("), std::string::npos);
}

TEST(HeaderValue, FindsFirstOccurrenceCaseInsensitivelyAndUnfolds) {
  EXPECT_EQ(header_value(kMessage, "subject"), "A long subject\tthat is folded");
  EXPECT_EQ(header_value(kMessage, "FROM"), "Alice <alice@alpha.test>");
  EXPECT_EQ(header_value("X: 1\r\nX: 2\r\n\r\n", "x"), "1");
  EXPECT_EQ(header_value(kMessage, "Date"), std::nullopt);
  EXPECT_FALSE(has_header(kMessage, "Hi Bob!"));  // the body is not searched
  EXPECT_EQ(header_value("Empty:\r\n\r\n", "Empty"), "");
}

TEST(HeaderLines, KeepsFieldsRawWithTheirContinuations) {
  const auto lines = header_lines(kMessage);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "Subject: A long subject\r\n\tthat is folded");
  EXPECT_EQ(header_section(kMessage),
            "From: Alice <alice@alpha.test>\r\nTo: bob@beta.test\r\nSubject: A long subject\r\n\tthat is folded\r\n");
}

TEST(HeaderLines, MessageWithoutBodyOrSeparator) {
  EXPECT_EQ(header_lines("Subject: only headers\r\nTo: bob@beta.test\r\n"),
            (std::vector<std::string>{"Subject: only headers", "To: bob@beta.test"}));
  EXPECT_EQ(header_lines("Subject: no final CRLF"), (std::vector<std::string>{"Subject: no final CRLF"}));
  // No empty line, then body text: the first line that is not a field starts the body.
  EXPECT_EQ(header_lines("Subject: hi\r\nthis is the body\r\n"), (std::vector<std::string>{"Subject: hi"}));
  EXPECT_TRUE(header_lines("\r\nbody only\r\n").empty());
  EXPECT_TRUE(header_lines("").empty());
}

TEST(PrependHeader, AddsAMissingCrlf) {
  EXPECT_EQ(prepend_header("To: b\r\n\r\nx", "X-A: 1"), "X-A: 1\r\nTo: b\r\n\r\nx");
  EXPECT_EQ(prepend_header("To: b\r\n\r\nx", "X-A: 1\r\n"), "X-A: 1\r\nTo: b\r\n\r\nx");
}

TEST(MakeMessageId, BuildsAValidMsgId) {
  EXPECT_EQ(make_message_id("smtp.alpha.test", "20261201T184437Z-000001-ab12"),
            "<20261201T184437Z-000001-ab12@smtp.alpha.test>");
  EXPECT_EQ(make_message_id("smtp.alpha.test", "a b>\r\nc"), "<a-b---c@smtp.alpha.test>");
}

TEST(AddSubmissionHeaders, AddsMessageIdAndDateWhenMissing) {
  EXPECT_EQ(add_submission_headers("Subject: hi\r\n\r\nbody\r\n", "smtp.alpha.test", "Q1", kWhen),
            "Subject: hi\r\n"
            "Message-ID: <Q1@smtp.alpha.test>\r\n"
            "Date: Tue, 01 Dec 2026 18:44:37 +0000\r\n"
            "\r\n"
            "body\r\n");
}

TEST(AddSubmissionHeaders, KeepsExistingOnesWhateverTheirCase) {
  const std::string message = "message-id: <mine@alice>\r\nDATE: Mon, 30 Nov 2026 09:00:00 +0900\r\n\r\nbody\r\n";
  EXPECT_EQ(add_submission_headers(message, "smtp.alpha.test", "Q1", kWhen), message);
  EXPECT_EQ(add_submission_headers("date: x\r\n\r\n", "h", "Q1", kWhen), "date: x\r\nMessage-ID: <Q1@h>\r\n\r\n");
}

TEST(AddSubmissionHeaders, HandlesMessagesWithoutBodyOrSeparator) {
  EXPECT_EQ(add_submission_headers("Subject: hi", "h", "Q1", kWhen),
            "Subject: hi\r\nMessage-ID: <Q1@h>\r\nDate: Tue, 01 Dec 2026 18:44:37 +0000\r\n");
  // The missing empty line is put back before the body.
  EXPECT_EQ(add_submission_headers("Subject: hi\r\nbody text\r\n", "h", "Q1", kWhen),
            "Subject: hi\r\nMessage-ID: <Q1@h>\r\nDate: Tue, 01 Dec 2026 18:44:37 +0000\r\n\r\nbody text\r\n");
  EXPECT_EQ(add_submission_headers("", "h", "Q1", kWhen),
            "Message-ID: <Q1@h>\r\nDate: Tue, 01 Dec 2026 18:44:37 +0000\r\n");
}

TEST(AddDeliveryHeaders, PrependsReturnPathAndDeliveredTo) {
  EXPECT_EQ(add_delivery_headers("Subject: hi\r\n\r\nbody\r\n", "alice@alpha.test", "bob@beta.test"),
            "Return-Path: <alice@alpha.test>\r\nDelivered-To: bob@beta.test\r\nSubject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(add_delivery_headers("Subject: bounce\r\n\r\n", "", "alice@alpha.test"),
            "Return-Path: <>\r\nDelivered-To: alice@alpha.test\r\nSubject: bounce\r\n\r\n");
}

TEST(AddDeliveryHeaders, ReplacesEveryExistingReturnPath) {
  const std::string message =
      "Return-Path: <forged@evil.test>\r\nSubject: hi\r\nreturn-path:\r\n <second@evil.test>\r\n\r\n"
      "Return-Path: <in-the-body-stays@x>\r\n";
  EXPECT_EQ(add_delivery_headers(message, "alice@alpha.test", "bob@beta.test"),
            "Return-Path: <alice@alpha.test>\r\nDelivered-To: bob@beta.test\r\nSubject: hi\r\n\r\n"
            "Return-Path: <in-the-body-stays@x>\r\n");
}

TEST(AddDeliveryHeaders, InjectionThroughTheReversePathIsNeutralised) {
  const std::string out = add_delivery_headers("Subject: hi\r\n\r\n", "a@b>\r\nBcc: <x@y", "bob@beta.test\nX-Evil: 1");
  EXPECT_FALSE(has_header(out, "Bcc"));
  EXPECT_FALSE(has_header(out, "X-Evil"));
  EXPECT_EQ(header_value(out, "Return-Path"), "<a@b>  Bcc: <x@y>");
}

TEST(HeaderSafe, ReplacesControlBytesButKeepsTab) {
  EXPECT_EQ(header_safe(std::string_view("a\r\nb\0c\x7f" "d\te", 10)), "a  b c d\te");
}

TEST(FoldField, BreaksAtWhiteSpaceUnderTheLimit) {
  EXPECT_EQ(fold_field("Short: field"), "Short: field\r\n");
  EXPECT_EQ(fold_field("Diagnostic-Code: smtp; 550 5.1.1 <nobody@beta.test>: Recipient address rejected: User unknown",
                       78, "    "),
            "Diagnostic-Code: smtp; 550 5.1.1 <nobody@beta.test>: Recipient address\r\n"
            "    rejected: User unknown\r\n");
}

TEST(FoldField, NeverWritesALineOf998Octets) {
  const std::string folded = fold_field("X-Long: " + std::string(5000, 'a'));
  std::size_t start = 0;
  while (start < folded.size()) {
    const std::size_t end = folded.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LT(end - start, 998u);
    start = end + 2;
  }
  // A token a little over 78 octets stays whole (folding inside it would change it); the
  // only place to fold is the white space before it.
  const std::string token(100, 'b');
  EXPECT_EQ(fold_field("X: " + token), "X:\r\n\t" + token + "\r\n");
  EXPECT_EQ(fold_field("X-Token:" + token), "X-Token:" + token + "\r\n");
}

}  // namespace
}  // namespace mailflow::smtp
