// The mail store: one standard Maildir per user, with Maildir++ folders, so any Maildir
// tool (mutt, Dovecot, mbsync) can read what the lab delivered. The SMTP MX delivers into
// it; POP3 and IMAP sessions (several at once) list, read, flag, copy and expunge.
//
// Layout under the store root (the state directory's mail/):
//   <domain>/<localpart>/            the user's Maildir: INBOX
//     tmp/ new/ cur/                 https://cr.yp.to/proto/maildir.html
//     .Sent/ .Drafts/ .Trash/ .Junk/ Maildir++ folders (created at open), each with
//                                    tmp/ new/ cur/ and an empty "maildirfolder" file
//     .Archive.2024/                 the folder "Archive.2024" (hierarchy separator ".")
//     mailflow-uidlist               per folder: UIDVALIDITY, UIDNEXT, uid -> basename
//     mailflow.lock                  flock()ed while a folder's files or UIDs change
//
// Promises (RELIABILITY.md):
// - A message reported stored was written to tmp/, fsynced, renamed into new/ (or cur/)
//   and the directory fsynced: it survives a crash. Any failure removes the tmp file and
//   reports IoError (the SMTP layer answers 451 4.3.0); nothing half-written is ever in
//   new/ or cur/, so a reader sees a whole message or none.
// - Quota (bytes and messages over all folders; 0 means unlimited) is checked under the
//   mailbox lock, so concurrent deliveries cannot overshoot it. A refusal stores nothing.
// - UIDs never change for a message and are never reused in a folder (RFC 3501 §2.3.1.1);
//   files that appear without a UID (another tool, a crash before the UID list update)
//   get the next UIDs at the next scan, in file-name order.
// - Folder names from clients are mapped by maildir::folder_directory() only.
// - Thread-safe: one Mailbox object per address (MaildirStore::open shares it) with a
//   mutex; other processes are ordered by flock() on mailflow.lock.
//
// Message bytes are stored exactly as given (the SMTP layer passes CRLF text); sizes are
// file sizes. Flag letters follow the Maildir spec: D draft, F flagged, P passed,
// R replied, S seen, T trashed; lower-case letters are kept as Dovecot keywords.
// A message in new/ is IMAP \Recent; take_recent() or any flag change moves it to cur/.
// Cost: a delivery is O(1) in the mailbox size: no directory listing, one appended line
// plus fsync for the UID list (see maildir_uidlist.hpp), usage from a cache.
// - Usage (bytes, messages) is cached per folder: one full scan at first use, then updated
//   by deliver/append/copy/expunge/delete_folder. The cache outlives Mailbox objects (the
//   MaildirStore keeps it per Maildir). Another mailflow process sharing the Maildir bumps
//   a change counter in mailflow.lock, which makes us rescan, so quota holds across our
//   processes too. Staleness window: files another *program* adds or removes by hand are
//   counted only when list()/status()/take_recent() next scan that folder (or, for other
//   folders, at the next full rescan); quota is exact for everything mailflow stores.
// - The UID list of a folder is cached too, and revalidated by stat() (identity, size,
//   times) under the lock before use, so changes by other processes are always seen.
// - A listing stat()s only files it has not seen before: sizes and mtimes are cached by
//   basename (FileFacts), so re-listing a quiet 10,000-message folder is one readdir.
//   take_recent() lists nothing while new/ is empty.
// - Keywords: Dovecot's per-folder "dovecot-keywords" file names the lower-case letters
//   (maildir_keywords.hpp); copy() maps them between folders' files.
// - Change stamps: a FolderStamp changes whenever a folder's messages may have changed, so
//   an IMAP session can skip re-listing 10,000 files when nothing happened. Exact for
//   everything mailflow processes do (counters under the lock); for other programs it
//   relies on new/ and cur/ mtimes, which a change in the same clock tick as the previous
//   one can leave unchanged: such a change shows at the next list().
// Left out: Maildir++ "maildirsize" file, hard-link COPY, and folder subscriptions (the
// IMAP layer keeps those).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/group_sync.hpp"
#include "sim/maildir_io.hpp"
#include "sim/maildir_uidlist.hpp"
#include "sim/world.hpp"

namespace mailflow::sim {

// The folders every user has; created at open if missing.
inline constexpr std::string_view kDefaultFolders[] = {"Sent", "Drafts", "Trash", "Junk"};

enum class StoreStatus {
  Ok,
  QuotaExceeded,  // delivery would pass the mailbox quota; nothing stored
  IoError,        // the file system failed; `error` says how (for logs, not clients)
  NoSuchFolder,
  NoSuchMessage,
  InvalidName,    // a folder name folder_directory() refuses
  InvalidFlags,   // flag text with something other than ASCII letters
  AlreadyExists,  // create/rename onto an existing folder
  NotPermitted,   // deleting or renaming INBOX
  TooManyKeywords,  // a folder's keyword file holds 26 names at most (maildir_keywords.hpp)
};
std::string_view store_status_name(StoreStatus s);

struct StoreResult {
  StoreStatus status = StoreStatus::Ok;
  std::string error;  // detail for logs and events; never send it to a client verbatim
  bool ok() const { return status == StoreStatus::Ok; }
};

template <class T>
struct StoreValue : StoreResult {
  T value{};
};

struct MailboxUsage {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
};

struct MessageInfo {
  std::uint32_t uid = 0;
  std::string basename;         // file name before ":2,"; stable for the message's life
  std::filesystem::path path;   // where it is now; changes with flags, so read by uid
  std::uint64_t size = 0;       // bytes on disk
  std::string flags;            // sorted letters, "" when none
  std::chrono::system_clock::time_point internal_date;  // file mtime (IMAP INTERNALDATE)
  bool recent = false;          // still in new/ (IMAP \Recent)
};

struct FolderStatus {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::size_t messages = 0;
  std::size_t recent = 0;
  std::size_t unseen = 0;  // messages without S
};

struct DeliveryResult {
  StoreStatus status = StoreStatus::IoError;
  // For QuotaExceeded: Quota::temporary (452 4.2.2 when true, 552 5.2.2 otherwise).
  bool temporary = false;
  std::uint32_t uid = 0;  // Stored: the new message's UID and its folder's UIDVALIDITY
  std::uint32_t uidvalidity = 0;
  std::string basename;
  std::filesystem::path path;
  std::string error;
  MailboxUsage usage;  // before this delivery (filled for QuotaExceeded and Ok)
  Quota limit;
  bool stored() const { return status == StoreStatus::Ok; }
};

using TimePoint = std::chrono::system_clock::time_point;

// Equal stamps of one folder mean no message was added, removed or renamed in between
// (see the promises above for what "exact" covers).
struct FolderStamp {
  std::uint64_t changes = 0;        // this process's changes to the folder
  std::uint64_t foreign_epoch = 0;  // moves when another mailflow process changed the Maildir
  long long new_mtime_ns = 0, new_ctime_ns = 0, cur_mtime_ns = 0, cur_ctime_ns = 0;
  bool operator==(const FolderStamp&) const = default;
};

struct FolderListing {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::vector<MessageInfo> messages;  // ascending UID
  FolderStamp stamp;                  // compare with stamp() later: equal means unchanged
};

// Cost counters for tests and diagnostics (not timed, just counted).
struct StoreStats {
  std::atomic<std::uint64_t> folder_scans{0};      // listings of one folder's new/ + cur/
  std::atomic<std::uint64_t> usage_scans{0};       // full listings of every folder for usage
  std::atomic<std::uint64_t> uidlist_loads{0};     // whole mailflow-uidlist files read
  std::atomic<std::uint64_t> uidlist_rewrites{0};  // whole mailflow-uidlist files written
  std::atomic<std::uint64_t> uidlist_appends{0};   // appended record lines (batches)
  std::atomic<std::uint64_t> file_stats{0};        // message files stat()ed by a listing
  std::atomic<std::uint64_t> message_opens{0};     // message files opened to be read
};

// One user's Maildir. Every method is thread-safe and takes a folder name as a client
// would give it ("INBOX", "Sent", "Archive.2024"); unsafe names get InvalidName.
class Mailbox {
 public:
  // Only MaildirStore makes these (so that one object exists per address).
  class OpenKey {
    friend class MaildirStore;
    OpenKey() = default;
  };
  // Creates the Maildir and default folders; throws std::filesystem::filesystem_error.
  // State that outlives one Mailbox object (usage and UID list caches); defined below.
  struct Cache;
  // `sync` batches the fsyncs of deliveries (group_sync.hpp); the store shares one.
  Mailbox(OpenKey, std::string address, std::filesystem::path maildir, Quota quota,
          std::shared_ptr<Cache> cache = nullptr, std::shared_ptr<GroupSync> sync = nullptr);
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  const std::string& address() const { return address_; }
  const std::filesystem::path& maildir() const { return maildir_; }
  Quota quota() const;
  void set_quota(const Quota& quota);  // scenarios shrink a mailbox live
  StoreValue<MailboxUsage> usage() const;
  // The usage as this process last counted it, without taking the file lock: for early
  // checks (RCPT) that a later exact check backs up. Counts afresh when nothing is cached.
  StoreValue<MailboxUsage> usage_estimate() const;
  const StoreStats& stats() const { return stats_; }

  // --- adding messages -------------------------------------------------------------
  // SMTP delivery: into new/ (recent, no flags). internal_date defaults to now.
  DeliveryResult deliver(std::string_view folder, std::string_view bytes,
                         std::optional<TimePoint> internal_date = std::nullopt);
  // IMAP APPEND: with flags into cur/, with no flags into new/ like a delivery.
  DeliveryResult append(std::string_view folder, std::string_view bytes, std::string_view flags,
                        std::optional<TimePoint> internal_date = std::nullopt);
  // IMAP COPY of one message: same bytes, flags and internal date; a new UID in `to`.
  DeliveryResult copy(std::string_view from, std::uint32_t uid, std::string_view to);

  // --- reading -----------------------------------------------------------------------
  // Every message, ascending UID. Also the point where new files get UIDs and vanished
  // ones leave the UID list.
  StoreValue<std::vector<MessageInfo>> list(std::string_view folder);
  StoreValue<FolderStatus> status(std::string_view folder);
  // The message's bytes; complete even if its flags change or it is expunged meanwhile.
  StoreValue<std::string> read(std::string_view folder, std::uint32_t uid);
  // At most the first `max_bytes` of it: header lookups without reading a large body.
  StoreValue<std::string> read_prefix(std::string_view folder, std::uint32_t uid, std::size_t max_bytes);
  // list() with UIDVALIDITY and UIDNEXT from the same scan, and the folder's stamp as of
  // that scan.
  StoreValue<FolderListing> listing(std::string_view folder);
  // Cheap (two stat() calls and the lock): compare with an earlier listing's stamp.
  StoreValue<FolderStamp> stamp(std::string_view folder);

  // --- changing ----------------------------------------------------------------------
  // Replaces the flags (renames into cur/ as "<basename>:2,<sorted flags>").
  StoreValue<MessageInfo> set_flags(std::string_view folder, std::uint32_t uid, std::string_view flags);
  // Adds then removes letters (IMAP STORE +FLAGS / -FLAGS), atomically.
  StoreValue<MessageInfo> change_flags(std::string_view folder, std::uint32_t uid,
                                       std::string_view add, std::string_view remove);
  // Moves every message of new/ into cur/ and returns their UIDs: the caller is the one
  // session that sees them as \Recent (RFC 3501 §2.3.2).
  StoreValue<std::vector<std::uint32_t>> take_recent(std::string_view folder);
  // Deletes the message for good (POP3 DELE at UPDATE, IMAP EXPUNGE). Its UID is retired.
  StoreResult expunge(std::string_view folder, std::uint32_t uid);

  // --- keywords (maildir_keywords.hpp) -------------------------------------------------
  // The folder's keywords: keyword i is the flag letter 'a' + i ("" for a damaged entry).
  StoreValue<std::vector<std::string>> keywords(std::string_view folder);
  // The sorted letters of these keyword names. With `create`, names the folder lacks get
  // the next free letters (the file is replaced atomically); without it they are left out.
  // TooManyKeywords past 26, InvalidFlags for a name that is no IMAP atom; on failure
  // nothing changes.
  StoreValue<std::string> keyword_letters(std::string_view folder, const std::vector<std::string>& names,
                                          bool create);

  // --- folders -----------------------------------------------------------------------
  // "INBOX" first, then the others sorted.
  StoreValue<std::vector<std::string>> list_folders() const;
  bool folder_exists(std::string_view folder) const;
  StoreResult create_folder(std::string_view folder);
  // Removes the folder and its messages (not its sub-folders, as RFC 3501 §6.3.4 allows).
  StoreResult delete_folder(std::string_view folder);
  // Renames the folder and its sub-folders ("a" -> "b" also moves "a.x" to "b.x").
  StoreResult rename_folder(std::string_view from, std::string_view to);

 public:
  // A message file's size and mtime (its IMAP INTERNALDATE). A Maildir message is never
  // rewritten, only renamed (flags), so what one stat() said stays true for as long as
  // its basename is listed [Dovecot keeps them in dovecot.index.cache the same way].
  struct FileFacts {
    std::uint64_t size = 0;
    TimePoint internal_date{};
  };

 private:
  struct KnownFile {
    std::string file_name;  // current name inside new/ or cur/
    bool in_new = false;
  };
  using FolderIndex = std::map<std::uint32_t, KnownFile>;
  struct FolderScan {
    std::uint32_t uidvalidity = 0;
    std::uint32_t uidnext = 1;
    std::vector<MessageInfo> messages;
  };
  struct OpenedMessage {
    maildir::UniqueFd fd;
    std::string flags;
    TimePoint internal_date;
  };
  class Guard;  // mutex_ + flock on mailflow.lock (maildir_guard.hpp)

  // Every *_locked member requires the caller to hold a Guard.
  StoreValue<std::filesystem::path> existing_folder_path(std::string_view folder) const;
  StoreValue<FolderScan> scan_locked(const std::filesystem::path& folder_path);
  StoreValue<MailboxUsage> usage_locked() const;
  std::optional<MailboxUsage> cached_usage_locked() const;  // only mutex_ needed
  // The folder's UID list from the cache, reloaded when the file changed on disk.
  struct FolderUids;
  StoreValue<FolderUids*> uids_locked(const std::filesystem::path& folder_path) const;
  // Writes `added` (already in uids.list): appended, or a full rewrite if needed.
  maildir::IoResult persist_uids_locked(const std::filesystem::path& folder_path, FolderUids& uids,
                                        const std::map<std::uint32_t, std::string>& added,
                                        maildir::FsyncBy fsync = maildir::FsyncBy::Self) const;
  void adjust_usage_locked(const std::filesystem::path& folder_path, std::int64_t bytes,
                           std::int64_t messages) const;
  // The change counter in mailflow.lock: another process changed usage when it moved.
  void sync_generation_locked() const;
  void bump_generation_locked() const;
  // Size and mtime of a listed message file at `path`: from the cache, or stat() once.
  std::optional<FileFacts> file_facts_locked(const std::filesystem::path& folder_path, const std::string& basename,
                                             const std::filesystem::path& path) const;
  StoreValue<KnownFile> find_locked(const std::filesystem::path& folder_path, std::uint32_t uid,
                                    bool rescan);
  StoreValue<OpenedMessage> open_locked(const std::filesystem::path& folder_path, std::uint32_t uid);
  // Renames the message to "<basename>:2,<new_flags(current flags)>" in cur/.
  template <class ComputeFlags>
  StoreValue<MessageInfo> rename_flags_locked(const std::filesystem::path& folder_path,
                                              std::uint32_t uid, ComputeFlags new_flags);
  DeliveryResult add_message(std::string_view folder, std::string_view bytes, const std::string& flags,
                             std::optional<TimePoint> internal_date);
  // Every change to a folder's messages calls this once, under the lock: it moves the
  // folder's stamp and tells other processes (a counter in mailflow.lock).
  void note_change_locked(const std::filesystem::path& folder_path) const;
  void observe_foreign_changes_locked() const;
  FolderStamp stamp_locked(const std::filesystem::path& folder_path) const;
  // `flags` of a message in `from` with its keyword letters re-mapped to `to`'s file.
  StoreValue<std::string> map_keywords_locked(const std::filesystem::path& from, std::string_view to,
                                              std::string_view flags) const;

  const std::string address_;
  const std::filesystem::path maildir_;
  maildir::UniqueFd lock_fd_;  // mailflow.lock, flock()ed under mutex_
  const std::shared_ptr<GroupSync> sync_;

  mutable std::mutex mutex_;
  Quota quota_;  // guarded by mutex_
  // What the last scan saw, per folder path: lets read() and flag changes find a file
  // without a directory listing. A miss (another process renamed it) triggers a rescan.
  std::map<std::filesystem::path, FolderIndex> index_;  // guarded by mutex_
  std::shared_ptr<Cache> cache_;                        // guarded by mutex_
  mutable StoreStats stats_;
};

struct Mailbox::FolderUids {
  maildir::UidList list;
  maildir::UidListStamp stamp;  // the file as this list last saw it
  bool needs_rewrite = false;   // created, torn tail, or records removed
};

struct Mailbox::Cache {
  std::map<std::filesystem::path, FolderUids> uids;
  // Per folder path, by basename: what stat() said of each message file last listed.
  std::map<std::filesystem::path, std::unordered_map<std::string, FileFacts>> file_facts;
  bool usage_valid = false;
  std::map<std::filesystem::path, MailboxUsage> usage;  // per folder path
  bool generation_known = false;
  std::uint64_t generation = 0;
  // Change stamps: per folder path, and the mailflow.lock change counter as last seen.
  std::map<std::filesystem::path, std::uint64_t> folder_changes;
  std::uint64_t foreign_epoch = 0;
  bool lock_changes_known = false;
  std::uint64_t lock_changes = 0;
};

// The store: maps addresses to Maildirs under one root and hands out shared Mailboxes.
class MaildirStore {
 public:
  explicit MaildirStore(std::filesystem::path root);

  // The user's mailbox, created on first use. The same object for the same address as
  // long as anyone holds it (so in-process locking covers every session); the given
  // quota replaces the mailbox's current one. Throws std::invalid_argument for an
  // address that cannot be a safe path, std::filesystem::filesystem_error on I/O failure.
  std::shared_ptr<Mailbox> open(std::string_view address, const Quota& quota);

  // <root>/<domain>/<localpart>, or nullopt for an unsafe address. Creates nothing.
  std::optional<std::filesystem::path> maildir_of(std::string_view address) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  const std::filesystem::path root_;
  // One group commit for every mailbox: deliveries to different users share fsync passes.
  const std::shared_ptr<GroupSync> sync_ = std::make_shared<GroupSync>();
  std::mutex mutex_;
  std::map<std::filesystem::path, std::weak_ptr<Mailbox>> open_;  // guarded by mutex_
  // Per Maildir, kept while the store lives: the MX opens a mailbox per delivery, and the
  // caches must survive that. Plain data (no descriptors); bounded by the user table.
  std::map<std::filesystem::path, std::shared_ptr<Mailbox::Cache>> caches_;  // guarded by mutex_
};

}  // namespace mailflow::sim
