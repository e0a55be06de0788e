// The per-folder UID list, "mailflow-uidlist", after Dovecot's dovecot-uidlist: it gives
// every message of a folder an IMAP UID that never changes and is never reused
// (RFC 3501 §2.3.1.1), and the folder a UIDVALIDITY assigned once.
//
// Format (text, one record per line):
//   1 V<uidvalidity> N<nextuid>
//   <uid> <basename>
//   ...
// The basename is the message file name before ":2,", so flag changes (renames) keep the
// key. A new record is appended (one line plus fsync of the file, O(1) per delivery);
// the whole file is replaced atomically (write temporary, fsync, rename) when records go
// away (expunge, a scan retiring vanished files), when it is created, or after a crash left
// a torn tail. So the header's N may lag behind appended records: the next UID is
// max(N, highest uid + 1). A last line without its newline is an interrupted append: it
// is ignored (its message, if its file exists, gets a UID at the next scan) and never
// glued to the next append, because the file is rewritten before anything is appended.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sim/maildir_io.hpp"

namespace mailflow::sim::maildir {

inline constexpr std::string_view kUidListFileName = "mailflow-uidlist";
inline constexpr int kUidListVersion = 1;

struct UidList {
  std::uint32_t uidvalidity = 0;
  std::uint32_t next_uid = 1;                       // UIDNEXT: strictly above every uid ever given
  std::map<std::uint32_t, std::string> basenames;   // uid -> basename, ascending uid
};

// A basename the list can hold: one path component, no whitespace, control byte or ':'.
// Files on disk whose names fail this are not messages to the store.
bool is_valid_basename(std::string_view name);

// A list for a new folder: next_uid 1 and a UIDVALIDITY from fresh_uidvalidity().
UidList new_uid_list();

// The current time in seconds, but strictly above any value this process handed out
// before, so a folder deleted and re-created within a second still gets a new
// UIDVALIDITY (RFC 3501 §2.3.1.1: UIDs must not be reused under the same UIDVALIDITY).
std::uint32_t fresh_uidvalidity();

std::string serialize_uid_list(const UidList& list);
// nullopt when the header is unreadable. Malformed or duplicate record lines are
// skipped (their messages get new UIDs at the next scan), and next_uid is raised above
// every UID present so a damaged file can never cause a UID to be reused.
// A last record line without '\n' is torn: skipped, `torn` set, and next_uid still
// raised above the UID digits it starts with (never reuse a UID that may have been seen).
std::optional<UidList> parse_uid_list(std::string_view text, bool* torn = nullptr);

// What the file looked like (identity, size, times): a changed stamp means another
// process (or Mailbox object) changed the list, so a cached copy must be reloaded.
struct UidListStamp {
  bool exists = false;
  unsigned long long dev = 0, ino = 0, size = 0;
  long long mtime_ns = 0, ctime_ns = 0;
  bool operator==(const UidListStamp&) const = default;
};
UidListStamp stamp_uid_list(const std::filesystem::path& folder);

// Loads <folder>/mailflow-uidlist. A missing file is a new list (`created` set); an
// unreadable header also starts a new list with a new UIDVALIDITY, which is exactly
// what RFC 3501 asks for when UIDs cannot be kept.
struct LoadedUidList {
  UidList list;
  bool created = false;
  bool torn = false;  // the file ends in an incomplete record: rewrite before appending
  std::string error;  // I/O failure reading it; `list` is then not to be trusted
};
LoadedUidList load_uid_list(const std::filesystem::path& folder);
IoResult save_uid_list(const std::filesystem::path& folder, const UidList& list);
// Appends "<uid> <basename>\n" records to an existing, untorn list and fsyncs it, or
// leaves the fsync to the caller (FsyncBy::Caller: a GroupSync pass makes it durable).
IoResult append_uid_records(const std::filesystem::path& folder,
                            const std::map<std::uint32_t, std::string>& records, FsyncBy fsync = FsyncBy::Self);

}  // namespace mailflow::sim::maildir
