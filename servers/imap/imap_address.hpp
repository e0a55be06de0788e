// RFC 5322 address lists as IMAP's ENVELOPE needs them: each mailbox as (name, source
// route, local part, domain), and groups as a start marker (host NIL, mailbox = group
// name) and an end marker (all NIL), RFC 3501 §7.4.2.
//
// RFC 5322 §3.4 (address = mailbox / group; name-addr = [display-name] angle-addr;
// group = display-name ":" [group-list] ";"), §3.2.2 (comments are ignored), §4.4
// (obs-route "@a,@b:" before the addr-spec, kept as IMAP's addr-adl), §4.1 (obs-phrase
// with dots: "John Q. Public").
// Lenient like Dovecot: stray specials are skipped, a mailbox without "@" keeps its
// local part with an empty (not NIL) domain so a client never mistakes it for a group
// marker. Display names keep RFC 2047 encoded words as sent; quotes are removed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::imap {

struct EnvelopeAddress {
  std::optional<std::string> name;     // display name, nullopt when none
  std::optional<std::string> route;    // "@a.test,@b.test", nullopt when none
  std::optional<std::string> mailbox;  // local part; group name at a group start
  std::optional<std::string> host;     // domain; nullopt at group start and end

  bool operator==(const EnvelopeAddress&) const = default;
};

// Every address of a header field value, in order. Never fails; garbage yields fewer
// addresses, an empty value none.
std::vector<EnvelopeAddress> parse_address_list(std::string_view value);

}  // namespace mailflow::imap
