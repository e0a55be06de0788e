// LIST and LSUB mailbox patterns: which mailbox names a reference and a pattern select.
//
// RFC 3501 §6.3.8: the reference and the mailbox argument are joined (a reference ending
// in the hierarchy delimiter and a pattern starting with it give one delimiter); "*"
// matches zero or more characters, "%" the same but never the hierarchy delimiter; an
// empty pattern is the special request for the delimiter and the root (the session
// answers it without matching). §5.1: "INBOX" matches in any case.
// Matching is dynamic programming over (pattern, name): O(|pattern| x |name|) with one
// row of memory, whatever the wildcards, so a pattern full of "*%*%" cannot make it
// exponential.
#pragma once

#include <string>
#include <string_view>

namespace mailflow::imap {

// reference + pattern as one pattern (RFC 3501 §6.3.8).
std::string join_list_pattern(std::string_view reference, std::string_view pattern, char delimiter);

// `name` (a mailbox name as the server lists it) matches the joined pattern.
bool list_pattern_matches(std::string_view pattern, std::string_view name, char delimiter);

}  // namespace mailflow::imap
