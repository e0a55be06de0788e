// The faults' SMTP replies: see smtp_faults.hpp.
#include "servers/smtp/smtp_faults.hpp"

#include <fmt/format.h>

#include "servers/smtp/smtp_codes.hpp"

namespace mailflow::smtp {

using sim::FaultKind;

bool permanent_service_refusal(const sim::FaultHit& hit) {
  return hit.kind == FaultKind::ServiceUnavailable && hit.params.value == "554";
}

std::optional<SmtpReply> fault_reply(const sim::FaultHit& hit, std::string_view host_name, std::string_view subject) {
  switch (hit.kind) {
    case FaultKind::ServiceUnavailable:
      if (permanent_service_refusal(hit)) return make_reply(replies::NoSmtpService, fmt::format("{} No SMTP service here", host_name));
      return make_reply(replies::ServiceUnavailable,
                        fmt::format("{} Service not available, closing transmission channel", host_name));
    case FaultKind::Greylisting:
      // postgrey's wording: the recipient is named, and "try again later" is the whole point.
      return make_reply(replies::Greylisted, fmt::format("<{}>: Recipient address rejected: Greylisted, try again later", subject));
    case FaultKind::UnknownUser:
      return make_reply(replies::UserUnknown, fmt::format("<{}>: Recipient address rejected: User unknown", subject));
    case FaultKind::UserNotLocal:
      // RFC 5321 §3.4: the reply names the forward path the client may try instead.
      if (hit.params.value.empty()) return make_reply(replies::UserNotLocal, fmt::format("<{}>: User not local", subject));
      return make_reply(replies::UserNotLocal, fmt::format("<{}>: User not local; please try <{}>", subject, hit.params.value));
    case FaultKind::MailboxFull:
      return make_reply(replies::MailboxFull, fmt::format("<{}>: Recipient address rejected: Mailbox full", subject));
    case FaultKind::MailboxFullTemporary:
      return make_reply(replies::MailboxFullTemp, fmt::format("<{}>: Recipient address rejected: Mailbox full, try again later", subject));
    case FaultKind::RelayDenied:
      return make_reply(replies::RelayDenied, fmt::format("<{}>: Relay access denied", subject));
    case FaultKind::BadSender:
      return make_reply(replies::BadSenderDomain, fmt::format("<{}>: Sender address rejected: Domain not found", subject));
    case FaultKind::UnauthorizedSender:
      return make_reply(replies::SenderNotAllowed, fmt::format("<{}>: Sender address rejected: Access denied", subject));
    case FaultKind::PolicyRejection:
      return make_reply(replies::SpamRejected, hit.params.text.empty() ? std::string() : hit.params.text);
    case FaultKind::MessageTooLarge:
      return make_reply(replies::MessageTooBig, "Message size exceeds fixed limit");
    default:
      return std::nullopt;
  }
}

std::string describe_fault(const sim::FaultHit& hit, std::string_view effect) {
  const auto& info = sim::fault_info(hit.kind);
  return fmt::format("fault '{}' ({}) at {}: {}", hit.name, info.name, sim::fault_point_name(info.point), effect);
}

}  // namespace mailflow::smtp
