// IMAP strings on the wire: how the server writes a value (atom, quoted string, literal,
// NIL) and the modified UTF-7 of mailbox names.
//
// RFC 3501 §4.3 (string = quoted / literal; a quoted string holds 7-bit text without CR,
// LF or NUL, with \" and \\ escaped), §4.5 (NIL), §5.1.3 (mailbox international naming:
// modified UTF-7, "&" shifts to modified base64 of UTF-16 with "," for "/", "&-" is "&",
// printable US-ASCII is never encoded), §9 (ATOM-CHAR).
// Leaves out: UTF8=ACCEPT (RFC 6855) quoted strings with raw UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailflow::imap {

// RFC 3501 §9: any CHAR except atom-specials ( ) { SP CTL % * " \ ].
bool is_atom_char(char c);

// A quoted string when the text allows one (7-bit, no CR/LF/NUL, under 1024 octets),
// else a synchronizing literal "{n}\r\n" followed by the bytes.
std::string format_string(std::string_view text);

// format_string, or NIL for nullopt.
std::string format_nstring(std::optional<std::string_view> text);

// An atom when every octet is an ATOM-CHAR (and it is not "NIL"), else format_string: how
// mailbox names and flags-like values appear in LIST and STATUS.
std::string format_astring(std::string_view text);

// Modified UTF-7 mailbox name -> UTF-8; nullopt when it is not valid modified UTF-7 (raw
// 8-bit octets, bad base64, an encoded printable ASCII character, a lone surrogate,
// non-zero padding bits) so the session can answer NO [CANNOT].
std::optional<std::string> decode_mailbox_name(std::string_view utf7);

// UTF-8 -> modified UTF-7; nullopt when the input is not valid UTF-8.
std::optional<std::string> encode_mailbox_name(std::string_view utf8);

}  // namespace mailflow::imap
