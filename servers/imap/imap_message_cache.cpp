#include "servers/imap/imap_message_cache.hpp"

#include <algorithm>

namespace mailflow::imap {

namespace {
// Roughly what an entry costs besides its strings.
constexpr std::size_t kEntryOverhead = 64;
}  // namespace

std::optional<std::string> FolderFacts::envelope(std::uint32_t uid) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(uid);
  if (it == entries_.end()) return std::nullopt;
  return it->second.envelope;
}

std::optional<std::string> FolderFacts::journey(std::uint32_t uid) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(uid);
  if (it == entries_.end()) return std::nullopt;
  return it->second.journey;
}

void FolderFacts::put_envelope(std::uint32_t uid, const std::string& envelope) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(uid);
  const std::size_t more = envelope.size() + (it == entries_.end() ? kEntryOverhead : 0);
  if ((it != entries_.end() && it->second.envelope) || full_locked(more)) return;
  entries_[uid].envelope = envelope;
  bytes_ += more;
}

void FolderFacts::put_journey(std::uint32_t uid, const std::string& journey) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(uid);
  const std::size_t more = journey.size() + (it == entries_.end() ? kEntryOverhead : 0);
  if ((it != entries_.end() && it->second.journey) || full_locked(more)) return;
  entries_[uid].journey = journey;
  bytes_ += more;
}

void FolderFacts::forget(std::uint32_t uid) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(uid);
  if (it == entries_.end()) return;
  std::size_t size = kEntryOverhead + (it->second.envelope ? it->second.envelope->size() : 0) +
                     (it->second.journey ? it->second.journey->size() : 0);
  bytes_ -= std::min(bytes_, size);
  entries_.erase(it);
}

std::shared_ptr<FolderFacts> MessageCache::folder(const std::string& address, const std::string& folder,
                                                  std::uint32_t uidvalidity) {
  std::lock_guard lock(mutex_);
  Held& held = folders_[{address, folder}];
  if (!held.facts || held.uidvalidity != uidvalidity) {
    held.uidvalidity = uidvalidity;
    held.facts = std::make_shared<FolderFacts>(max_bytes_per_folder_);
  }
  return held.facts;
}

void MessageCache::forget_folder(const std::string& address, const std::string& folder) {
  std::lock_guard lock(mutex_);
  const std::string below = folder + ".";
  for (auto it = folders_.lower_bound({address, folder}); it != folders_.end() && it->first.first == address;) {
    const std::string& name = it->first.second;
    if (name.compare(0, folder.size(), folder) != 0) break;  // past every name starting so
    if (name == folder || name.compare(0, below.size(), below) == 0) {
      it = folders_.erase(it);
    } else {
      ++it;  // "name-2" sorts between "name" and "name.sub"
    }
  }
}

}  // namespace mailflow::imap
