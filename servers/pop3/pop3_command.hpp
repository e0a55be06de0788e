// parse_command: splits one POP3 command line into its keyword and arguments and checks
// them against the command's grammar, with no I/O and no state (the line comes from
// servers/net/line_buffer.hpp without its CRLF).
//
// RFC 1939 §3: "a case-insensitive keyword, possibly followed by one or more arguments ...
// Keywords and arguments consist of printable ASCII characters ... separated by a single
// SPACE character ... Each argument may be up to 40 characters long." §7 lets PASS keep
// spaces in its one argument. RFC 2449 §5 (CAPA), RFC 2595 §4 (STLS), RFC 5034 §4 (AUTH
// with an optional initial response, which may be longer than 40 characters).
// Leaves out: which commands a state allows (the session's dispatch table) and whether a
// message number exists (the maildrop snapshot).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::pop3 {

enum class Verb { Capa, Stls, User, Pass, Apop, Auth, Stat, List, Uidl, Retr, Top, Dele, Rset, Noop, Quit, Unknown };

enum class CommandError {
  None,
  UnknownCommand,  // empty line or a keyword POP3 does not have
  BadArguments,    // wrong number, empty (two spaces), too long, control characters, not a number
};

// RFC 1939 §3: the longest argument a client may send (names, passwords and SASL initial
// responses are exempt, as every real server allows).
inline constexpr std::size_t kMaxArgument = 40;

struct Command {
  Verb verb = Verb::Unknown;
  std::string verb_text;               // as sent, for the trace ("retr")
  std::vector<std::string> arguments;  // PASS: exactly one, the rest of the line
  CommandError error = CommandError::None;
  std::string_view syntax;             // "RETR msg": the usage line for a BadArguments reply
};

// Never throws. A Command with error == None has the argument count, lengths and numeric
// forms its verb requires; anything else carries the error for the session to answer.
Command parse_command(std::string_view line);

// "RETR", "CAPA", ...; "UNKNOWN" for Verb::Unknown.
std::string_view verb_name(Verb verb);

// RFC 1939 §5 message numbers and TOP's line count: 1*DIGIT (no sign, no spaces), at most
// 18 digits so the value fits. nullopt otherwise. Zero is returned as 0: a message number
// of 0 is the session's "no such message", a line count of 0 is valid.
std::optional<std::uint64_t> parse_number(std::string_view text);

}  // namespace mailflow::pop3
