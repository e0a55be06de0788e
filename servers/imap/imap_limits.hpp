// ImapLimits: every limit of the lab's IMAP servers in one struct, each with the RFC value
// or the Dovecot default it copies. The world YAML may override them; trainers lower them
// to demonstrate the response each produces. The parser and the session read these fields
// and never hold numbers of their own.
//
// RFC 3501 §5.4 (autologout timer), RFC 7162 §4 (line lengths of 8192 octets), RFC 7888
// §4 (literals the server will not accept), RFC 7889 (APPENDLIMIT), RFC 2177 (IDLE).
// Dovecot setting names are in brackets.
// Leaves out: quotas (the mail store's, per world user).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "sim/mime.hpp"

namespace mailflow::imap {

struct ImapLimits {
  // Octets of one command line without its CRLF (each line of a command with literals
  // counts alone); RFC 7162 §4 asks clients to stay within 8192 [imap_max_line_length
  // is 64k]. Past it: "* BAD" and the rest of the line is discarded.
  std::size_t line_length = 8192;
  // Octets of one literal in any command but APPEND (a LOGIN password, a SEARCH string).
  // Past it: tagged NO [TOOBIG] instead of the "+" continuation (RELIABILITY.md).
  std::size_t max_literal_bytes = 64 * 1024;
  // Octets of APPEND's message literal, advertised as APPENDLIMIT (RFC 7889); the same
  // default as SmtpLimits::max_message_bytes so what SMTP accepts IMAP can store.
  std::size_t max_append_bytes = 10 * 1024 * 1024;
  // Octets of one whole command, lines and literals, APPEND's message not counted: bounds
  // a client that sends many literals each under the limit.
  std::size_t max_command_bytes = 256 * 1024;
  // Nesting of parenthesized lists in one command (SEARCH groups, FETCH lists); the
  // parser recurses once per level.
  std::size_t max_list_depth = 32;
  // Waiting for a command after login; RFC 3501 §5.4: at least 30 minutes. Also bounds
  // one IDLE (RFC 2177 §3 asks clients to re-issue it every 29 minutes).
  std::chrono::seconds idle_timeout{30 * 60};
  // Waiting for a command before login [login_trusted_networks aside, Dovecot cuts
  // unauthenticated clients after 3 minutes].
  std::chrono::seconds login_timeout{180};
  // Waiting for the rest of a literal or a continuation once a command has started, so
  // a trickling client is cut.
  std::chrono::seconds command_timeout{5 * 60};
  // BAD responses in one session before "* BYE" and close [Dovecot's
  // CLIENT_MAX_BAD_COMMANDS is 20].
  std::size_t max_bad_commands = 20;
  // Failed LOGIN / AUTHENTICATE attempts before "* BYE" and close.
  std::size_t max_auth_failures = 3;
  // Sessions open at once per server [default_process_limit 100]; past it "* BYE".
  std::size_t max_connections = 100;
  // Sessions open at once from one client address.
  std::size_t max_connections_per_client = 20;
  // Sessions of one user from one address [mail_max_userip_connections 10]; past it the
  // login gets NO [LIMIT].
  std::size_t max_connections_per_user = 10;
  // How deep and how large the MIME parser goes for BODYSTRUCTURE and BODY[section].
  sim::mime::MimeLimits mime;
  // Lets a teaching demo set idle_timeout below RFC 3501's 30 minutes (to show a client
  // being logged out).
  bool allow_below_rfc_minimums = false;

  // "" when the limits make sense; else every problem, separated by "; ".
  std::string verify() const;
};

}  // namespace mailflow::imap
