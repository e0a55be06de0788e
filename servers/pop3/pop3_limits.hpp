// Pop3Limits: every limit of the lab's POP3 servers in one struct, each with the RFC value
// or the Dovecot default it copies. Handlers read these fields and never hold their own
// numbers; trainers lower them to show the response each produces.
//
// RFC 1939 §3 (autologout timer of at least 10 minutes), RFC 2449 §4 (command lines of at
// most 255 octets, response first lines of at most 512), RFC 2449 §8.1.2 (LOGIN-DELAY),
// RFC 5034 §4 (SASL continuation lines). Dovecot names are in brackets.
// Leaves out: per-user download quotas and the EXPIRE policy (the lab never expires mail:
// CAPA says EXPIRE NEVER).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace mailflow::pop3 {

struct Pop3Limits {
  // Octets of a command line with its CRLF; RFC 2449 §4: "255 octets, including the
  // terminating CRLF". Past it: -ERR and the line is skipped.
  std::size_t command_line = 255;
  // Octets of a SASL response line after "+ " (RFC 5034 §4 keeps the AUTH line itself
  // within command_line; a PLAIN answer of three 255-octet fields needs about 1024).
  std::size_t auth_line = 2048;
  // Waiting for the next command. RFC 1939 §3: "an inactivity autologout timer ... of at
  // least 10 minutes" [Dovecot: 10 minutes]. Then -ERR and close, deleting nothing.
  std::chrono::seconds idle_timeout{600};
  // Unknown commands, bad arguments and commands in the wrong state before -ERR and close
  // [Dovecot CLIENT_MAX_BAD_COMMANDS 20].
  std::size_t max_bad_commands = 20;
  // Failed logins (USER/PASS, APOP, AUTH) in one session before -ERR [AUTH] and close
  // [Dovecot closes after its auth_failure_delay grows; this is per session].
  std::size_t max_auth_failures = 3;
  // Sessions open at once per server [Dovecot process_limit 1024 / client_limit]; past
  // it the greeting is -ERR [SYS/TEMP] and the connection closes.
  std::size_t max_connections = 100;
  // Sessions open at once from one client address [mail_max_userip_connections 10 is per
  // user; this is per address, like the SMTP server's cap].
  std::size_t max_connections_per_client = 20;
  // RFC 2449 §8.1.2: least time between two logins of one user; 0 turns it off. When set,
  // CAPA advertises "LOGIN-DELAY n" and an earlier login gets -ERR [LOGIN-DELAY].
  std::chrono::seconds login_delay{0};
  // Lets a teaching demo set command_line or idle_timeout below the RFC values.
  bool allow_below_rfc_minimums = false;

  // "" when the limits make sense; else every problem, separated by "; ".
  std::string verify() const;
};

}  // namespace mailflow::pop3
