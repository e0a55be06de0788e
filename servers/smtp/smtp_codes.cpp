// The reply catalogue's lookups: see smtp_codes.hpp.
#include "servers/smtp/smtp_codes.hpp"

#include <array>

namespace mailflow::smtp {
namespace {

using namespace replies;

constexpr const ReplySpec* kAll[] = {
    &Ready, &TlsGoAhead, &Bye, &HttpRefused, &AuthSucceeded, &Ok, &SenderOk, &RecipientOk, &Queued, &WillForward,
    &CannotVerify, &Help, &AuthChallenge, &StartMailInput, &ShuttingDown, &ServiceUnavailable, &IdleTimeout,
    &TooManyConnections, &TooManyErrors, &MailboxUnavailableTemp, &LocalError, &Greylisted,
    &MailboxFullTemp, &InsufficientStorage, &TooManyRecipients, &TlsNotAvailable, &LineTooLong,
    &SyntaxError, &UnknownCommand, &ParameterSyntax, &BadAddressSyntax, &AuthCancelled,
    &AuthResponseUndecodable, &AuthLineTooLong, &NotImplemented,
    &BadSequence, &UnknownAuthMechanism, &StartTlsFirst, &AuthRequired, &MechanismTooWeak,
    &AuthFailed, &EncryptionRequiredForAuth, &UserUnknown, &PolicyRejected, &BareNewlineRejected,
    &UserNotLocal, &MailboxFull, &MessageTooBig, &BadMailboxSyntax, &SenderNotOwned,
    &SenderNotAllowed, &BadSenderDomain, &RelayDenied, &SpamRejected, &NoValidRecipients, &NoSmtpService, &ParameterNotRecognized,
};

std::string_view class_subject(std::string_view enhanced) {
  auto second_dot = enhanced.find('.', enhanced.find('.') + 1);
  return enhanced.substr(0, second_dot);
}

}  // namespace

SmtpReply make_reply(const ReplySpec& spec, std::string text) {
  SmtpReply reply;
  reply.code = spec.code;
  reply.enhanced = std::string(spec.enhanced);
  std::string_view body = text.empty() ? spec.text : std::string_view(text);
  // One reply line per "\n"; the final empty piece after a trailing "\n" is dropped.
  std::size_t start = 0;
  while (start <= body.size()) {
    auto nl = body.find('\n', start);
    if (nl == std::string_view::npos) nl = body.size();
    auto piece = body.substr(start, nl - start);
    if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
    if (!(nl == body.size() && piece.empty() && !reply.lines.empty())) reply.lines.emplace_back(piece);
    start = nl + 1;
  }
  return reply;
}

std::span<const ReplySpec* const> all_reply_specs() { return kAll; }

const ReplySpec* find_reply_spec(int code, std::string_view enhanced) {
  if (enhanced.empty()) {
    for (const auto* spec : kAll) {
      if (spec->code == code) return spec;
    }
    return nullptr;
  }
  for (const auto* spec : kAll) {
    if (spec->code == code && spec->enhanced == enhanced) return spec;
  }
  for (const auto* spec : kAll) {
    if (spec->code == code && !spec->enhanced.empty() && class_subject(spec->enhanced) == class_subject(enhanced)) {
      return spec;
    }
  }
  return nullptr;
}

const ReplySpec* find_reply_spec_by_name(std::string_view name) {
  for (const auto* spec : kAll) {
    if (spec->name == name) return spec;
  }
  return nullptr;
}

}  // namespace mailflow::smtp
