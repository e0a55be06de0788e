// BODY[section]<partial>: which bytes of a stored message a FETCH asks for, and cutting
// them out of the original text by the offsets sim/mime.hpp recorded.
//
// RFC 3501 §6.4.5 (section = part numbers "1.2.3", then optionally HEADER,
// HEADER.FIELDS (list), HEADER.FIELDS.NOT (list), TEXT or MIME; HEADER / TEXT /
// HEADER.FIELDS only at the top or after a part of type message/rfc822; MIME only after
// a part number; a non-multipart message has the single part 1; a message/rfc822 part's
// parts are those of the message it encapsulates; "<origin.octets>" cuts a substring
// and the response says "<origin>"), §7.4.2 (BODY[section]<origin> in responses).
//
// HEADER.FIELDS results are the matching fields as sent (folding kept) and then an empty
// line, as Dovecot sends them, so a client can parse them like any header section.
// Leaves out: converting bare LF to CRLF (the session does that for a whole message).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/mime.hpp"

namespace mailflow::imap {

struct Section {
  enum class Text { None, Header, HeaderFields, HeaderFieldsNot, Text, Mime };
  std::vector<std::uint32_t> part;  // {1, 2} for "1.2"; empty for the whole message
  Text text = Text::None;
  std::vector<std::string> fields;  // HEADER.FIELDS (.NOT) names as the client wrote them

  bool operator==(const Section&) const = default;
};

struct Partial {
  std::uint32_t origin = 0;
  std::uint32_t length = 0;

  bool operator==(const Partial&) const = default;
};

// The section as it goes between the brackets of the response: "1.2.HEADER.FIELDS (FROM TO)".
std::string format_section(const Section& section);

// The bytes the section names, or nullopt when it names no part of this message (the
// FETCH answers NIL). `text` is the message the structure was parsed from.
std::optional<std::string_view> section_bytes(const sim::mime::Part& message, std::string_view text,
                                              const Section& section);

// HEADER.FIELDS (.NOT) result: a new string, the fields and a closing empty line.
std::optional<std::string> section_text(const sim::mime::Part& message, std::string_view text, const Section& section);

// RFC 3501 §6.4.5: the substring from origin, at most length octets ("" past the end).
std::string_view apply_partial(std::string_view bytes, const std::optional<Partial>& partial);

}  // namespace mailflow::imap
