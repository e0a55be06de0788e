// RFC 3464 delivery status notifications inside RFC 6522 multipart/report (see dsn.hpp).
#include "servers/smtp/dsn.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "servers/smtp/message_headers.hpp"

namespace mailflow::smtp {
namespace {

constexpr std::size_t kTextWidth = 72;  // plain-text paragraphs, as mail clients wrap
constexpr std::string_view kIndent = "    ";

// For the two generated parts, which declare us-ascii: no control bytes (no injected
// lines) and no 8-bit bytes.
std::string ascii_safe(std::string_view text) {
  std::string out = header_safe(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// An SMTP reply starts with three digits and then a space, a hyphen or nothing
// (RFC 5321 §4.2).
bool looks_like_smtp_reply(std::string_view text) {
  return text.size() >= 3 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) &&
         (text.size() == 3 || text[3] == ' ' || text[3] == '-');
}

// The enhanced status code after the reply code, "550 5.1.1 ..." -> "5.1.1" (RFC 3463
// §2: class "." subject "." detail, subject and detail 1 to 3 digits).
std::string enhanced_code_of(std::string_view reply) {
  if (!looks_like_smtp_reply(reply) || reply.size() < 9) return {};
  std::string_view rest = reply.substr(4);
  const std::size_t end = rest.find(' ');
  const std::string_view code = rest.substr(0, end);
  if (code.size() < 5 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || code[1] != '.') return {};
  const std::size_t second_dot = code.find('.', 2);
  if (second_dot == std::string_view::npos) return {};
  const std::string_view subject = code.substr(2, second_dot - 2);
  const std::string_view detail = code.substr(second_dot + 1);
  auto valid = [](std::string_view part) {
    return !part.empty() && part.size() <= 3 && std::all_of(part.begin(), part.end(), is_digit);
  };
  return valid(subject) && valid(detail) ? std::string(code) : std::string{};
}

// RFC 3464 §2.3.3 action-value; anything else is reported as failed, the safe reading.
std::string action_of(const DsnRecipient& r) {
  std::string action = ascii_safe(r.action);
  std::transform(action.begin(), action.end(), action.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  for (std::string_view known : {"failed", "delayed", "delivered", "relayed", "expanded"}) {
    if (action == known) return action;
  }
  return "failed";
}

std::string status_of(const DsnRecipient& r, const std::string& action) {
  if (!r.status.empty()) return ascii_safe(r.status);
  if (std::string from_reply = enhanced_code_of(r.diagnostic); !from_reply.empty()) return from_reply;
  if (action == "failed") return "5.0.0";
  if (action == "delayed") return "4.0.0";
  return "2.0.0";
}

std::string diagnostic_field(std::string_view diagnostic) {
  const std::string text = ascii_safe(diagnostic);
  // RFC 3464 §2.3.6: diagnostic-type "smtp" for a reply an SMTP server gave; for what
  // this MTA found itself (DNS failures) an X- type, as Postfix writes "X-Postfix;".
  const char* type = looks_like_smtp_reply(text) ? "smtp" : "X-Mailflow";
  return fold_field(fmt::format("Diagnostic-Code: {}; {}", type, text), 78, kIndent);
}

bool all_actions_are(const DsnInput& input, std::initializer_list<std::string_view> actions) {
  return !input.recipients.empty() && std::all_of(input.recipients.begin(), input.recipients.end(), [&](const auto& r) {
    return std::find(actions.begin(), actions.end(), action_of(r)) != actions.end();
  });
}

// Part 1: what a student reads first.
std::string human_part(const DsnInput& input) {
  const std::string mta = ascii_safe(input.reporting_mta);
  std::string text = fold_field(fmt::format("This is the mail system at host {}.", mta), kTextWidth, "") + "\r\n";
  if (all_actions_are(input, {"delayed"})) {
    text += fold_field("This is a warning only: your message has not been delivered yet to the recipients "
                       "below. The mail system keeps trying, so you do not need to send it again.",
                       kTextWidth, "");
  } else if (all_actions_are(input, {"delivered", "relayed", "expanded"})) {
    text += fold_field("Your message was delivered to the recipients below, as you asked.", kTextWidth, "");
  } else {
    text += fold_field("I'm sorry to have to tell you that your message could not be delivered to one or "
                       "more recipients. The headers of your message are attached below, so you can see "
                       "which message it was.",
                       kTextWidth, "");
  }
  text += "\r\nWhat happened, recipient by recipient:\r\n";
  for (const auto& r : input.recipients) {
    text += "\r\n";
    const std::string action = action_of(r);
    const std::string who = "<" + ascii_safe(r.final_recipient) + ">";
    const std::string server = ascii_safe(r.remote_mta);
    const std::string reply = ascii_safe(r.diagnostic);
    std::string what;
    if (action == "delivered" || action == "relayed" || action == "expanded") {
      what = server.empty() ? who + ": " + action + "." : fmt::format("{}: {} to {}.", who, action, server);
    } else if (!server.empty() && reply.empty()) {
      what = fmt::format("{}: {} (at the receiving mail server {}).", who,
                         action == "delayed" ? "delivery is delayed" : "the message was refused", server);
    } else if (!server.empty()) {
      what = fmt::format("{}: {} The receiving mail server {} replied:", who,
                         action == "delayed" ? "delivery is delayed." : "the message was refused.", server);
    } else {
      what = fmt::format("{}: {} The problem found was:", who,
                         action == "delayed" ? "delivery is delayed." : "the message could not be delivered.");
    }
    text += fold_field(what, kTextWidth, kIndent);
    if (!reply.empty() && action != "delivered" && action != "relayed" && action != "expanded") {
      text += fold_field(std::string(kIndent) + reply, kTextWidth, kIndent);
      if (action == "delayed") {
        std::string until = r.will_retry_until ? " until " + rfc5322_date(*r.will_retry_until) : std::string{};
        text += fold_field(std::string(kIndent) + "A reply that starts with 4 is a temporary failure: the mail "
                               "system keeps trying" + until + ".",
                           kTextWidth, kIndent);
      } else if (looks_like_smtp_reply(reply) && reply[0] == '5') {
        text += fold_field(std::string(kIndent) + "A reply that starts with 5 is a permanent failure: sending "
                               "again will not help until the address or the problem is fixed.",
                           kTextWidth, kIndent);
      }
    }
  }
  return text;
}

// Part 2: RFC 3464 §2.2 per-message fields, then §2.3 per-recipient blocks.
std::string status_part(const DsnInput& input) {
  std::string text;
  text += fold_field("Reporting-MTA: dns; " + ascii_safe(input.reporting_mta));
  if (!input.queue_id.empty()) text += fold_field("X-Mailflow-Queue-ID: " + ascii_safe(input.queue_id));
  if (!input.original_sender.empty()) {
    text += fold_field("X-Mailflow-Sender: rfc822; " + ascii_safe(input.original_sender));
  }
  text += "Arrival-Date: " + rfc5322_date(input.arrival) + "\r\n";
  for (const auto& r : input.recipients) {
    const std::string action = action_of(r);
    text += "\r\n";
    text += fold_field("Final-Recipient: rfc822; " + ascii_safe(r.final_recipient));
    text += "Action: " + action + "\r\n";
    text += fold_field("Status: " + status_of(r, action));
    if (!r.remote_mta.empty()) text += fold_field("Remote-MTA: dns; " + ascii_safe(r.remote_mta));
    if (!r.diagnostic.empty()) text += diagnostic_field(r.diagnostic);
    if (r.last_attempt) text += "Last-Attempt-Date: " + rfc5322_date(*r.last_attempt) + "\r\n";
    if (r.will_retry_until && action == "delayed") {
      text += "Will-Retry-Until: " + rfc5322_date(*r.will_retry_until) + "\r\n";
    }
  }
  return text;
}

bool has_8bit(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

std::string boundary_seed(const DsnInput& input) {
  std::string seed;
  for (char c : input.boundary_seed.empty() ? input.queue_id : input.boundary_seed) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c);
    if (alnum || c == '-' || c == '.') seed += c;
  }
  return seed.empty() ? "mailflow" : seed;
}

// RFC 2046 §5.1.1: the boundary must not occur in any part; try suffixes until it does
// not (bchars allow '/', '.', '-' and digits, all used here).
std::string choose_boundary(const DsnInput& input, std::initializer_list<std::string_view> parts) {
  std::string mta;
  for (char c : ascii_safe(input.reporting_mta)) {
    if (c != ' ' && c != '"' && c != '\\') mta += c;
  }
  const std::string base = boundary_seed(input) + "/" + mta;
  std::string boundary = base;
  for (int n = 1;; ++n) {
    const bool clashes = std::any_of(parts.begin(), parts.end(),
                                     [&](std::string_view part) { return part.find(boundary) != std::string_view::npos; });
    if (!clashes) return boundary.substr(0, 70);  // RFC 2046: at most 70 characters
    boundary = fmt::format("{}.{}", base.substr(0, 60), n);
  }
}

}  // namespace

std::string dsn_boundary(const DsnInput& input) {
  const std::string human = human_part(input);
  const std::string status = status_part(input);
  const std::string headers = header_section(input.original_message);
  return choose_boundary(input, {human, status, headers});
}

std::string build_dsn(const DsnInput& input) {
  const std::string mta = ascii_safe(input.reporting_mta);
  const std::string human = human_part(input);
  const std::string status = status_part(input);
  const std::string original_headers = header_section(input.original_message);
  const std::string boundary = choose_boundary(input, {human, status, original_headers});
  const bool eight_bit = has_8bit(original_headers);

  std::string subject = "Undelivered Mail Returned to Sender";
  if (all_actions_are(input, {"delayed"})) subject = "Delayed Mail (still being retried)";
  if (all_actions_are(input, {"delivered", "relayed", "expanded"})) subject = "Successful Mail Delivery Report";
  // The time in the Message-ID keeps a delay warning and the later bounce of the same
  // message apart even when the caller passes no seed.
  const std::string compact_now = [&] {
    using namespace std::chrono;
    const auto secs = floor<seconds>(input.now);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count());
  }();

  std::string out;
  out += fold_field("From: Mail Delivery System <MAILER-DAEMON@" + mta + ">");
  out += fold_field("To: <" + ascii_safe(input.original_sender) + ">");
  out += "Subject: " + subject + "\r\n";
  out += "Date: " + rfc5322_date(input.now) + "\r\n";
  out += fold_field("Message-ID: " + make_message_id(mta, boundary_seed(input) + "." + compact_now));
  out += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 §5
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  out += "\tboundary=\"" + boundary + "\"\r\n";
  if (eight_bit) out += "Content-Transfer-Encoding: 8bit\r\n";  // RFC 2045 §6.4: outer too
  out += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

  out += "--" + boundary + "\r\n";
  out += "Content-Description: Notification\r\n";
  out += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  out += human;
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Description: Delivery report\r\n";
  out += "Content-Type: message/delivery-status\r\n\r\n";
  out += status;
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Description: Undelivered Message Headers\r\n";
  out += "Content-Type: text/rfc822-headers\r\n";
  if (eight_bit) out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  out += original_headers;
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace mailflow::smtp
