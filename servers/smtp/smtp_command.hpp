// parse_command: splits one SMTP command line into its verb and argument.
//
// RFC 5321 §4.1.1 (command = verb [SP argument] CRLF), §2.4 (verbs are case-insensitive),
// RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 3030 (BDAT). No I/O and no state: the line
// comes from servers/net/line_buffer.hpp without its CRLF. The argument is parsed by the
// command's handler (smtp_address.hpp for MAIL and RCPT).
// Leaves out: which commands a state allows (the session's dispatch table).
#pragma once

#include <string>
#include <string_view>

namespace mailflow::smtp {

enum class Verb { Helo, Ehlo, Mail, Rcpt, Data, Rset, Noop, Quit, Vrfy, Expn, Help, StartTls, Auth, Bdat, Unknown };

struct Command {
  Verb verb = Verb::Unknown;
  std::string verb_text;  // as sent, for the trace ("ehlo")
  std::string argument;   // after the first space, trailing spaces trimmed ("FROM:<a@b>")
};

// Never fails: an unrecognised or empty verb is Verb::Unknown (the session answers
// 500 5.5.1). CR, LF and NUL are left in the argument for the handler to reject.
Command parse_command(std::string_view line);

// "EHLO", "STARTTLS", ...; "UNKNOWN" for Verb::Unknown.
std::string_view verb_name(Verb verb);

}  // namespace mailflow::smtp
