// Leader/follower group commit (see group_sync.hpp).
#include "sim/group_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mailflow::sim {

namespace {

// Files and directories alike: O_RDONLY is enough for fsync on Linux.
maildir::IoResult fsync_path(const std::filesystem::path& path) {
  maildir::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {fmt::format("open {}: {}", path.string(), std::strerror(errno))};
  int rc;
  do {
    rc = ::fsync(fd.get());
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return {fmt::format("fsync {}: {}", path.string(), std::strerror(errno))};
  return {};
}

}  // namespace

std::uint64_t GroupSync::enlist(const std::vector<std::filesystem::path>& paths) {
  std::lock_guard lock(mutex_);
  pending_.insert(paths.begin(), paths.end());
  ++stats_.tickets;
  return ++enlisted_;
}

maildir::IoResult GroupSync::outcome_locked(std::uint64_t ticket) {
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (ticket < it->first || ticket > it->last) continue;
    maildir::IoResult failed{it->error};
    if (--it->unreported == 0) failures_.erase(it);
    return failed;
  }
  return {};
}

maildir::IoResult GroupSync::wait(std::uint64_t ticket) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (ticket <= durable_) return outcome_locked(ticket);
    if (!running_) break;
    // The running pass may have started before this ticket's change: wait for it, then
    // either it covered us or we lead the next one.
    passed_.wait(lock);
  }
  running_ = true;
  const std::uint64_t first = durable_ + 1;
  const std::uint64_t last = enlisted_;
  std::set<std::filesystem::path> batch;
  batch.swap(pending_);
  lock.unlock();

  maildir::IoResult result;
  for (const auto& path : batch) {
    result = fsync_path(path);
    if (!result.ok()) break;
  }

  lock.lock();
  ++stats_.passes;
  stats_.fsyncs += batch.size();
  if (!result.ok()) failures_.push_back(FailedPass{first, last, last - first + 1, result.error});
  durable_ = last;
  running_ = false;
  passed_.notify_all();
  return outcome_locked(ticket);
}

GroupSyncStats GroupSync::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace mailflow::sim
