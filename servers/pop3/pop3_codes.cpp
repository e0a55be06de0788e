// The response catalogue's lookups and the status line: see pop3_codes.hpp.
#include "servers/pop3/pop3_codes.hpp"

namespace mailflow::pop3 {
namespace {

using namespace responses;

constexpr const ResponseSpec* kAll[] = {
    &Greeting, &Ok, &CapabilityList, &MechanismList, &BeginTls, &SendPassword, &LoggedIn, &DropListing,
    &ScanListing, &UidListing, &MessageFollows, &TopFollows, &MarkedDeleted, &DeletionsUndone, &Bye,
    &UnknownCommand, &BadArguments, &LineTooLong, &WrongState, &NoSuchMessage, &AlreadyDeleted, &MessageGone,
    &UserFirst, &PlaintextDisallowed, &AuthFailed, &TooManyAuthFailures, &AuthCancelled, &AuthUndecodable,
    &UnknownMechanism, &InUse, &LoginDelay, &MaildropUnavailable, &MaildropBroken, &MessageUnreadable,
    &UpdateFailed, &TlsNotAvailable, &TlsAlreadyActive, &TooManyBadCommands, &IdleTimeout, &TooManyConnections,
    &ShuttingDown, &LocalError,
};

}  // namespace

std::string Pop3Response::status_line() const {
  std::string line = ok ? "+OK" : "-ERR";
  // RFC 2449 §8: resp-code = "[" resp-level *("/" resp-level) "]", right after the status.
  if (!code.empty()) line += " [" + code + "]";
  if (!text.empty()) line += " " + text;
  return line;
}

std::string Pop3Response::format() const {
  std::string line = status_line();
  // Our own texts are short; a long user name echoed into one must not break RFC 2449 §4.
  if (line.size() > kMaxResponseLine - 2) line.resize(kMaxResponseLine - 2);
  for (char& c : line) {
    if (c == '\r' || c == '\n') c = ' ';  // a response is one line, whatever text it got
  }
  return line + "\r\n";
}

Pop3Response make_response(const ResponseSpec& spec, std::string text) {
  Pop3Response response;
  response.ok = spec.ok;
  response.code = std::string(spec.code);
  response.text = text.empty() ? std::string(spec.text) : std::move(text);
  return response;
}

std::span<const ResponseSpec* const> all_response_specs() { return kAll; }

const ResponseSpec* find_response_spec_by_name(std::string_view name) {
  for (const auto* spec : kAll) {
    if (spec->name == name) return spec;
  }
  return nullptr;
}

}  // namespace mailflow::pop3
