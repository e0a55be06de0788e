// The MIME structure of a stored message, as byte offsets into the original text, so that
// IMAP can serve BODY[1.2.HEADER], BODY[1.2.MIME], BODY[1.2.TEXT], BODY[1.2] and partial
// fetches straight from the bytes on disk, and compute BODYSTRUCTURE without re-parsing.
//
// RFC 5322 §2.1 (header section, empty line, body), RFC 2045 §5-§8 (Content-Type,
// Content-Transfer-Encoding, Content-ID, Content-Description), RFC 2046 §5.1.1 (multipart
// bodies: the boundary delimiter is CRLF "--" boundary, so the CRLF before it belongs to
// the delimiter, not to the part; preamble and epilogue are not parts; a close delimiter
// "--boundary--"), §5.1.5 (multipart/digest parts default to message/rfc822), §5.2.1
// (message/rfc822 encapsulates a whole message), RFC 2183 (Content-Disposition),
// RFC 3282 (Content-Language), RFC 2557 (Content-Location), RFC 1864 (Content-MD5),
// RFC 6532 §3.7 (message/global, treated like message/rfc822).
//
// Robustness (RELIABILITY.md "Bounded everything"): bare LF line ends are accepted; a
// missing close delimiter ends the multipart at the end of its enclosing body; a boundary
// that never appears makes the multipart have no parts; nesting deeper than
// MimeLimits::max_depth and parts past MimeLimits::max_parts are left as opaque leaves.
// Each nesting level scans its bytes once, so the cost is O(size x depth), never quadratic
// in the number of parts.
// Leaves out: decoding of bodies (base64, quoted-printable) and of RFC 2047/2231 text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sim/mime_header.hpp"

namespace mailflow::sim::mime {

struct MimeLimits {
  // Multipart and message/rfc822 levels below the top message. Dovecot stops at 100;
  // real mail rarely nests past 5, and each level costs one more scan of its bytes.
  std::size_t max_depth = 32;
  // Parts in the whole message, counting every level.
  std::size_t max_parts = 10000;
  // Header fields kept per part (the rest are skipped, still within the header bytes).
  std::size_t max_fields_per_part = 1000;
};

// One entity: the top message, a body part of a multipart, or an encapsulated message.
struct Part {
  // [header_begin, header_end): the header section with the empty line that ends it.
  // [body_begin, body_end): the body. body_begin == header_end.
  std::size_t header_begin = 0, header_end = 0, body_begin = 0, body_end = 0;
  std::vector<HeaderField> fields;

  // From Content-Type (RFC 2045 §5.2 defaults: text/plain; charset=us-ascii, or
  // message/rfc822 inside multipart/digest). Lower case.
  std::string type = "text", subtype = "plain";
  std::vector<Parameter> type_parameters;
  bool has_content_type = false;  // false: the fields above are the defaults
  std::string boundary;           // multipart only, "" when missing
  std::string encoding;           // Content-Transfer-Encoding as sent, "" when absent (7bit)
  std::string id, description, md5, location;  // "" when absent
  std::string disposition;        // lower case, "" when absent
  std::vector<Parameter> disposition_parameters;
  std::vector<std::string> languages;
  std::size_t lines = 0;          // text lines of the body (a last line without LF counts)

  // multipart/*: the body parts in order. message/rfc822 (and message/global): exactly one,
  // the encapsulated message. Anything else, or past a limit: none.
  std::vector<Part> children;
  bool truncated = false;  // a limit stopped parsing inside this part

  bool is_multipart() const { return type == "multipart"; }
  bool is_message() const { return type == "message" && (subtype == "rfc822" || subtype == "global"); }
  std::size_t body_size() const { return body_end - body_begin; }
  std::size_t size() const { return body_end - header_begin; }
};

// Parses the whole text as one message. Never fails and never throws on any input.
Part parse_message(std::string_view text, const MimeLimits& limits = {});

// Counts text lines: every LF, plus one for a last line without one.
std::size_t count_lines(std::string_view body);

}  // namespace mailflow::sim::mime
