// FETCH data items: what a FETCH (or UID FETCH) asks for, parsed into FetchItem values,
// and the name each item has in the response.
//
// RFC 3501 §6.4.5 (ALL, FAST, FULL macros; BODY, BODY[section]<partial>, BODY.PEEK,
// BODYSTRUCTURE, ENVELOPE, FLAGS, INTERNALDATE, RFC822, RFC822.HEADER, RFC822.SIZE,
// RFC822.TEXT, UID), §6.4.8 (UID FETCH always returns UID), §7.4.2 (response names:
// BODY[section]<origin>, RFC822.HEADER for RFC822.HEADER), RFC 3516 (BINARY[section],
// BINARY.PEEK, BINARY.SIZE: parsed so the session can answer them or refuse them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "servers/imap/imap_scanner.hpp"
#include "servers/imap/imap_section.hpp"

namespace mailflow::imap {

struct FetchItem {
  enum class Kind {
    Envelope, Flags, InternalDate, Rfc822, Rfc822Header, Rfc822Size, Rfc822Text,
    Body,           // BODY without a section: the structure without extension data
    BodyStructure,
    Uid,
    BodySection,    // BODY[section]<partial> and BODY.PEEK[...]
    BinarySection,  // BINARY[section]<partial> and BINARY.PEEK[...] (RFC 3516)
    BinarySize,     // BINARY.SIZE[section]
  };
  Kind kind = Kind::Flags;
  bool peek = false;  // .PEEK: do not set \Seen (RFC 3501 §6.4.5)
  Section section;
  std::optional<Partial> partial;

  // RFC 3501 §6.4.5: BODY[...], RFC822 and RFC822.TEXT set \Seen; PEEK and the rest do not.
  bool sets_seen() const;
  // The name in the FETCH response: "BODY[1.2]<0>", "RFC822.SIZE".
  std::string response_name() const;
  bool operator==(const FetchItem&) const = default;
};

// fetch-att / macro / "(" fetch-att *(SP fetch-att) ")", after "FETCH set SP".
// Returns false (the scanner holds the error) on bad syntax.
bool parse_fetch_items(ImapScanner& in, std::vector<FetchItem>& items);

}  // namespace mailflow::imap
