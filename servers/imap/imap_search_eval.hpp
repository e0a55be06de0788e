// Evaluating SEARCH criteria against one message: a pure function over a description of
// the message, so every key can be unit tested without a mailbox.
//
// RFC 3501 §6.4.4: string keys match "if the string is a substring of the field" and
// "the matching is case-insensitive"; HEADER with an empty string matches every message
// that has the field; BODY looks in the body, TEXT in header and body; BEFORE / ON /
// SINCE use the internal date, SENT* the Date: field, both "disregarding time and
// timezone"; NEW = RECENT and UNSEEN, OLD = NOT RECENT; "*" in a set is the largest
// sequence number or UID.
// Case-insensitive means ASCII case folding here (as Dovecot's i;ascii-casemap); the
// substring search is Knuth-Morris-Pratt, linear in the message whatever the pattern.
// Header values match as sent or with RFC 2047 encoded-words decoded; BODY and TEXT match
// the bytes as stored or the text parts decoded (imap_search_text.hpp), all in UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "servers/imap/imap_search.hpp"
#include "sim/mime.hpp"

namespace mailflow::imap {

struct SearchMessage {
  std::uint32_t seq = 0, uid = 0;
  std::uint32_t message_count = 0, max_uid = 0;  // what "*" means
  std::vector<std::string> flags;                // "\Seen", "\Deleted", keywords; any case
  bool recent = false;
  std::uint64_t size = 0;                        // RFC822.SIZE
  std::int64_t internal_day = 0;                 // INTERNALDATE's day, days since 1970-01-01
  std::string_view text;                         // the message as stored
  const sim::mime::Part* mime = nullptr;         // its parsed structure (fields of `text`)
};

bool matches(const SearchKey& key, const SearchMessage& message);

// How much of a message a FETCH item or SEARCH key needs: flag and size keys nothing (so a
// search for UNSEEN reads no file), header keys the header section, BODY and TEXT all.
// Ordered: the larger need covers the smaller.
enum class MessageContent { None, Header, Full };
MessageContent content_needed(const SearchKey& key);

// ASCII case-insensitive substring test, linear time. An empty needle is found.
bool contains_ignoring_case(std::string_view haystack, std::string_view needle);

}  // namespace mailflow::imap
