// Envelope addresses: the reverse-path of MAIL FROM and the forward-path of RCPT TO, with
// their ESMTP parameters, parsed strictly enough that nothing odd reaches the queue, a
// header (Return-Path) or the next hop.
//
// RFC 5321 §4.1.2 (Path, Mailbox, Local-part, Domain, address-literal, Mail-parameters),
// §4.1.1.2 / §4.1.1.3 (MAIL, RCPT, <postmaster>), §4.1.1.3 + Appendix C (source routes are
// accepted and ignored), §4.1.3 (address literals), §4.5.3.1.1-3 (local part 64, domain
// 255, path 256 octets), RFC 6531 §3.3 (UTF-8 in addresses with SMTPUTF8), RFC 1870 (SIZE).
// Deviations, like most servers: a space after "FROM:" / "TO:" is accepted; several spaces
// between parameters are accepted. Never accepted: CR, LF, NUL or other control
// characters anywhere (header injection through envelope addresses).
// Leaves out: general address literals ("[tag:content]" other than IPv6), which parameter
// keywords are known (the session answers 555 5.5.4 for those it does not know).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailflow::smtp {

inline constexpr std::size_t kMaxLocalPart = 64;   // RFC 5321 §4.5.3.1.1
inline constexpr std::size_t kMaxDomain = 255;     // RFC 5321 §4.5.3.1.2
inline constexpr std::size_t kMaxPath = 256;       // RFC 5321 §4.5.3.1.3, with "<" and ">"

struct Path {
  std::string mailbox;  // "local@domain" as sent (source route dropped); empty for "<>"
  std::vector<std::pair<std::string, std::string>> params;  // keyword upper-cased, value as given
};

enum class PathError {
  None,
  Syntax,          // not "FROM:<...>" / "TO:<...>" at all: 501 5.5.4
  BadMailbox,      // the mailbox inside the brackets is not valid: 553 5.1.3 (or 501 5.1.3)
  NullNotAllowed,  // "<>" as a recipient: 501 5.1.3 (or 553 5.1.3)
  BadParameter,    // a malformed or repeated ESMTP parameter: 555 5.5.4
};

struct PathResult {
  std::optional<Path> path;  // set exactly when error is None
  PathError error = PathError::None;
  std::string detail;        // why, in English, for the trace (never echo it raw to a client)
};

// argument: what follows "MAIL " (e.g. "FROM:<alice@alpha.test> SIZE=1234 BODY=8BITMIME").
PathResult parse_mail_from(std::string_view argument, bool smtputf8_allowed);
// argument: what follows "RCPT " (e.g. "TO:<bob@beta.test> NOTIFY=NEVER"); "<postmaster>"
// (any case) is accepted and has no domain.
PathResult parse_rcpt_to(std::string_view argument, bool smtputf8_allowed);

// "local@domain" with an atom or quoted local part and a dot-atom domain or address
// literal, within the length limits; UTF-8 only when utf8 is set (RFC 6531).
bool is_valid_mailbox(std::string_view mailbox, bool utf8);
// The domain after the last "@", ASCII lower-cased; "" when there is none.
std::string domain_of(std::string_view mailbox);
// What comes before the last "@" (the whole mailbox when there is none), as sent.
std::string local_part_of(std::string_view mailbox);

// SIZE=n (RFC 1870 §3): nullopt when absent or not a number that fits 64 bits.
std::optional<std::uint64_t> size_param(const Path& path);
// The value of a parameter (keyword in any case); "" for a keyword without a value.
std::optional<std::string> param(const Path& path, std::string_view keyword);

}  // namespace mailflow::smtp
