// FETCH's computed structure items from a parsed message (sim/mime.hpp): ENVELOPE, BODY
// and BODYSTRUCTURE, written exactly as they go on the wire.
//
// RFC 3501 §7.4.2 (ENVELOPE: date, subject, from, sender, reply-to, to, cc, bcc,
// in-reply-to, message-id; sender and reply-to default to from when absent or empty;
// address structures (name adl mailbox host) and group markers), §7.4.2 BODYSTRUCTURE
// (body-type-1part: type subtype params id description encoding size, plus lines for
// text/*, plus envelope, body and lines for message/rfc822; body-type-mpart: the parts,
// then the subtype; extension data: MD5, disposition, language, location for a single
// part, parameters, disposition, language, location for a multipart), §9 (body grammar).
//
// Style: type, subtype, parameter names, encoding and disposition in upper case as in
// RFC 3501's examples; values as sent. A text part without parameters gets
// ("CHARSET" "US-ASCII") as RFC 2045 §5.2 defaults it; no Content-Transfer-Encoding
// gives "7BIT" (RFC 2045 §6.1). Header text is never decoded: RFC 2047 encoded words
// reach the client as sent, as RFC 3501 requires.
// Leaves out: BINARY[] and BINARY.SIZE (RFC 3516).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/mime.hpp"

namespace mailflow::imap {

// "(date subject (from) (sender) (reply-to) (to) (cc) (bcc) in-reply-to message-id)".
std::string format_envelope(const std::vector<sim::mime::HeaderField>& fields);

// BODYSTRUCTURE when `extensible`, else BODY: of a whole message (its top Part).
std::string format_body_structure(const sim::mime::Part& message, bool extensible);

}  // namespace mailflow::imap
