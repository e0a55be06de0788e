// Tests for delivery status notifications (RFC 3464 inside RFC 6522 multipart/report):
// the golden bounce for one unknown user, parsed back part by part; the delay warning;
// several recipients; hostile diagnostics (injection, very long, non-ASCII); and a
// boundary that the original headers happen to contain.
#include "servers/smtp/dsn.hpp"

#include <gtest/gtest.h>

#include "servers/smtp/message_headers.hpp"
#include "sim/clock.hpp"

namespace mailflow::smtp {
namespace {

using namespace std::chrono_literals;

const auto kArrival = sim::ManualClock::default_start();

constexpr std::string_view kOriginal =
    "From: alice@alpha.test\r\nTo: nobody@beta.test\r\nSubject: Hello\r\nMessage-ID: <m1@alpha.test>\r\n"
    "\r\nHi!\r\n";

DsnRecipient unknown_user() {
  DsnRecipient r;
  r.final_recipient = "nobody@beta.test";
  r.action = "failed";
  r.status = "5.1.1";
  r.remote_mta = "mx.beta.test";
  r.diagnostic = "550 5.1.1 <nobody@beta.test>: Recipient address rejected: User unknown";
  r.last_attempt = kArrival + 2s;
  return r;
}

DsnInput bounce_input() {
  DsnInput in;
  in.reporting_mta = "smtp.alpha.test";
  in.original_sender = "alice@alpha.test";
  in.original_message = std::string(kOriginal);
  in.queue_id = "20261201T184437Z-000001-ab12";
  in.arrival = kArrival;
  in.now = kArrival + 2s;
  in.boundary_seed = "20261201T184439Z-000002-cd34";
  in.recipients = {unknown_user()};
  return in;
}

constexpr std::string_view kGoldenBounce =
    "From: Mail Delivery System <MAILER-DAEMON@smtp.alpha.test>\r\n"
    "To: <alice@alpha.test>\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Date: Tue, 01 Dec 2026 18:44:39 +0000\r\n"
    "Message-ID: <20261201T184439Z-000002-cd34.20261201184439@smtp.alpha.test>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"20261201T184439Z-000002-cd34/smtp.alpha.test\"\r\n"
    "\r\n"
    "This is a MIME-encapsulated message.\r\n"
    "\r\n"
    "--20261201T184439Z-000002-cd34/smtp.alpha.test\r\n"
    "Content-Description: Notification\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This is the mail system at host smtp.alpha.test.\r\n"
    "\r\n"
    "I'm sorry to have to tell you that your message could not be delivered\r\n"
    "to one or more recipients. The headers of your message are attached\r\n"
    "below, so you can see which message it was.\r\n"
    "\r\n"
    "What happened, recipient by recipient:\r\n"
    "\r\n"
    "<nobody@beta.test>: the message was refused. The receiving mail server\r\n"
    "    mx.beta.test replied:\r\n"
    "    550 5.1.1 <nobody@beta.test>: Recipient address rejected: User\r\n"
    "    unknown\r\n"
    "    A reply that starts with 5 is a permanent failure: sending again\r\n"
    "    will not help until the address or the problem is fixed.\r\n"
    "\r\n"
    "--20261201T184439Z-000002-cd34/smtp.alpha.test\r\n"
    "Content-Description: Delivery report\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; smtp.alpha.test\r\n"
    "X-Mailflow-Queue-ID: 20261201T184437Z-000001-ab12\r\n"
    "X-Mailflow-Sender: rfc822; alice@alpha.test\r\n"
    "Arrival-Date: Tue, 01 Dec 2026 18:44:37 +0000\r\n"
    "\r\n"
    "Final-Recipient: rfc822; nobody@beta.test\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Remote-MTA: dns; mx.beta.test\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <nobody@beta.test>: Recipient address\r\n"
    "    rejected: User unknown\r\n"
    "Last-Attempt-Date: Tue, 01 Dec 2026 18:44:39 +0000\r\n"
    "\r\n"
    "--20261201T184439Z-000002-cd34/smtp.alpha.test\r\n"
    "Content-Description: Undelivered Message Headers\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "\r\n"
    "From: alice@alpha.test\r\n"
    "To: nobody@beta.test\r\n"
    "Subject: Hello\r\n"
    "Message-ID: <m1@alpha.test>\r\n"
    "\r\n"
    "--20261201T184439Z-000002-cd34/smtp.alpha.test--\r\n";

// A minimal RFC 2046 §5.1.1 splitter: the body parts between "--boundary" lines, each
// without the CRLF that belongs to the next delimiter.
std::vector<std::string> split_parts(const std::string& message, const std::string& boundary) {
  const std::string delimiter = "\r\n--" + boundary;
  std::vector<std::string> parts;
  std::size_t pos = message.find(delimiter);
  while (pos != std::string::npos) {
    std::size_t start = pos + delimiter.size();
    if (message.compare(start, 2, "--") == 0) return parts;  // the close delimiter
    start = message.find("\r\n", start) + 2;
    pos = message.find(delimiter, start);
    if (pos == std::string::npos) break;
    parts.push_back(message.substr(start, pos - start));
  }
  ADD_FAILURE() << "no close delimiter";
  return parts;
}

std::string part_body(const std::string& part) { return part.substr(part.find("\r\n\r\n") + 4); }

TEST(BuildDsn, GoldenBounceForOneUnknownUser) { EXPECT_EQ(build_dsn(bounce_input()), kGoldenBounce); }

TEST(BuildDsn, ParsesBackIntoThreePartsWithEveryField) {
  const DsnInput input = bounce_input();
  const std::string dsn = build_dsn(input);
  const std::string boundary = dsn_boundary(input);
  const auto content_type = header_value(dsn, "Content-Type");
  ASSERT_TRUE(content_type);
  EXPECT_EQ(*content_type, "multipart/report; report-type=delivery-status;\tboundary=\"" + boundary + "\"");
  EXPECT_EQ(header_value(dsn, "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(header_value(dsn, "To"), "<alice@alpha.test>");

  const auto parts = split_parts(dsn, boundary);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(header_value(parts[0], "Content-Type"), "text/plain; charset=us-ascii");
  EXPECT_EQ(header_value(parts[1], "Content-Type"), "message/delivery-status");
  EXPECT_EQ(header_value(parts[2], "Content-Type"), "text/rfc822-headers");

  // message/delivery-status: per-message block, then one block per recipient, each read
  // with the header functions (RFC 3464 fields share RFC 5322 syntax).
  const std::string status = part_body(parts[1]);
  const std::size_t blank = status.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos);
  const std::string per_message = status.substr(0, blank + 2) + "\r\n";
  const std::string per_recipient = status.substr(blank + 4) + "\r\n";
  EXPECT_EQ(header_value(per_message, "Reporting-MTA"), "dns; smtp.alpha.test");
  EXPECT_EQ(header_value(per_message, "Arrival-Date"), "Tue, 01 Dec 2026 18:44:37 +0000");
  EXPECT_EQ(header_value(per_recipient, "Final-Recipient"), "rfc822; nobody@beta.test");
  EXPECT_EQ(header_value(per_recipient, "Action"), "failed");
  EXPECT_EQ(header_value(per_recipient, "Status"), "5.1.1");
  EXPECT_EQ(header_value(per_recipient, "Remote-MTA"), "dns; mx.beta.test");
  // Unfolding gives back the remote server's reply word for word.
  EXPECT_EQ(header_value(per_recipient, "Diagnostic-Code"),
            "smtp; 550 5.1.1 <nobody@beta.test>: Recipient address    rejected: User unknown");
  EXPECT_EQ(header_value(per_recipient, "Last-Attempt-Date"), "Tue, 01 Dec 2026 18:44:39 +0000");

  EXPECT_EQ(part_body(parts[2]), header_section(kOriginal));
  EXPECT_NE(part_body(parts[0]).find("550 5.1.1 <nobody@beta.test>"), std::string::npos);
}

TEST(BuildDsn, DelayWarningWhenEveryRecipientIsDelayed) {
  DsnInput input = bounce_input();
  DsnRecipient r;
  r.final_recipient = "bob@beta.test";
  r.action = "delayed";
  r.remote_mta = "mx.beta.test";
  r.diagnostic = "451 4.3.0 Try again later";
  r.will_retry_until = kArrival + 5 * 24h;
  input.recipients = {r};
  const std::string dsn = build_dsn(input);
  EXPECT_EQ(header_value(dsn, "Subject"), "Delayed Mail (still being retried)");
  EXPECT_NE(dsn.find("\r\nStatus: 4.3.0\r\n"), std::string::npos);  // from the reply's enhanced code
  EXPECT_NE(dsn.find("\r\nWill-Retry-Until: Sun, 06 Dec 2026 18:44:37 +0000\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("keeps trying until Sun, 06 Dec 2026"), std::string::npos);
}

TEST(BuildDsn, MixedRecipientsAndLocalDiagnostics) {
  DsnInput input = bounce_input();
  DsnRecipient dns_failure;
  dns_failure.final_recipient = "someone@nowhere.test";
  dns_failure.action = "failed";
  dns_failure.diagnostic = "Host or domain name not found. Name service error for name=nowhere.test type=MX";
  DsnRecipient delayed;
  delayed.final_recipient = "carol@beta.test";
  delayed.action = "delayed";
  input.recipients = {unknown_user(), dns_failure, delayed};
  const std::string dsn = build_dsn(input);
  EXPECT_EQ(header_value(dsn, "Subject"), "Undelivered Mail Returned to Sender");
  EXPECT_NE(dsn.find("Diagnostic-Code: X-Mailflow; Host or domain name not found."), std::string::npos);
  EXPECT_NE(dsn.find("Final-Recipient: rfc822; someone@nowhere.test\r\nAction: failed\r\nStatus: 5.0.0\r\n"),
            std::string::npos);
  EXPECT_NE(dsn.find("Final-Recipient: rfc822; carol@beta.test\r\nAction: delayed\r\nStatus: 4.0.0\r\n"),
            std::string::npos);
  EXPECT_EQ(split_parts(dsn, dsn_boundary(input)).size(), 3u);
}

TEST(BuildDsn, HostileDiagnosticsCannotInjectLinesOrBreakLimits) {
  DsnInput input = bounce_input();
  DsnRecipient r = unknown_user();
  r.diagnostic = "550 5.1.1 bad\r\nX-Injected: yes\r\n\xe3\x81\x82 " + std::string(3000, 'z');
  r.final_recipient = "nobody@beta.test\r\nAction: delivered";
  input.recipients = {r};
  const std::string dsn = build_dsn(input);
  EXPECT_EQ(dsn.find("\r\nX-Injected"), std::string::npos);
  EXPECT_EQ(dsn.find("\r\nAction: delivered"), std::string::npos);
  EXPECT_EQ(dsn.find('\xe3'), std::string::npos);  // the generated parts are us-ascii
  std::size_t start = 0;
  while (start < dsn.size()) {
    const std::size_t end = dsn.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "the message must end with CRLF";
    EXPECT_LT(end - start, 998u);
    EXPECT_EQ(dsn.substr(start, end - start).find_first_of("\r\n"), std::string::npos) << "bare CR or LF";
    start = end + 2;
  }
}

TEST(BuildDsn, BoundaryNeverOccursInsideAPart) {
  DsnInput input = bounce_input();
  input.original_message = "X-Trap: --20261201T184439Z-000002-cd34/smtp.alpha.test\r\nSubject: hi\r\n\r\n";
  const std::string boundary = dsn_boundary(input);
  EXPECT_EQ(boundary, "20261201T184439Z-000002-cd34/smtp.alpha.test.1");
  const auto parts = split_parts(build_dsn(input), boundary);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(part_body(parts[2]), header_section(input.original_message));
}

TEST(BuildDsn, EightBitOriginalHeadersAreDeclared) {
  DsnInput input = bounce_input();
  input.original_message = "Subject: \xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\r\n\r\nbody\r\n";
  const std::string dsn = build_dsn(input);
  EXPECT_EQ(header_value(dsn, "Content-Transfer-Encoding"), "8bit");
  EXPECT_NE(dsn.find(input.original_message.substr(0, 26)), std::string::npos);  // copied as is
}

}  // namespace
}  // namespace mailflow::smtp
