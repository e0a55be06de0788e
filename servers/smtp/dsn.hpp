// Delivery status notifications: the bounce (or delay warning) a post office sends back to
// the sender when it cannot deliver a letter, built as
//   RFC 6522 multipart/report; report-type=delivery-status, with three parts:
//     1. text/plain, a human explanation in plain words naming each recipient and the
//        remote server's own reply;
//     2. message/delivery-status (RFC 3464 §2): per-message fields (Reporting-MTA,
//        Arrival-Date, and X-Mailflow-Queue-ID / X-Mailflow-Sender, extension fields in
//        the style of Postfix's X-Postfix-*), then one block per recipient
//        (Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code,
//        Last-Attempt-Date, Will-Retry-Until);
//     3. text/rfc822-headers (RFC 6522 §4), the original message's header section
//        (RFC 3461 §6.2 RET=HDRS behaviour, which is also Postfix's default for bounces).
// The notification is addressed to the original sender; the relay sends it with the null
// reverse path MAIL FROM:<> (RFC 5321 §4.5.5) so that a bounce can never bounce again,
// and Auto-Submitted: auto-replied (RFC 3834 §5) tells autoresponders to stay quiet.
//
// CRLF line endings throughout and every line under 998 octets: long diagnostics are
// folded (RFC 3464 fields fold like RFC 5322 headers). Text from the remote server or the
// envelope has CR, LF and control bytes replaced, and non-ASCII bytes replaced by '?'
// in the two generated parts (which declare us-ascii); the original headers are copied
// as they are, with Content-Transfer-Encoding: 8bit when they hold 8-bit bytes.
//
// Left out: RET=FULL (the whole original message), ENVID / ORCPT (RFC 3461 parameters the
// lab's SMTP does not offer yet), RFC 6533 internationalized DSNs, localized text.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mailflow::smtp {

struct DsnRecipient {
  std::string final_recipient;  // "bob@beta.test", written "rfc822; bob@beta.test"
  std::string action;           // failed | delayed | delivered | relayed | expanded (RFC 3464 §2.3.3)
  // "5.1.1" (RFC 3463). Empty: taken from the diagnostic's enhanced code, else 5.0.0 /
  // 4.0.0 / 2.0.0 by action.
  std::string status;
  std::string remote_mta;  // "mx.beta.test", written "dns; mx.beta.test"; empty: left out
  // The remote reply, "550 5.1.1 <nobody@beta.test>: Recipient address rejected: User
  // unknown", written "smtp; ..."; a text that is not an SMTP reply (a DNS failure found
  // by this MTA) is written "X-Mailflow; ...". Multi-line replies: lines joined by spaces.
  std::string diagnostic;
  std::optional<std::chrono::system_clock::time_point> last_attempt;
  // For "delayed": when this MTA will give up (RFC 3464 §2.3.9).
  std::optional<std::chrono::system_clock::time_point> will_retry_until;
};

struct DsnInput {
  std::string reporting_mta;     // "smtp.alpha.test"
  std::string original_sender;   // "alice@alpha.test"; the notification's To:
  std::string original_message;  // CRLF text; only its header section is included
  std::string queue_id;          // the original's queue id
  std::chrono::system_clock::time_point arrival, now;
  std::vector<DsnRecipient> recipients;
  // Makes the MIME boundary and Message-ID unique (the relay passes the new queue id or
  // a counter). Empty: the queue id is used.
  std::string boundary_seed;
};

// The whole notification message, ready to enqueue (headers and body, CRLF).
std::string build_dsn(const DsnInput& input);

// The boundary build_dsn uses for `input` (tests and the visualizer split on it).
std::string dsn_boundary(const DsnInput& input);

}  // namespace mailflow::smtp
