// What FETCH works out from a message that never changes, kept for every session of a
// server: its ENVELOPE and its journey id, per (user, folder, UIDVALIDITY, UID). A Maildir
// message is never rewritten (only its flags, in the file name, change), so an entry stays
// right for as long as that UID exists [Dovecot's dovecot.index.cache holds the same
// fields]. So FETCH 1:* (FLAGS ENVELOPE) over a big folder reads no file after the first
// time, in any session. Bounded: a folder stops taking entries past max_bytes_per_folder.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>

namespace mailflow::imap {

// The entries of one folder (one UIDVALIDITY of it). Thread-safe.
class FolderFacts {
 public:
  explicit FolderFacts(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  std::optional<std::string> envelope(std::uint32_t uid) const;
  std::optional<std::string> journey(std::uint32_t uid) const;  // "" when the message has none
  void put_envelope(std::uint32_t uid, const std::string& envelope);
  void put_journey(std::uint32_t uid, const std::string& journey);
  void forget(std::uint32_t uid);  // expunged

 private:
  struct Entry {
    std::optional<std::string> envelope;
    std::optional<std::string> journey;
  };
  bool full_locked(std::size_t more) const { return bytes_ + more > max_bytes_; }

  mutable std::mutex mutex_;
  std::unordered_map<std::uint32_t, Entry> entries_;
  std::size_t bytes_ = 0;
  const std::size_t max_bytes_;
};

class MessageCache {
 public:
  explicit MessageCache(std::size_t max_bytes_per_folder = 64u << 20) : max_bytes_per_folder_(max_bytes_per_folder) {}

  // The entries of `folder` of `address` as it is at `uidvalidity`; a new UIDVALIDITY
  // (the folder was recreated) starts afresh.
  std::shared_ptr<FolderFacts> folder(const std::string& address, const std::string& folder,
                                      std::uint32_t uidvalidity);
  // The folder was deleted or renamed (with the folders below it, "name.sub"): the names
  // may come back with other messages.
  void forget_folder(const std::string& address, const std::string& folder);

 private:
  struct Held {
    std::uint32_t uidvalidity = 0;
    std::shared_ptr<FolderFacts> facts;
  };
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Held> folders_;
  const std::size_t max_bytes_per_folder_;
};

}  // namespace mailflow::imap
