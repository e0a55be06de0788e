// Names in a Maildir: which client folder names are allowed and the directory each maps
// to (Maildir++: INBOX is the Maildir itself, "Sent" is ".Sent", "a.b" is ".a.b"), how a
// mail address maps to <domain>/<localpart>, the unique message file names of
// https://cr.yp.to/proto/maildir.html with Dovecot's ",S=<size>", and the ":2,<flags>"
// info suffix. Pure functions with no I/O except the host name and clock for new names.
//
// Client text never builds a path directly: it goes through folder_directory() or
// mailbox_location(), which either return a single safe path component or refuse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailflow::sim::maildir {

inline constexpr std::string_view kInbox = "INBOX";
// Maildir++ hierarchy separator, also the one IMAP LIST reports.
inline constexpr char kHierarchySeparator = '.';
inline constexpr std::size_t kMaxFolderNameBytes = 200;
// The standard Maildir flags, in the ASCII order they must appear in a file name:
// Draft, Flagged, Passed (forwarded), Replied, Seen, Trashed (marked for deletion).
inline constexpr std::string_view kStandardFlags = "DFPRST";

// RFC 3501 §5.1: "INBOX" is case-insensitive.
bool is_inbox(std::string_view folder);

// The directory entry (inside the user's Maildir) for a client folder name: "" for INBOX,
// ".Sent" for "Sent", ".Archive.2024" for "Archive.2024". nullopt when the name is unsafe
// or malformed: empty, too long, a NUL or control byte, '/', '\\', the IMAP wildcards '*'
// and '%', a leading or trailing '.', or an empty hierarchy level ("a..b", "..").
std::optional<std::string> folder_directory(std::string_view folder);

// The inverse, for listing: ".Sent" -> "Sent". nullopt for entries that are not folders
// (no leading dot, ".", "..", or a name folder_directory() would refuse).
std::optional<std::string> folder_from_directory(std::string_view entry);

struct MailboxLocation {
  std::string domain;      // lower case: "beta.test"
  std::string local_part;  // as given: "bob"
};

// "bob@Beta.Test" -> {"beta.test", "bob"}. Each part must be a single safe path component
// (the same byte rules as folder names, and no leading dot). nullopt otherwise.
std::optional<MailboxLocation> mailbox_location(std::string_view address);

// A fresh unique base name: "<secs>.M<usec>P<pid>Q<counter>.<host>,S=<size>". The host
// name has '/', ':' and ',' escaped as \057, \072 and \054 as the Maildir spec asks.
std::string unique_basename(std::uint64_t size);

struct MessageFileName {
  std::string basename;  // everything before the first ':'; the UID list's key
  std::string flags;     // the letters after ":2,", as found on disk
};
MessageFileName parse_message_file_name(std::string_view file_name);

// The size Dovecot-style names carry (",S=1234"), so quota needs no stat().
std::optional<std::uint64_t> size_from_basename(std::string_view basename);

// Sorted, de-duplicated flag letters; nullopt if anything is not an ASCII letter (the
// standard ones are upper case, Dovecot keywords lower case; both keep their meaning).
std::optional<std::string> normalize_flags(std::string_view flags);

// "<basename>:2,<flags>", the name of a message in cur/.
std::string cur_file_name(std::string_view basename, std::string_view flags);

}  // namespace mailflow::sim::maildir
