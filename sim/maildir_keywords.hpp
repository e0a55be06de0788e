// IMAP keywords in a Maildir, kept the way Dovecot keeps them so Dovecot, mutt and the
// lab agree: a per-folder file "dovecot-keywords" maps the lower-case Maildir flag
// letters to names, one line per keyword, "<index> <name>", index 0 being letter 'a':
//   0 $Forwarded
//   1 $Junk
// A message with keyword $Junk has 'b' in its ":2," info, sorted after the system flags
// ("1700000000.M1P2Q3.host,S=12:2,Sb"). Letters name a keyword for the life of the
// folder: entries are only ever added, so a letter seen on disk never changes meaning.
// The file is replaced atomically (maildir_io.hpp), under the mailbox lock.
// 26 letters is a hard limit of the format; a 27th keyword is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::sim::maildir {

inline constexpr std::string_view kKeywordsFileName = "dovecot-keywords";
inline constexpr std::size_t kMaxKeywords = 26;
// Dovecot refuses longer names too; it keeps one bad client from growing the file.
inline constexpr std::size_t kMaxKeywordBytes = 128;

// An IMAP flag-keyword (RFC 3501 §9: atom) that the file can hold: 1 to 128 bytes of
// printable ASCII without atom-specials ("(){ %*\"\\]") and without a leading '\'.
bool is_valid_keyword(std::string_view name);

// Keyword i of the result is letter 'a' + i. Unreadable lines, indexes past 25 and
// duplicate names are skipped; a gap in the indexes is kept as an empty name, so a
// letter keeps its meaning even when a line in the middle was damaged.
std::vector<std::string> parse_keywords(std::string_view text);
std::string serialize_keywords(const std::vector<std::string>& keywords);

// The index of `name` (ASCII case-insensitive, as IMAP compares flags), or nullopt.
std::optional<std::size_t> find_keyword(const std::vector<std::string>& keywords, std::string_view name);

inline char keyword_letter(std::size_t index) { return static_cast<char>('a' + index); }
inline bool is_keyword_letter(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace mailflow::sim::maildir
