// Message text as a person reads it, for SEARCH: header values with their RFC 2047
// encoded-words decoded, and text parts with their Content-Transfer-Encoding undone, both
// converted to UTF-8, so that SEARCH SUBJECT "café" finds "=?ISO-8859-1?Q?caf=E9?=" and
// BODY "Grüße" finds a base64 or quoted-printable body (RFC 3501 §6.4.4 matches the
// text, not its transport form).
//
// RFC 2047 §2-§6 (encoded-word = "=?" charset ["*" language] "?" B/Q "?" text "?=", white
// space between adjacent encoded-words is dropped, Q's "_" is a space), RFC 2045 §6.7
// (quoted-printable, soft line breaks "=" CRLF), §6.8 (base64, characters outside the
// alphabet ignored), RFC 2231 §5 (the "*language" suffix). Charsets other than UTF-8 and
// US-ASCII go through iconv (glibc knows ISO-8859-*, Windows-125x, ISO-2022-JP,
// Shift_JIS, EUC-JP, GB2312, KOI8-R and more); bytes it cannot convert are dropped.
// Malformed input never fails: a broken encoded-word stays as written, a broken escape
// stays literal. Output is at most a small multiple of the input (no decompression).
#pragma once

#include <string>
#include <string_view>

#include "sim/mime.hpp"

namespace mailflow::imap {

// The unfolded value of a header field with every encoded-word decoded to UTF-8.
std::string decode_header_value(std::string_view value);

// A leaf part's body as UTF-8 text: base64 / quoted-printable undone, then converted from
// the Content-Type charset (default US-ASCII). `text` is what `part`'s offsets index.
std::string decode_part_text(const sim::mime::Part& part, std::string_view text);

std::string decode_quoted_printable(std::string_view encoded);
std::string decode_base64(std::string_view encoded);
// `bytes` in `charset` as UTF-8; the bytes as they are for UTF-8, US-ASCII and charsets
// iconv does not know.
std::string to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace mailflow::imap
