// The Maildir store's message operations: delivery with quota, scanning a folder into
// UID order, reading, flag renames, \Recent hand-over and expunge. Folder operations
// and MaildirStore live in maildir_folders.cpp. See maildir_store.hpp for the promises.
#include "sim/maildir_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "sim/maildir_guard.hpp"
#include "sim/maildir_names.hpp"
#include "sim/maildir_uidlist.hpp"

namespace mailflow::sim {
namespace fs = std::filesystem;
using namespace maildir;

namespace {

struct DiskFile {
  std::string file_name;
  std::string flags;
  bool in_new = false;
};
// basename -> the file holding it
using DiskFiles = std::map<std::string, DiskFile>;

const char* subdir(bool in_new) { return in_new ? "new" : "cur"; }

// Lists new/ then cur/. In that order a message moved new -> cur by another process
// during the listing is still seen once; if a basename is in both (a crash mid-move)
// the cur/ copy wins, as it carries the flags.
IoResult read_message_files(const fs::path& folder, DiskFiles& files) {
  for (const bool in_new : {true, false}) {
    std::error_code ec;
    const fs::path dir = folder / subdir(in_new);
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name.front() == '.') continue;
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec)) continue;  // vanished meanwhile, or not a message
      MessageFileName parsed = parse_message_file_name(name);
      if (!is_valid_basename(parsed.basename)) continue;
      files[parsed.basename] = DiskFile{name, std::move(parsed.flags), in_new};
    }
    if (ec) return {fmt::format("list {}: {}", dir.string(), ec.message())};
  }
  return {};
}

std::optional<Mailbox::FileFacts> stat_file(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  const auto mtime = std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec);
  return Mailbox::FileFacts{static_cast<std::uint64_t>(info.st_size),
                            TimePoint(std::chrono::duration_cast<TimePoint::duration>(mtime))};
}

// True when new/ holds a message, or cannot be listed (the caller's scan reports that).
bool has_new_messages(const fs::path& folder) {
  std::error_code ec;
  for (fs::directory_iterator it(folder / "new", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name.front() != '.') return true;
  }
  return static_cast<bool>(ec);
}

bool would_exceed(const Quota& quota, const MailboxUsage& usage, std::uint64_t size) {
  const bool bytes_over = quota.bytes != 0 && usage.bytes + size > quota.bytes;
  const bool count_over = quota.messages != 0 && usage.messages + 1 > quota.messages;
  return bytes_over || count_over;
}

void fill_quota_refusal(DeliveryResult& result, const Quota& quota, const MailboxUsage& usage,
                        std::uint64_t size) {
  result.status = StoreStatus::QuotaExceeded;
  result.temporary = quota.temporary;
  result.usage = usage;
  result.limit = quota;
  result.error = fmt::format("quota: {} bytes in {} messages, limit {} bytes / {} messages, message {} bytes",
                             usage.bytes, usage.messages, quota.bytes, quota.messages, size);
}

template <class T>
StoreValue<T> failure(StoreStatus status, std::string error = {}) {
  StoreValue<T> value;
  value.status = status;
  value.error = std::move(error);
  return value;
}

template <class T, class U>
StoreValue<T> failure_from(const StoreValue<U>& other) {
  return failure<T>(other.status, other.error);
}

DeliveryResult delivery_failure(StoreStatus status, std::string error) {
  DeliveryResult result;
  result.status = status;
  result.error = std::move(error);
  return result;
}

std::string errno_text(std::string_view what, const fs::path& path) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(errno));
}

}  // namespace

std::string_view store_status_name(StoreStatus s) {
  switch (s) {
    case StoreStatus::Ok: return "ok";
    case StoreStatus::QuotaExceeded: return "quota-exceeded";
    case StoreStatus::IoError: return "io-error";
    case StoreStatus::NoSuchFolder: return "no-such-folder";
    case StoreStatus::NoSuchMessage: return "no-such-message";
    case StoreStatus::InvalidName: return "invalid-name";
    case StoreStatus::InvalidFlags: return "invalid-flags";
    case StoreStatus::AlreadyExists: return "already-exists";
    case StoreStatus::NotPermitted: return "not-permitted";
    case StoreStatus::TooManyKeywords: return "too-many-keywords";
  }
  return "unknown";
}

Quota Mailbox::quota() const {
  std::lock_guard lock(mutex_);
  return quota_;
}

void Mailbox::set_quota(const Quota& quota) {
  std::lock_guard lock(mutex_);
  quota_ = quota;
}

StoreValue<MailboxUsage> Mailbox::usage() const {
  Guard guard(*this);
  return usage_locked();
}

std::optional<MailboxUsage> Mailbox::cached_usage_locked() const {
  if (!cache_->usage_valid) return std::nullopt;
  MailboxUsage total;
  for (const auto& [folder, usage] : cache_->usage) {
    total.bytes += usage.bytes;
    total.messages += usage.messages;
  }
  return total;
}

StoreValue<MailboxUsage> Mailbox::usage_estimate() const {
  {
    std::lock_guard lock(mutex_);
    if (auto cached = cached_usage_locked()) {
      StoreValue<MailboxUsage> estimate;
      estimate.value = *cached;
      return estimate;
    }
  }
  return usage();
}

StoreValue<fs::path> Mailbox::existing_folder_path(std::string_view folder) const {
  const std::optional<std::string> dir = folder_directory(folder);
  if (!dir) return failure<fs::path>(StoreStatus::InvalidName, fmt::format("unsafe folder name ({} bytes)", folder.size()));
  StoreValue<fs::path> path;
  path.value = dir->empty() ? maildir_ : maildir_ / *dir;
  std::error_code ec;
  if (!fs::is_directory(path.value / "cur", ec)) return failure<fs::path>(StoreStatus::NoSuchFolder, path.value.string());
  return path;
}

void Mailbox::sync_generation_locked() const {
  std::uint64_t generation = 0;
  if (::pread(lock_fd_.get(), &generation, sizeof generation, 0) != static_cast<ssize_t>(sizeof generation)) generation = 0;
  if (!cache_->generation_known || generation != cache_->generation) {
    cache_->usage_valid = false;  // another process (or a restart) changed the Maildir
    cache_->usage.clear();
    cache_->generation = generation;
    cache_->generation_known = true;
  }
}

void Mailbox::bump_generation_locked() const {
  sync_generation_locked();
  const std::uint64_t next = cache_->generation + 1;
  // Not fsynced: after a crash every cache is gone anyway.
  if (::pwrite(lock_fd_.get(), &next, sizeof next, 0) == static_cast<ssize_t>(sizeof next)) cache_->generation = next;
}

void Mailbox::adjust_usage_locked(const fs::path& folder_path, std::int64_t bytes, std::int64_t messages) const {
  if (!cache_->usage_valid) return;
  MailboxUsage& usage = cache_->usage[folder_path];
  auto apply = [](std::uint64_t& value, std::int64_t delta) {
    if (delta < 0 && value < static_cast<std::uint64_t>(-delta)) {
      value = 0;
    } else {
      value += static_cast<std::uint64_t>(delta);
    }
  };
  apply(usage.bytes, bytes);
  apply(usage.messages, messages);
}

StoreValue<Mailbox::FolderUids*> Mailbox::uids_locked(const fs::path& folder_path) const {
  const UidListStamp stamp = stamp_uid_list(folder_path);
  auto cached = cache_->uids.find(folder_path);
  if (cached != cache_->uids.end() && cached->second.stamp == stamp) {
    StoreValue<FolderUids*> hit;
    hit.value = &cached->second;
    return hit;
  }
  LoadedUidList loaded = load_uid_list(folder_path);
  ++stats_.uidlist_loads;
  if (!loaded.error.empty()) return failure<FolderUids*>(StoreStatus::IoError, loaded.error);
  FolderUids& uids = cache_->uids[folder_path];
  if (cached != cache_->uids.end() && !loaded.created && uids.list.uidvalidity == loaded.list.uidvalidity &&
      uids.list.next_uid > loaded.list.next_uid) {
    loaded.list.next_uid = uids.list.next_uid;  // never backwards, even after a failed write
  }
  uids.list = std::move(loaded.list);
  uids.stamp = stamp_uid_list(folder_path);
  uids.needs_rewrite = loaded.created || loaded.torn;
  StoreValue<FolderUids*> result;
  result.value = &uids;
  return result;
}

IoResult Mailbox::persist_uids_locked(const fs::path& folder_path, FolderUids& uids,
                                      const std::map<std::uint32_t, std::string>& added, FsyncBy fsync) const {
  IoResult result;
  if (uids.needs_rewrite) {
    result = save_uid_list(folder_path, uids.list);
    ++stats_.uidlist_rewrites;
  } else if (!added.empty()) {
    result = append_uid_records(folder_path, added, fsync);
    ++stats_.uidlist_appends;
  }
  if (!result.ok()) {
    // What is on disk is unknown now (maybe a torn line): reload before the next change.
    uids.stamp = UidListStamp{};
    uids.stamp.exists = true;
    uids.stamp.size = ~0ULL;
    return result;
  }
  uids.needs_rewrite = false;
  uids.stamp = stamp_uid_list(folder_path);
  return result;
}

StoreValue<MailboxUsage> Mailbox::usage_locked() const {
  sync_generation_locked();
  if (auto cached = cached_usage_locked()) {
    StoreValue<MailboxUsage> total;
    total.value = *cached;
    return total;
  }
  ++stats_.usage_scans;
  std::vector<fs::path> folders{maildir_};
  std::error_code ec;
  for (fs::directory_iterator it(maildir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code dir_ec;
    if (folder_from_directory(it->path().filename().string()) && fs::is_directory(it->path() / "cur", dir_ec)) {
      folders.push_back(it->path());
    }
  }
  if (ec) return failure<MailboxUsage>(StoreStatus::IoError, fmt::format("list {}: {}", maildir_.string(), ec.message()));

  StoreValue<MailboxUsage> usage;
  std::map<fs::path, MailboxUsage> per_folder;
  for (const fs::path& folder : folders) {
    DiskFiles files;
    if (IoResult listed = read_message_files(folder, files); !listed.ok()) {
      return failure<MailboxUsage>(StoreStatus::IoError, listed.error);
    }
    MailboxUsage& here = per_folder[folder];
    for (const auto& [basename, file] : files) {
      std::optional<std::uint64_t> size = size_from_basename(basename);
      if (!size) {  // a file from another tool: ask the file system
        struct stat info {};
        if (::stat((folder / subdir(file.in_new) / file.file_name).c_str(), &info) != 0) continue;
        size = static_cast<std::uint64_t>(info.st_size);
      }
      usage.value.bytes += *size;
      usage.value.messages += 1;
      here.bytes += *size;
      here.messages += 1;
    }
  }
  cache_->usage = std::move(per_folder);
  cache_->usage_valid = true;
  return usage;
}

StoreValue<Mailbox::FolderScan> Mailbox::scan_locked(const fs::path& folder_path) {
  ++stats_.folder_scans;
  StoreValue<FolderUids*> cached = uids_locked(folder_path);
  if (!cached.ok()) return failure_from<FolderScan>(cached);
  FolderUids& folder_uids = *cached.value;
  UidList& uids = folder_uids.list;
  bool changed = folder_uids.needs_rewrite;
  std::map<std::uint32_t, std::string> added;

  DiskFiles files;
  if (IoResult listed = read_message_files(folder_path, files); !listed.ok()) {
    return failure<FolderScan>(StoreStatus::IoError, listed.error);
  }
  std::map<std::string_view, std::uint32_t> uid_of;
  std::vector<std::uint32_t> missing;
  for (const auto& [uid, basename] : uids.basenames) {
    uid_of.emplace(basename, uid);
    if (files.count(basename) == 0) missing.push_back(uid);
  }
  if (!missing.empty()) {
    // readdir() may miss a file another process renamed during the listing; look once
    // more before retiring a UID, since retiring is forever.
    DiskFiles again;
    if (IoResult listed = read_message_files(folder_path, again); !listed.ok()) {
      return failure<FolderScan>(StoreStatus::IoError, listed.error);
    }
    for (auto& [basename, file] : again) files.try_emplace(basename, std::move(file));
    for (const std::uint32_t uid : missing) {
      const std::string& basename = uids.basenames.at(uid);
      if (files.count(basename) != 0) continue;
      uid_of.erase(basename);
      uids.basenames.erase(uid);
      folder_uids.needs_rewrite = true;
      changed = true;
    }
  }
  // Files without a UID get the next ones, in file-name (≈ arrival time) order.
  for (const auto& [basename, file] : files) {
    if (uid_of.count(basename) != 0) continue;
    added.emplace(uids.next_uid, basename);
    uids.basenames.emplace(uids.next_uid++, basename);
    changed = true;
  }
  if (changed) {
    if (IoResult saved = persist_uids_locked(folder_path, folder_uids, added); !saved.ok()) {
      return failure<FolderScan>(StoreStatus::IoError, saved.error);
    }
    bump_generation_locked();
    note_change_locked(folder_path);
  }

  StoreValue<FolderScan> scan;
  scan.value.uidvalidity = uids.uidvalidity;
  scan.value.uidnext = uids.next_uid;
  FolderIndex index;
  MailboxUsage folder_usage;
  scan.value.messages.reserve(uids.basenames.size());
  for (const auto& [uid, basename] : uids.basenames) {
    const DiskFile& file = files.at(basename);
    fs::path path = folder_path / subdir(file.in_new) / file.file_name;
    const std::optional<FileFacts> facts = file_facts_locked(folder_path, basename, path);
    if (!facts) continue;  // removed by another process this instant; gone next scan
    index.emplace(uid, KnownFile{file.file_name, file.in_new});
    folder_usage.bytes += facts->size;
    folder_usage.messages += 1;
    scan.value.messages.push_back(
        MessageInfo{uid, basename, std::move(path), facts->size, file.flags, facts->internal_date, file.in_new});
  }
  auto& known = cache_->file_facts[folder_path];
  if (known.size() > scan.value.messages.size()) {  // some files went: forget them
    std::unordered_map<std::string, FileFacts> listed;
    listed.reserve(scan.value.messages.size());
    for (const MessageInfo& m : scan.value.messages) listed.emplace(m.basename, known.at(m.basename));
    known = std::move(listed);
  }
  index_[folder_path] = std::move(index);
  // The exact count for this folder: corrects what other programs changed by hand.
  sync_generation_locked();
  if (cache_->usage_valid) cache_->usage[folder_path] = folder_usage;
  return scan;
}

std::optional<Mailbox::FileFacts> Mailbox::file_facts_locked(const fs::path& folder_path, const std::string& basename,
                                                             const fs::path& path) const {
  auto& known = cache_->file_facts[folder_path];
  if (auto hit = known.find(basename); hit != known.end()) return hit->second;
  ++stats_.file_stats;
  std::optional<FileFacts> stated = stat_file(path);
  if (stated) known.emplace(basename, *stated);
  return stated;
}

StoreValue<Mailbox::KnownFile> Mailbox::find_locked(const fs::path& folder_path, std::uint32_t uid, bool rescan) {
  auto folder = index_.find(folder_path);
  if (rescan || folder == index_.end() || folder->second.count(uid) == 0) {
    if (auto scan = scan_locked(folder_path); !scan.ok()) return failure_from<KnownFile>(scan);
    folder = index_.find(folder_path);
  }
  const auto file = folder->second.find(uid);
  if (file == folder->second.end()) return failure<KnownFile>(StoreStatus::NoSuchMessage, fmt::format("uid {}", uid));
  StoreValue<KnownFile> found;
  found.value = file->second;
  return found;
}

StoreValue<Mailbox::OpenedMessage> Mailbox::open_locked(const fs::path& folder_path, std::uint32_t uid) {
  // The cached name may be stale if another process renamed the file: then rescan once.
  for (const bool rescan : {false, true}) {
    StoreValue<KnownFile> file = find_locked(folder_path, uid, rescan);
    if (!file.ok()) return failure_from<OpenedMessage>(file);
    const fs::path path = folder_path / subdir(file.value.in_new) / file.value.file_name;
    ++stats_.message_opens;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      return failure<OpenedMessage>(StoreStatus::IoError, errno_text("open", path));
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return failure<OpenedMessage>(StoreStatus::IoError, errno_text("fstat", path));
    StoreValue<OpenedMessage> opened;
    opened.value.fd = std::move(fd);
    opened.value.flags = parse_message_file_name(file.value.file_name).flags;
    const auto mtime = std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec);
    opened.value.internal_date = TimePoint(std::chrono::duration_cast<TimePoint::duration>(mtime));
    return opened;
  }
  return failure<OpenedMessage>(StoreStatus::NoSuchMessage, fmt::format("uid {} vanished", uid));
}

StoreValue<std::vector<MessageInfo>> Mailbox::list(std::string_view folder) {
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return failure_from<std::vector<MessageInfo>>(path);
  StoreValue<FolderScan> scan = scan_locked(path.value);
  if (!scan.ok()) return failure_from<std::vector<MessageInfo>>(scan);
  StoreValue<std::vector<MessageInfo>> messages;
  messages.value = std::move(scan.value.messages);
  return messages;
}

StoreValue<FolderStatus> Mailbox::status(std::string_view folder) {
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return failure_from<FolderStatus>(path);
  const StoreValue<FolderScan> scan = scan_locked(path.value);
  if (!scan.ok()) return failure_from<FolderStatus>(scan);
  StoreValue<FolderStatus> status;
  status.value.uidvalidity = scan.value.uidvalidity;
  status.value.uidnext = scan.value.uidnext;
  status.value.messages = scan.value.messages.size();
  for (const MessageInfo& m : scan.value.messages) {
    if (m.recent) ++status.value.recent;
    if (m.flags.find('S') == std::string::npos) ++status.value.unseen;
  }
  return status;
}

StoreValue<std::string> Mailbox::read(std::string_view folder, std::uint32_t uid) {
  StoreValue<OpenedMessage> opened;
  {
    Guard guard(*this);
    const StoreValue<fs::path> path = existing_folder_path(folder);
    if (!path.ok()) return failure_from<std::string>(path);
    opened = open_locked(path.value, uid);
    if (!opened.ok()) return failure_from<std::string>(opened);
  }
  // Reading happens outside the lock: the open descriptor keeps the (complete, renamed
  // into place) file readable even if it is renamed or unlinked meanwhile.
  StoreValue<std::string> bytes;
  if (IoResult read = read_all(opened.value.fd.get(), bytes.value); !read.ok()) {
    return failure<std::string>(StoreStatus::IoError, read.error);
  }
  return bytes;
}

StoreValue<std::string> Mailbox::read_prefix(std::string_view folder, std::uint32_t uid, std::size_t max_bytes) {
  StoreValue<OpenedMessage> opened;
  {
    Guard guard(*this);
    const StoreValue<fs::path> path = existing_folder_path(folder);
    if (!path.ok()) return failure_from<std::string>(path);
    opened = open_locked(path.value, uid);
    if (!opened.ok()) return failure_from<std::string>(opened);
  }
  StoreValue<std::string> bytes;
  bytes.value.resize(max_bytes);
  std::size_t have = 0;
  while (have < max_bytes) {
    const ssize_t n = ::pread(opened.value.fd.get(), bytes.value.data() + have, max_bytes - have, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure<std::string>(StoreStatus::IoError, fmt::format("read uid {}: {}", uid, std::strerror(errno)));
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  bytes.value.resize(have);
  return bytes;
}

template <class ComputeFlags>
StoreValue<MessageInfo> Mailbox::rename_flags_locked(const fs::path& folder_path, std::uint32_t uid,
                                                     ComputeFlags new_flags) {
  for (const bool rescan : {false, true}) {
    StoreValue<KnownFile> file = find_locked(folder_path, uid, rescan);
    if (!file.ok()) return failure_from<MessageInfo>(file);
    const MessageFileName parsed = parse_message_file_name(file.value.file_name);
    const std::string flags = new_flags(parsed.flags);
    const fs::path from = folder_path / subdir(file.value.in_new) / file.value.file_name;
    const std::string to_name = cur_file_name(parsed.basename, flags);
    const fs::path to = folder_path / "cur" / to_name;
    if (from != to && ::rename(from.c_str(), to.c_str()) != 0) {
      if (errno == ENOENT) continue;
      return failure<MessageInfo>(StoreStatus::IoError, errno_text("rename", from));
    }
    if (from != to) note_change_locked(folder_path);
    // Not fsynced: a flag change lost in a crash is harmless, and IMAP clients resync.
    index_[folder_path][uid] = KnownFile{to_name, false};
    const std::optional<FileFacts> facts = file_facts_locked(folder_path, parsed.basename, to);
    if (!facts) return failure<MessageInfo>(StoreStatus::NoSuchMessage, fmt::format("uid {} vanished", uid));
    StoreValue<MessageInfo> result;
    result.value = MessageInfo{uid, parsed.basename, to, facts->size, flags, facts->internal_date, false};
    return result;
  }
  return failure<MessageInfo>(StoreStatus::NoSuchMessage, fmt::format("uid {} vanished", uid));
}

StoreValue<MessageInfo> Mailbox::set_flags(std::string_view folder, std::uint32_t uid, std::string_view flags) {
  const std::optional<std::string> normalized = normalize_flags(flags);
  if (!normalized) return failure<MessageInfo>(StoreStatus::InvalidFlags);
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return failure_from<MessageInfo>(path);
  return rename_flags_locked(path.value, uid, [&](std::string_view) { return *normalized; });
}

StoreValue<MessageInfo> Mailbox::change_flags(std::string_view folder, std::uint32_t uid, std::string_view add,
                                              std::string_view remove) {
  const std::optional<std::string> to_add = normalize_flags(add);
  const std::optional<std::string> to_remove = normalize_flags(remove);
  if (!to_add || !to_remove) return failure<MessageInfo>(StoreStatus::InvalidFlags);
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return failure_from<MessageInfo>(path);
  return rename_flags_locked(path.value, uid, [&](std::string_view current) {
    std::string flags = std::string(current) + *to_add;
    // Anything on disk that is not a flag letter (another tool's idea) is dropped too.
    std::erase_if(flags, [&](char c) {
      const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      return !letter || to_remove->find(c) != std::string::npos;
    });
    return normalize_flags(flags).value_or("");
  });
}

StoreValue<std::vector<std::uint32_t>> Mailbox::take_recent(std::string_view folder) {
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return failure_from<std::vector<std::uint32_t>>(path);
  StoreValue<std::vector<std::uint32_t>> taken;
  // Nothing recent, nothing to take: no need to list a big cur/ (IMAP SELECT asks each time).
  if (!has_new_messages(path.value)) return taken;
  const StoreValue<FolderScan> scan = scan_locked(path.value);
  if (!scan.ok()) return failure_from<std::vector<std::uint32_t>>(scan);
  for (const MessageInfo& message : scan.value.messages) {
    if (!message.recent) continue;
    const auto moved = rename_flags_locked(path.value, message.uid, [](std::string_view current) {
      return normalize_flags(current).value_or("");
    });
    if (moved.ok()) {
      taken.value.push_back(message.uid);
    } else if (moved.status != StoreStatus::NoSuchMessage) {
      return failure_from<std::vector<std::uint32_t>>(moved);
    }
  }
  return taken;
}

StoreResult Mailbox::expunge(std::string_view folder, std::uint32_t uid) {
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return path;
  bool removed = false;
  fs::path directory;
  for (const bool rescan : {false, true}) {
    StoreValue<KnownFile> file = find_locked(path.value, uid, rescan);
    if (!file.ok()) return file;
    directory = path.value / subdir(file.value.in_new);
    const fs::path target = directory / file.value.file_name;
    struct stat info {};
    const bool sized = ::stat(target.c_str(), &info) == 0;
    if (::unlink(target.c_str()) == 0) {
      removed = true;
      const std::optional<std::uint64_t> size =
          sized ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(info.st_size))
                : size_from_basename(parse_message_file_name(file.value.file_name).basename);
      sync_generation_locked();
      adjust_usage_locked(path.value, -static_cast<std::int64_t>(size.value_or(0)), -1);
      break;
    }
    if (errno != ENOENT) return failure<int>(StoreStatus::IoError, errno_text("unlink", target));
  }
  if (!removed) return failure<int>(StoreStatus::NoSuchMessage, fmt::format("uid {} vanished", uid));
  index_[path.value].erase(uid);
  note_change_locked(path.value);

  bump_generation_locked();
  StoreValue<FolderUids*> uids = uids_locked(path.value);
  if (!uids.ok()) return uids;
  if (uids.value->list.basenames.erase(uid) != 0) uids.value->needs_rewrite = true;
  if (IoResult saved = persist_uids_locked(path.value, *uids.value, {}); !saved.ok()) {
    return failure<int>(StoreStatus::IoError, saved.error);
  }
  // So that a POP3 DELE confirmed at QUIT does not come back after a crash.
  if (IoResult synced = fsync_directory(directory); !synced.ok()) return failure<int>(StoreStatus::IoError, synced.error);
  return {};
}

DeliveryResult Mailbox::deliver(std::string_view folder, std::string_view bytes, std::optional<TimePoint> internal_date) {
  return add_message(folder, bytes, "", internal_date);
}

DeliveryResult Mailbox::append(std::string_view folder, std::string_view bytes, std::string_view flags,
                               std::optional<TimePoint> internal_date) {
  const std::optional<std::string> normalized = normalize_flags(flags);
  if (!normalized) return delivery_failure(StoreStatus::InvalidFlags, "flags must be ASCII letters");
  return add_message(folder, bytes, *normalized, internal_date);
}

DeliveryResult Mailbox::copy(std::string_view from, std::uint32_t uid, std::string_view to) {
  StoreValue<OpenedMessage> opened;
  StoreValue<std::string> flags;
  {
    Guard guard(*this);
    const StoreValue<fs::path> path = existing_folder_path(from);
    if (!path.ok()) return delivery_failure(path.status, path.error);
    opened = open_locked(path.value, uid);
    if (!opened.ok()) return delivery_failure(opened.status, opened.error);
    // Keyword letters mean different names in different folders (maildir_keywords.hpp).
    flags = map_keywords_locked(path.value, to, normalize_flags(opened.value.flags).value_or(""));
    if (!flags.ok()) return delivery_failure(flags.status, flags.error);
  }
  std::string bytes;
  if (IoResult read = read_all(opened.value.fd.get(), bytes); !read.ok()) {
    return delivery_failure(StoreStatus::IoError, read.error);
  }
  return add_message(to, bytes, flags.value, opened.value.internal_date);
}

DeliveryResult Mailbox::add_message(std::string_view folder, std::string_view bytes, const std::string& flags,
                                    std::optional<TimePoint> internal_date) {
  const std::uint64_t size = bytes.size();
  fs::path folder_path;
  {
    // A cheap early refusal, so a full mailbox does not cost a write and fsync. The cached
    // usage will do (no flock): the check under the lock below is the one that counts.
    const StoreValue<fs::path> path = existing_folder_path(folder);
    if (!path.ok()) return delivery_failure(path.status, path.error);
    folder_path = path.value;
    const StoreValue<MailboxUsage> usage = usage_estimate();
    if (!usage.ok()) return delivery_failure(usage.status, usage.error);
    if (const Quota quota = this->quota(); would_exceed(quota, usage.value, size)) {
      DeliveryResult refused;
      fill_quota_refusal(refused, quota, usage.value, size);
      return refused;
    }
  }

  // The slow part (write + fsync of the message) runs without the lock.
  const std::string basename = unique_basename(size);
  const fs::path temporary = folder_path / "tmp" / basename;
  if (IoResult written = write_new_file_durably(temporary, bytes, internal_date); !written.ok()) {
    return delivery_failure(StoreStatus::IoError, written.error);
  }

  // Held until the message is visible and enlisted for the group fsync, not during it.
  std::optional<Guard> guard(std::in_place, *this);
  auto abandon = [&](StoreStatus status, std::string error) {
    ::unlink(temporary.c_str());
    return delivery_failure(status, std::move(error));
  };
  // The authoritative check: the folder or the quota may have changed meanwhile.
  if (const auto path = existing_folder_path(folder); !path.ok() || path.value != folder_path) {
    return abandon(StoreStatus::NoSuchFolder, folder_path.string());
  }
  const StoreValue<MailboxUsage> usage = usage_locked();
  if (!usage.ok()) return abandon(usage.status, usage.error);
  if (would_exceed(quota_, usage.value, size)) {
    ::unlink(temporary.c_str());
    DeliveryResult refused;
    fill_quota_refusal(refused, quota_, usage.value, size);
    return refused;
  }
  StoreValue<FolderUids*> uids = uids_locked(folder_path);
  if (!uids.ok()) return abandon(uids.status, uids.error);
  FolderUids& folder_uids = *uids.value;

  const bool in_new = flags.empty();
  const std::string file_name = in_new ? basename : cur_file_name(basename, flags);
  const fs::path directory = folder_path / subdir(in_new);
  const fs::path target = directory / file_name;
  if (::rename(temporary.c_str(), target.c_str()) != 0) return abandon(StoreStatus::IoError, errno_text("rename", temporary));
  auto abandon_stored = [&](std::string error) {
    ::unlink(target.c_str());
    return delivery_failure(StoreStatus::IoError, std::move(error));
  };

  const std::uint32_t uid = folder_uids.list.next_uid++;
  folder_uids.list.basenames.emplace(uid, basename);
  // The message file is durable already; its name in the directory and its UID record
  // become durable in a group pass shared with concurrent deliveries (group_sync.hpp).
  // Until the pass ends, sessions in this process may see the message; a crash before it
  // loses only mail that was never acknowledged.
  if (IoResult appended = persist_uids_locked(folder_path, folder_uids, {{uid, basename}}, FsyncBy::Caller);
      !appended.ok()) {
    return abandon_stored(appended.error);  // the UID stays retired (next_uid moved on)
  }
  index_[folder_path][uid] = KnownFile{file_name, in_new};
  bump_generation_locked();  // after usage_locked() above synced, so this keeps the cache
  note_change_locked(folder_path);
  adjust_usage_locked(folder_path, static_cast<std::int64_t>(size), 1);
  const std::uint64_t ticket = sync_->enlist({folder_path / maildir::kUidListFileName, directory});

  DeliveryResult stored;
  stored.status = StoreStatus::Ok;
  stored.uid = uid;
  stored.uidvalidity = folder_uids.list.uidvalidity;
  stored.basename = basename;
  stored.path = target;
  stored.usage = usage.value;
  stored.limit = quota_;
  guard.reset();

  if (IoResult durable = sync_->wait(ticket); !durable.ok()) {
    // Not durable means not stored: take it back so no reader keeps a message the SMTP
    // client will send again after its 451.
    Guard again(*this);
    index_[folder_path].erase(uid);
    note_change_locked(folder_path);
    cache_->usage_valid = false;  // rare: recount at the next use rather than undo by hand
    return abandon_stored(durable.error);
  }
  return stored;
}

}  // namespace mailflow::sim
