// The POSIX file operations the Maildir store builds on, each one durable or honest about
// failing: write-then-fsync of a new file, atomic replacement of a small file (write a
// temporary, fsync, rename, fsync the directory), directory fsync, whole-file reads from a
// descriptor, and an flock() guard. Errors come back as text for logs (path and errno
// message), never as exceptions.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mailflow::sim::maildir {

struct IoResult {
  std::string error;  // empty on success; "write <path>: No space left on device"
  bool ok() const { return error.empty(); }
};

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Who runs the last fsync of an operation: the function itself, or the caller (who
// batches it with others in a GroupSync pass, group_sync.hpp).
enum class FsyncBy { Self, Caller };

// Creates `path` (it must not exist), writes all of `bytes`, sets its mtime when given
// (a message's IMAP internal date), fsyncs and closes it. On any failure the file is
// removed, so a caller never leaves a partial file behind.
IoResult write_new_file_durably(const std::filesystem::path& path, std::string_view bytes,
                                std::optional<std::chrono::system_clock::time_point> mtime);

// Makes a rename or unlink inside `dir` survive a crash.
IoResult fsync_directory(const std::filesystem::path& dir);

// Replaces `path` with `bytes` so that readers see the old or the new content, never a
// mix, even across a crash: write a sibling temporary, fsync, rename over, fsync dir
// (FsyncBy::Caller leaves the directory's fsync to the caller).
IoResult replace_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                 FsyncBy dir_fsync = FsyncBy::Self);

// Reads a whole small file; nullopt with `error` set when it cannot be read, nullopt with
// `error` empty when it does not exist.
std::optional<std::string> read_small_file(const std::filesystem::path& path, std::string& error);

// Reads everything from an open descriptor (from offset 0).
IoResult read_all(int fd, std::string& out);

// Holds flock(LOCK_EX) on a descriptor for its lifetime. flock() locks belong to the open
// file description, so one descriptor per process plus an in-process mutex is the rule.
class FlockGuard {
 public:
  explicit FlockGuard(int fd);
  ~FlockGuard();
  FlockGuard(const FlockGuard&) = delete;
  FlockGuard& operator=(const FlockGuard&) = delete;
  bool locked() const { return locked_; }

 private:
  int fd_;
  bool locked_ = false;
};

}  // namespace mailflow::sim::maildir
