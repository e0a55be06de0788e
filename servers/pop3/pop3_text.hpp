// The POP3 text a session sends besides status lines, as pure functions over bytes:
// multi-line responses with byte-stuffing, the TOP excerpt, the CAPA list, the APOP
// greeting timestamp and digest, and unique-ids for UIDL.
//
// RFC 1939 §3 (multi-line responses: "each line ... terminated by CRLF ... If any line
// begins with the termination octet, the line is byte-stuffed by pre-pending the
// termination octet", ended by "." CRLF), §7 (TOP, UIDL: 1 to 70 characters 0x21-0x7E,
// APOP: MD5 of timestamp + secret in lower-case hex), RFC 2449 §6 (CAPA tags),
// RFC 2595 §4 (STLS), RFC 3206 §6 (AUTH-RESP-CODE), RFC 5034 §3 (SASL).
// Leaves out: line-length folding (POP3 sends message lines as stored).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::pop3 {

// The body of a multi-line response: every line of `text` ended by CRLF (a bare LF
// becomes CRLF; a missing final line ending is added), lines starting with "." get a
// second ".", and the terminating "." CRLF. Empty text gives just ".\r\n".
std::string dot_stuff(std::string_view text);
// The same for a list of lines (CAPA, LIST, UIDL), none of which holds a line break.
std::string dot_stuff_lines(const std::vector<std::string>& lines);

// RFC 1939 §7 TOP: the header, the blank line after it, and the first `body_lines` lines
// of the body. A message without a blank line is all header and comes back whole.
std::string top_of(std::string_view message, std::uint64_t body_lines);

struct CapabilityOptions {
  bool stls = false;             // TLS is configured and not active yet
  bool plaintext_login = false;  // USER/PASS and AUTH PLAIN are allowed on this connection now
  std::chrono::seconds login_delay{0};
  std::string_view implementation = "mailflow";
};
// The CAPA lines (RFC 2449 §5), in a fixed order, without the terminating ".".
std::vector<std::string> capabilities(const CapabilityOptions& options);

// RFC 1939 §7 APOP: the greeting's timestamp, a msg-id "<pid.counter.seconds@host>" that
// is different for every greeting (the counter is the session id, the seconds tell two
// processes with the same pid apart).
std::string apop_timestamp(long pid, std::uint64_t counter, std::int64_t unix_seconds, std::string_view host);
// MD5(timestamp + secret) as 32 lower-case hex digits (OpenSSL EVP).
std::string apop_digest(std::string_view timestamp, std::string_view secret);
// Whether a client's digest (hex, either case) is the right one, compared in constant time.
bool apop_matches(std::string_view timestamp, std::string_view secret, std::string_view client_digest);

// UIDL (RFC 1939 §7): Dovecot's default pop3_uidl_format "%08Xu%08Xv" — the message's UID
// and its folder's UIDVALIDITY as 8 upper-case hex digits each. Both come from the store's
// UID list, so the value is the same in every session and across restarts, and is never
// reused for another message.
std::string unique_id(std::uint32_t uidvalidity, std::uint32_t uid);

}  // namespace mailflow::pop3
