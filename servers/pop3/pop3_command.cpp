// parse_command: see pop3_command.hpp.
#include "servers/pop3/pop3_command.hpp"

#include "sim/ascii.hpp"

namespace mailflow::pop3 {
namespace {

// What each keyword takes. `numeric`: how many leading arguments must be numbers;
// `free_text`: arguments exempt from the 40-octet limit and allowed 8-bit octets (names,
// passwords, SASL data).
struct Grammar {
  Verb verb;
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;
  std::size_t numeric;
  bool free_text;
  std::string_view syntax;
};

constexpr Grammar kGrammar[] = {
    {Verb::Capa, "CAPA", 0, 0, 0, false, "CAPA"},                        // RFC 2449 §5
    {Verb::Stls, "STLS", 0, 0, 0, false, "STLS"},                        // RFC 2595 §4
    {Verb::User, "USER", 1, 1, 0, true, "USER name"},                    // RFC 1939 §7
    {Verb::Pass, "PASS", 1, 1, 0, true, "PASS string"},                  // RFC 1939 §7
    {Verb::Apop, "APOP", 2, 2, 0, true, "APOP name digest"},             // RFC 1939 §7
    {Verb::Auth, "AUTH", 0, 2, 0, true, "AUTH mechanism [initial-response]"},  // RFC 5034 §4
    {Verb::Stat, "STAT", 0, 0, 0, false, "STAT"},                        // RFC 1939 §5
    {Verb::List, "LIST", 0, 1, 1, false, "LIST [msg]"},                  // RFC 1939 §5
    {Verb::Uidl, "UIDL", 0, 1, 1, false, "UIDL [msg]"},                  // RFC 1939 §7
    {Verb::Retr, "RETR", 1, 1, 1, false, "RETR msg"},                    // RFC 1939 §5
    {Verb::Top, "TOP", 2, 2, 2, false, "TOP msg n"},                     // RFC 1939 §7
    {Verb::Dele, "DELE", 1, 1, 1, false, "DELE msg"},                    // RFC 1939 §5
    {Verb::Rset, "RSET", 0, 0, 0, false, "RSET"},                        // RFC 1939 §5
    {Verb::Noop, "NOOP", 0, 0, 0, false, "NOOP"},                        // RFC 1939 §5
    {Verb::Quit, "QUIT", 0, 0, 0, false, "QUIT"},                        // RFC 1939 §4, §6
};

const Grammar* find_grammar(std::string_view keyword) {
  for (const auto& g : kGrammar) {
    if (sim::ascii_iequals(keyword, g.name)) return &g;
  }
  return nullptr;
}

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }
bool is_eight_bit(char c) { return static_cast<unsigned char>(c) >= 0x80; }

bool arguments_ok(const Grammar& g, const std::vector<std::string>& args) {
  if (args.size() < g.min_args || args.size() > g.max_args) return false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty()) return false;  // two spaces in a row
    for (char c : a) {
      if (is_control(c) || (!g.free_text && is_eight_bit(c))) return false;
    }
    if (!g.free_text && a.size() > kMaxArgument) return false;
    if (i < g.numeric && !parse_number(a)) return false;
  }
  return true;
}

}  // namespace

Command parse_command(std::string_view line) {
  Command command;
  auto space = line.find(' ');
  std::string_view keyword = line.substr(0, space);
  command.verb_text = std::string(keyword);
  const Grammar* g = find_grammar(keyword);
  if (!g) {
    command.error = CommandError::UnknownCommand;
    return command;
  }
  command.verb = g->verb;
  command.syntax = g->syntax;
  std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  if (g->verb == Verb::Pass) {
    // RFC 1939 §7: "a POP3 server may treat spaces in the argument as part of the password".
    if (space != std::string_view::npos) command.arguments.emplace_back(rest);
  } else {
    // Lenient about trailing spaces (some clients send "STAT "), strict inside the line.
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    while (!rest.empty()) {
      auto next = rest.find(' ');
      command.arguments.emplace_back(rest.substr(0, next));
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next + 1);
    }
  }
  if (!arguments_ok(*g, command.arguments)) command.error = CommandError::BadArguments;
  return command;
}

std::string_view verb_name(Verb verb) {
  for (const auto& g : kGrammar) {
    if (g.verb == verb) return g.name;
  }
  return "UNKNOWN";
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace mailflow::pop3
