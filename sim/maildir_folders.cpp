// The Maildir store's folder operations (Maildir++ ".Name" directories: create, delete,
// rename with sub-folders, list), opening a user's Maildir, and MaildirStore, which hands
// out one shared Mailbox per address. Message operations are in maildir_store.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "sim/maildir_guard.hpp"
#include "sim/maildir_names.hpp"
#include "sim/maildir_store.hpp"

namespace mailflow::sim {
namespace fs = std::filesystem;
using namespace maildir;

namespace {

constexpr std::string_view kLockFileName = "mailflow.lock";
// Maildir++ marks a sub-folder with this empty file (Courier and Dovecot deliver by it).
constexpr std::string_view kFolderMarker = "maildirfolder";

// cur/ is made last: a folder counts as existing once it has cur/, so nobody sees a
// folder that lacks tmp/ or new/.
std::error_code make_folder_directories(const fs::path& folder, bool is_subfolder) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new"}) {
    fs::create_directories(folder / sub, ec);
    if (ec) return ec;
  }
  if (is_subfolder) {
    const fs::path marker = folder / kFolderMarker;
    UniqueFd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return {errno, std::generic_category()};
  }
  fs::create_directories(folder / "cur", ec);
  return ec;
}

StoreResult result_of(StoreStatus status, std::string error = {}) { return StoreResult{status, std::move(error)}; }

}  // namespace

Mailbox::Mailbox(OpenKey, std::string address, fs::path maildir, Quota quota, std::shared_ptr<Cache> cache,
                 std::shared_ptr<GroupSync> sync)
    : address_(std::move(address)),
      maildir_(std::move(maildir)),
      sync_(sync ? std::move(sync) : std::make_shared<GroupSync>()),
      quota_(quota),
      cache_(cache ? std::move(cache) : std::make_shared<Cache>()) {
  if (std::error_code ec = make_folder_directories(maildir_, false)) {
    throw fs::filesystem_error("create Maildir", maildir_, ec);
  }
  for (std::string_view folder : kDefaultFolders) {
    const fs::path path = maildir_ / *folder_directory(folder);
    if (std::error_code ec = make_folder_directories(path, true)) {
      throw fs::filesystem_error("create folder", path, ec);
    }
  }
  const fs::path lock_path = maildir_ / kLockFileName;
  lock_fd_ = UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd_.valid()) {
    throw fs::filesystem_error("open lock file", lock_path, std::error_code(errno, std::generic_category()));
  }
}

StoreValue<std::vector<std::string>> Mailbox::list_folders() const {
  StoreValue<std::vector<std::string>> names;
  std::error_code ec;
  for (fs::directory_iterator it(maildir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::optional<std::string> name = folder_from_directory(it->path().filename().string());
    std::error_code dir_ec;
    if (name && fs::is_directory(it->path() / "cur", dir_ec)) names.value.push_back(std::move(*name));
  }
  if (ec) {
    names.status = StoreStatus::IoError;
    names.error = fmt::format("list {}: {}", maildir_.string(), ec.message());
    return names;
  }
  std::sort(names.value.begin(), names.value.end());
  names.value.insert(names.value.begin(), std::string(kInbox));
  return names;
}

bool Mailbox::folder_exists(std::string_view folder) const { return existing_folder_path(folder).ok(); }

StoreResult Mailbox::create_folder(std::string_view folder) {
  const std::optional<std::string> dir = folder_directory(folder);
  if (!dir) return result_of(StoreStatus::InvalidName);
  if (dir->empty()) return result_of(StoreStatus::AlreadyExists, "INBOX always exists");
  Guard guard(*this);
  const fs::path path = maildir_ / *dir;
  std::error_code ec;
  if (fs::exists(path, ec)) return result_of(StoreStatus::AlreadyExists, path.string());
  if (std::error_code made = make_folder_directories(path, true)) {
    fs::remove_all(path, ec);
    return result_of(StoreStatus::IoError, fmt::format("create {}: {}", path.string(), made.message()));
  }
  if (IoResult synced = fsync_directory(maildir_); !synced.ok()) return result_of(StoreStatus::IoError, synced.error);
  return {};
}

StoreResult Mailbox::delete_folder(std::string_view folder) {
  const std::optional<std::string> dir = folder_directory(folder);
  if (!dir) return result_of(StoreStatus::InvalidName);
  if (dir->empty()) return result_of(StoreStatus::NotPermitted, "INBOX cannot be deleted");  // RFC 3501 §6.3.4
  Guard guard(*this);
  const fs::path path = maildir_ / *dir;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return result_of(StoreStatus::NoSuchFolder, path.string());
  // One rename makes the whole folder vanish at once; the slow removal happens where no
  // reader looks (tmp/ is never a folder and Maildir tools clean it).
  const fs::path doomed = maildir_ / "tmp" / ("mailflow-deleted." + unique_basename(0));
  if (::rename(path.c_str(), doomed.c_str()) != 0) {
    return result_of(StoreStatus::IoError, fmt::format("rename {}: {}", path.string(), std::strerror(errno)));
  }
  index_.erase(path);
  cache_->uids.erase(path);
  if (cache_->usage_valid) cache_->usage.erase(path);
  note_change_locked(path);
  bump_generation_locked();
  fs::remove_all(doomed, ec);
  if (IoResult synced = fsync_directory(maildir_); !synced.ok()) return result_of(StoreStatus::IoError, synced.error);
  return {};
}

StoreResult Mailbox::rename_folder(std::string_view from, std::string_view to) {
  const std::optional<std::string> from_dir = folder_directory(from);
  const std::optional<std::string> to_dir = folder_directory(to);
  if (!from_dir || !to_dir) return result_of(StoreStatus::InvalidName);
  // Renaming INBOX means moving its messages (RFC 3501 §6.3.5); the lab does not offer it.
  if (from_dir->empty()) return result_of(StoreStatus::NotPermitted, "INBOX cannot be renamed");
  if (to_dir->empty()) return result_of(StoreStatus::AlreadyExists, "INBOX always exists");
  const std::string child_prefix = *from_dir + kHierarchySeparator;
  if (to_dir->rfind(child_prefix, 0) == 0) return result_of(StoreStatus::NotPermitted, "cannot move a folder into itself");

  Guard guard(*this);
  std::error_code ec;
  if (!fs::is_directory(maildir_ / *from_dir / "cur", ec)) return result_of(StoreStatus::NoSuchFolder);
  // The folder and each sub-folder, with their new names; every target must be free.
  std::vector<std::pair<std::string, std::string>> moves{{*from_dir, *to_dir}};
  for (fs::directory_iterator it(maildir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(child_prefix, 0) == 0) moves.emplace_back(name, *to_dir + name.substr(from_dir->size()));
  }
  if (ec) return result_of(StoreStatus::IoError, ec.message());
  for (const auto& [old_name, new_name] : moves) {
    if (fs::exists(maildir_ / new_name, ec)) return result_of(StoreStatus::AlreadyExists, new_name);
  }
  for (const auto& [old_name, new_name] : moves) {
    const fs::path source = maildir_ / old_name;
    if (::rename(source.c_str(), (maildir_ / new_name).c_str()) != 0) {
      return result_of(StoreStatus::IoError, fmt::format("rename {}: {}", source.string(), std::strerror(errno)));
    }
    note_change_locked(source);
    note_change_locked(maildir_ / new_name);
  }
  index_.clear();
  cache_->uids.clear();
  cache_->usage_valid = false;  // keyed by path; recounted at next use (renames are rare)
  cache_->usage.clear();
  bump_generation_locked();
  if (IoResult synced = fsync_directory(maildir_); !synced.ok()) return result_of(StoreStatus::IoError, synced.error);
  return {};
}

// --- change stamps ---------------------------------------------------------------------

namespace {

// The lock file holds the usage generation at offset 0 and this counter at offset 8.
constexpr off_t kLockChangesOffset = 8;

void stat_directory(const fs::path& dir, long long& mtime_ns, long long& ctime_ns) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    mtime_ns = ctime_ns = -1;
    return;
  }
  mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec;
  ctime_ns = static_cast<long long>(info.st_ctim.tv_sec) * 1'000'000'000LL + info.st_ctim.tv_nsec;
}

}  // namespace

void Mailbox::observe_foreign_changes_locked() const {
  std::uint64_t on_disk = 0;
  if (::pread(lock_fd_.get(), &on_disk, sizeof on_disk, kLockChangesOffset) != static_cast<ssize_t>(sizeof on_disk)) {
    on_disk = 0;
  }
  if (cache_->lock_changes_known && on_disk != cache_->lock_changes) ++cache_->foreign_epoch;
  cache_->lock_changes = on_disk;
  cache_->lock_changes_known = true;
}

void Mailbox::note_change_locked(const fs::path& folder_path) const {
  observe_foreign_changes_locked();
  ++cache_->folder_changes[folder_path];
  const std::uint64_t next = cache_->lock_changes + 1;
  // Not fsynced: after a crash no process holds a stamp.
  if (::pwrite(lock_fd_.get(), &next, sizeof next, kLockChangesOffset) == static_cast<ssize_t>(sizeof next)) {
    cache_->lock_changes = next;
  }
}

FolderStamp Mailbox::stamp_locked(const fs::path& folder_path) const {
  observe_foreign_changes_locked();
  FolderStamp stamp;
  const auto changes = cache_->folder_changes.find(folder_path);
  stamp.changes = changes == cache_->folder_changes.end() ? 0 : changes->second;
  stamp.foreign_epoch = cache_->foreign_epoch;
  stat_directory(folder_path / "new", stamp.new_mtime_ns, stamp.new_ctime_ns);
  stat_directory(folder_path / "cur", stamp.cur_mtime_ns, stamp.cur_ctime_ns);
  return stamp;
}

StoreValue<FolderStamp> Mailbox::stamp(std::string_view folder) {
  Guard guard(*this);
  StoreValue<FolderStamp> stamp;
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) {
    stamp.status = path.status;
    stamp.error = path.error;
    return stamp;
  }
  stamp.value = stamp_locked(path.value);
  return stamp;
}

StoreValue<FolderListing> Mailbox::listing(std::string_view folder) {
  Guard guard(*this);
  StoreValue<FolderListing> listing;
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) {
    listing.status = path.status;
    listing.error = path.error;
    return listing;
  }
  // Directory times before the scan, so another program's change during it still moves
  // the stamp; the counters after it, since the scan itself may count as a change.
  const FolderStamp before = stamp_locked(path.value);
  StoreValue<FolderScan> scan = scan_locked(path.value);
  if (!scan.ok()) {
    listing.status = scan.status;
    listing.error = scan.error;
    return listing;
  }
  listing.value.stamp = stamp_locked(path.value);
  listing.value.stamp.new_mtime_ns = before.new_mtime_ns;
  listing.value.stamp.new_ctime_ns = before.new_ctime_ns;
  listing.value.stamp.cur_mtime_ns = before.cur_mtime_ns;
  listing.value.stamp.cur_ctime_ns = before.cur_ctime_ns;
  listing.value.uidvalidity = scan.value.uidvalidity;
  listing.value.uidnext = scan.value.uidnext;
  listing.value.messages = std::move(scan.value.messages);
  return listing;
}

MaildirStore::MaildirStore(fs::path root) : root_(std::move(root)) {}

std::optional<fs::path> MaildirStore::maildir_of(std::string_view address) const {
  const std::optional<MailboxLocation> location = mailbox_location(address);
  if (!location) return std::nullopt;
  return root_ / location->domain / location->local_part;
}

std::shared_ptr<Mailbox> MaildirStore::open(std::string_view address, const Quota& quota) {
  const std::optional<fs::path> maildir = maildir_of(address);
  if (!maildir) throw std::invalid_argument("address cannot name a mailbox safely");
  std::lock_guard lock(mutex_);
  std::erase_if(open_, [](const auto& entry) { return entry.second.expired(); });
  if (auto it = open_.find(*maildir); it != open_.end()) {
    if (std::shared_ptr<Mailbox> mailbox = it->second.lock()) {
      mailbox->set_quota(quota);
      return mailbox;
    }
  }
  std::shared_ptr<Mailbox::Cache>& cache = caches_[*maildir];
  if (!cache) cache = std::make_shared<Mailbox::Cache>();
  auto mailbox = std::make_shared<Mailbox>(Mailbox::OpenKey{}, std::string(address), *maildir, quota, cache, sync_);
  open_[*maildir] = mailbox;
  return mailbox;
}

}  // namespace mailflow::sim
