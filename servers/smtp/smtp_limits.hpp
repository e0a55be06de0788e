// SmtpLimits: every limit of the lab's SMTP servers in one struct, each with the RFC
// minimum or the Postfix default it copies. The world YAML may override them; trainers
// lower them to demonstrate the reply each produces. Handlers read these fields and never
// hold their own numbers.
//
// RFC 5321 §4.5.3.1 (size limits and minimums), §4.5.3.2 (timeouts), RFC 1870 (SIZE),
// RFC 4954 §4 (AUTH line length). Postfix names are in brackets.
// Leaves out: the relay client's limits (retry schedule, reply bounds) — those belong to
// the queue and the client.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace mailflow::smtp {

struct SmtpLimits {
  // Octets of a command line with its CRLF; RFC 5321 §4.5.3.1.4 minimum 512
  // [line_length_limit 2048]. Past it: 500 5.5.2.
  std::size_t command_line = 512;
  // Octets of an AUTH command or SASL response line: RFC 4954 §4 says at least 12288, so
  // an initial response fits.
  std::size_t auth_line = 12288;
  // Octets of a DATA text line with its CRLF; RFC 5321 §4.5.3.1.6 minimum 1000.
  // Past it: 500 5.5.2 after the final dot.
  std::size_t text_line = 1000;
  // Recipients per transaction; RFC 5321 §4.5.3.1.8 minimum 100
  // [smtpd_recipient_limit 1000]. Past it: 452 4.5.3 (§4.5.3.1.10).
  std::size_t max_recipients = 100;
  // Octets of a message, advertised as SIZE (RFC 1870) [message_size_limit 10240000].
  // Past it: 552 5.3.4.
  std::size_t max_message_bytes = 10 * 1024 * 1024;
  // Waiting for the next command; RFC 5321 §4.5.3.2.7 server timeout 5 minutes
  // [smtpd_timeout 300s]. Then: 421 4.4.2 and close.
  std::chrono::seconds idle_timeout{300};
  // The whole DATA phase, 354 to the final dot; RFC 5321 §4.5.3.2.6 gives the client 10
  // minutes for the end of data, so a trickling client is cut after that.
  std::chrono::seconds data_timeout{600};
  // A session's total lifetime, however busy (a slow-drip client is still cut).
  std::chrono::seconds max_session_time{3600};
  // Errors (4xx/5xx replies to commands) before 421 4.7.0 and close
  // [smtpd_hard_error_limit 20, smtpd_soft_error_limit 10].
  std::size_t max_errors = 10;
  // NOOP, RSET, VRFY, HELP and the like in one session before they count as errors
  // [smtpd_junk_command_limit 100].
  std::size_t max_junk_commands = 100;
  // Sessions open at once per server [default_process_limit 100]; past it 421 4.7.0.
  std::size_t max_connections = 100;
  // Sessions open at once from one client address [smtpd_client_connection_count_limit 50];
  // past it 421 4.7.0.
  std::size_t max_connections_per_client = 20;
  // Failed AUTH attempts in one session before 421 4.7.0 and close
  // [smtpd_client_auth_rate_limit is per time; this is per session].
  std::size_t max_auth_failures = 3;
  // A message with a bare CR or bare LF is refused with 550 5.5.2 (SMTP smuggling,
  // CVE-2023-51764) [smtpd_forbid_bare_newline = yes]; when false it is accepted with the
  // line endings normalised to CRLF.
  bool reject_bare_newlines = true;
  // Lets a teaching demo set command_line, text_line or max_recipients below the RFC
  // minimums (to show a client failing against a too-strict server).
  bool allow_below_rfc_minimums = false;

  // "" when the limits make sense; else every problem, separated by "; ".
  std::string verify() const;
};

}  // namespace mailflow::smtp
