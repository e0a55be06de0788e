// The per-folder UID list, "mailflow-uidlist", after Dovecot's dovecot-uidlist: it gives
// every message of a folder an IMAP UID that never changes and is never reused
// (RFC 3501 §2.3.1.1), and the folder a UIDVALIDITY assigned once.
//
// Format (text, one record per line):
//   1 V<uidvalidity> N<nextuid>
//   <uid> <basename>
//   ...
// The basename is the message file name before ":2,", so flag changes (renames) keep the
// key. Replaced atomically on every change (write temporary, fsync, rename).
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
std::optional<UidList> parse_uid_list(std::string_view text);

// Loads <folder>/mailflow-uidlist. A missing file is a new list (`created` set); an
// unreadable header also starts a new list with a new UIDVALIDITY, which is exactly
// what RFC 3501 asks for when UIDs cannot be kept.
struct LoadedUidList {
  UidList list;
  bool created = false;
  std::string error;  // I/O failure reading it; `list` is then not to be trusted
};
LoadedUidList load_uid_list(const std::filesystem::path& folder);
IoResult save_uid_list(const std::filesystem::path& folder, const UidList& list);

}  // namespace mailflow::sim::maildir
