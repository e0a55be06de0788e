// Durable POSIX file operations for the Maildir store (see maildir_io.hpp). Every loop
// retries EINTR and short writes; every failure path removes what it created.
#include "sim/maildir_io.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mailflow::sim::maildir {
namespace {

std::string describe(std::string_view what, const std::filesystem::path& path, int err) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(err));
}

IoResult write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return {describe("write", path, errno)};
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

int fsync_retrying(int fd) {
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

IoResult set_mtime(int fd, std::chrono::system_clock::time_point mtime,
                   const std::filesystem::path& path) {
  const auto since_epoch = mtime.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs);
  timespec times[2];
  times[0].tv_sec = static_cast<time_t>(secs.count());
  times[0].tv_nsec = static_cast<long>(nsec.count());
  times[1] = times[0];
  if (::futimens(fd, times) != 0) return {describe("futimens", path, errno)};
  return {};
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

IoResult write_new_file_durably(const std::filesystem::path& path, std::string_view bytes,
                                std::optional<std::chrono::system_clock::time_point> mtime) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return {describe("create", path, errno)};
  IoResult result = write_all(fd.get(), bytes, path);
  if (result.ok() && mtime) result = set_mtime(fd.get(), *mtime, path);
  if (result.ok() && fsync_retrying(fd.get()) != 0) result = {describe("fsync", path, errno)};
  // close() can report a deferred write error (NFS); it counts as a failure too.
  if (result.ok() && ::close(fd.release()) != 0) result = {describe("close", path, errno)};
  if (!result.ok()) ::unlink(path.c_str());
  return result;
}

IoResult fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return {describe("open directory", dir, errno)};
  if (fsync_retrying(fd.get()) != 0) return {describe("fsync directory", dir, errno)};
  return {};
}

IoResult replace_file_atomically(const std::filesystem::path& path, std::string_view bytes, FsyncBy dir_fsync) {
  // The temporary's name is unique per process and call so concurrent writers (which the
  // callers' locks should prevent anyway) can never write into each other's file.
  static std::atomic<std::uint64_t> counter{0};
  std::filesystem::path temporary = path;
  temporary += fmt::format(".tmp.{}.{}", static_cast<long>(getpid()), counter.fetch_add(1));
  IoResult result = write_new_file_durably(temporary, bytes, std::nullopt);
  if (!result.ok()) return result;
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    result = {describe("rename", path, errno)};
    ::unlink(temporary.c_str());
    return result;
  }
  if (dir_fsync == FsyncBy::Caller) return {};
  return fsync_directory(path.parent_path());
}

std::optional<std::string> read_small_file(const std::filesystem::path& path, std::string& error) {
  error.clear();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno != ENOENT) error = describe("open", path, errno);
    return std::nullopt;
  }
  std::string content;
  const IoResult result = read_all(fd.get(), content);
  if (!result.ok()) {
    error = path.string() + ": " + result.error;
    return std::nullopt;
  }
  return content;
}

IoResult read_all(int fd, std::string& out) {
  out.clear();
  struct stat info {};
  if (::fstat(fd, &info) == 0 && info.st_size > 0) out.reserve(static_cast<std::size_t>(info.st_size));
  char buffer[64 * 1024];
  off_t offset = 0;
  while (true) {
    // pread: the descriptor's offset stays untouched, so a shared fd would still work.
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return {fmt::format("read: {}", std::strerror(errno))};
    }
    if (n == 0) return {};
    out.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
}

FlockGuard::FlockGuard(int fd) : fd_(fd) {
  int rc;
  do {
    rc = ::flock(fd_, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  locked_ = rc == 0;
}

FlockGuard::~FlockGuard() {
  if (locked_) ::flock(fd_, LOCK_UN);
}

}  // namespace mailflow::sim::maildir
