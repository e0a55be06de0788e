// The header section of an Internet message or MIME part, read without changing a byte:
// fields with their raw offsets and unfolded values, and the structured MIME field values
// (Content-Type, Content-Disposition) split into a token and parameters.
//
// RFC 5322 §2.2 (fields: name ":" value, names case-insensitive), §2.2.3 (unfolding: a
// CRLF followed by WSP is removed), §3.2.2 (comments), RFC 2045 §5.1 (Content-Type
// syntax: type "/" subtype *(";" attribute "=" value), value = token / quoted-string),
// RFC 2183 (Content-Disposition), RFC 2231 (parameter continuations "name*0=", and
// extended values "name*=charset'lang'%xx").
//
// Line ends may be CRLF or a bare LF (messages in a Maildir written by other tools).
// A line in the header section that neither starts a field ("Name:") nor continues one
// (leading WSP) ends the section: the body starts there, as in servers/smtp/message_headers.
// Leaves out: RFC 2047 decoding (IMAP hands encoded words to the client as they are).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::sim::mime {

struct HeaderField {
  std::string name;       // as written, without trailing white space ("Subject")
  std::string value;      // unfolded, leading and trailing white space removed
  std::size_t begin = 0;  // offset of the field's first byte in the parsed text
  std::size_t end = 0;    // offset just past its last line end (continuations included)
};

struct HeaderSection {
  std::vector<HeaderField> fields;
  std::size_t end = 0;   // offset just past the empty line that ends it (or where the body starts)
  bool truncated = false;  // more fields than the limit allowed; the rest are not in `fields`
};

// The offset just past the line that starts at `pos` (its LF included), at most `limit`.
std::size_t line_end(std::string_view text, std::size_t pos, std::size_t limit);

// Reads the header section starting at `begin` and ending at or before `limit`. Never
// fails: the worst input gives no fields and end == begin. At most `max_fields` fields are
// kept; the scan stays linear whatever the input.
HeaderSection parse_header_section(std::string_view text, std::size_t begin, std::size_t limit,
                                   std::size_t max_fields);

// The first field with this name (ASCII case-insensitive), or nullptr.
const HeaderField* find_field(const std::vector<HeaderField>& fields, std::string_view name);

struct Parameter {
  std::string name;   // lower-cased ("charset", "filename*0*")
  std::string value;  // quotes and backslash escapes removed
};

// `token *(";" parameter)` as in Content-Type and Content-Disposition values.
struct StructuredValue {
  std::string token;  // lower-cased; "text/plain" for Content-Type, "attachment" for a disposition
  std::vector<Parameter> parameters;  // in order, raw RFC 2231 names kept for BODYSTRUCTURE
};

// Parses `token *(";" attribute "=" value)`, skipping comments; a broken parameter is
// skipped, never an error. The token is empty when the value does not start with one.
StructuredValue parse_structured_value(std::string_view value);

// The parameter's value with RFC 2231 continuations ("name*0", "name*1*", ...) joined in
// order and %xx of extended segments decoded (the charset'lang' prefix dropped); a plain
// "name=" wins. nullopt when absent. `name` is lower case.
std::optional<std::string> find_parameter(const std::vector<Parameter>& parameters, std::string_view name);

// Splits a comma-separated list (Content-Language: "en, ja") into trimmed items.
std::vector<std::string> split_list(std::string_view value);

// The value with RFC 5322 comments "(...)" removed and white space trimmed (Content-ID,
// Content-Transfer-Encoding).
std::string strip_comments(std::string_view value);

}  // namespace mailflow::sim::mime
