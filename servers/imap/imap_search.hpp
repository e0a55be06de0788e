// SEARCH criteria: the search keys of RFC 3501 parsed into a SearchKey tree that
// imap_search_eval.hpp evaluates.
//
// RFC 3501 §6.4.4 (SEARCH [CHARSET charset] key...; several keys mean AND; every key of
// the grammar: ALL ANSWERED BCC BEFORE BODY CC DELETED DRAFT FLAGGED FROM HEADER KEYWORD
// LARGER NEW NOT OLD ON OR RECENT SEEN SENTBEFORE SENTON SENTSINCE SINCE SMALLER SUBJECT
// TEXT TO UID UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD UNSEEN, a sequence set, a
// parenthesized group), §9 (search-key, date = date-text / DQUOTE date-text DQUOTE).
// CHARSET: US-ASCII and UTF-8 (the one RFC 3501 requires and the one clients send);
// anything else fails with [BADCHARSET (US-ASCII UTF-8)].
// NOT and OR nest like parentheses and count against ImapLimits::max_list_depth.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "servers/imap/imap_scanner.hpp"
#include "servers/imap/imap_sequence.hpp"

namespace mailflow::imap {

struct SearchKey {
  enum class Kind {
    All, Answered, Bcc, Before, Body, Cc, Deleted, Draft, Flagged, From, Header, Keyword, Larger, New, Not, Old,
    On, Or, Recent, Seen, SentBefore, SentOn, SentSince, Since, Smaller, Subject, Text, To, Uid, Unanswered,
    Undeleted, Undraft, Unflagged, Unkeyword, Unseen,
    SequenceNumbers,  // a bare sequence set
    And,              // a parenthesized group, and the top of every SEARCH
  };
  Kind kind = Kind::All;
  std::string text;                 // the string of BCC..TO, HEADER's value, KEYWORD's flag
  std::string field;                // HEADER's field name
  std::int64_t day = 0;             // BEFORE, ON, SINCE, SENT*: days since 1970-01-01
  std::uint64_t size = 0;           // LARGER, SMALLER
  SequenceSet set;                  // UID, SequenceNumbers
  std::vector<SearchKey> children;  // NOT: 1, OR: 2, And: 1 or more

  bool operator==(const SearchKey&) const = default;
};

struct SearchCriteria {
  std::optional<std::string> charset;  // as the client wrote it; nullopt when absent
  SearchKey key;                       // Kind::And of the keys given
  bool operator==(const SearchCriteria&) const = default;
};

// "[CHARSET astring SP] search-key *(SP search-key)", after "SEARCH SP". False on bad
// syntax (the scanner holds the error, and BADCHARSET as its code for an unknown charset).
bool parse_search_criteria(ImapScanner& in, std::size_t max_depth, SearchCriteria& criteria);

// The charsets SEARCH accepts, for [BADCHARSET (...)] and CAPABILITY-like listings.
inline constexpr std::string_view kSearchCharsets = "(US-ASCII UTF-8)";

}  // namespace mailflow::imap
