// parse_command: see smtp_command.hpp.
#include "servers/smtp/smtp_command.hpp"

#include <array>
#include <utility>

namespace mailflow::smtp {
namespace {

constexpr std::array<std::pair<Verb, std::string_view>, 14> kVerbs{{
    {Verb::Helo, "HELO"}, {Verb::Ehlo, "EHLO"}, {Verb::Mail, "MAIL"}, {Verb::Rcpt, "RCPT"},
    {Verb::Data, "DATA"}, {Verb::Rset, "RSET"}, {Verb::Noop, "NOOP"}, {Verb::Quit, "QUIT"},
    {Verb::Vrfy, "VRFY"}, {Verb::Expn, "EXPN"}, {Verb::Help, "HELP"}, {Verb::StartTls, "STARTTLS"},
    {Verb::Auth, "AUTH"}, {Verb::Bdat, "BDAT"},
}};

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view upper_b) {
  if (a.size() != upper_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper_b[i]) return false;
  }
  return true;
}

}  // namespace

Command parse_command(std::string_view line) {
  Command command;
  // RFC 5321 §4.1.1: the verb is followed by SP and the argument, or ends the line.
  auto space = line.find(' ');
  std::string_view verb = line.substr(0, space);
  std::string_view argument = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  while (!argument.empty() && argument.back() == ' ') argument.remove_suffix(1);
  command.verb_text = std::string(verb);
  command.argument = std::string(argument);
  // RFC 5321 §2.4: verbs are not case sensitive.
  for (const auto& [value, name] : kVerbs) {
    if (equals_ignoring_case(verb, name)) {
      command.verb = value;
      break;
    }
  }
  return command;
}

std::string_view verb_name(Verb verb) {
  for (const auto& [value, name] : kVerbs) {
    if (value == verb) return name;
  }
  return "UNKNOWN";
}

}  // namespace mailflow::smtp
