// Internal to the Maildir store: the lock held while a folder's files or UID list change.
// The in-process mutex orders this process's sessions; flock() on mailflow.lock orders
// other processes that share the Maildir (a second lab, a test harness).
#pragma once

#include <mutex>

#include "sim/maildir_io.hpp"
#include "sim/maildir_store.hpp"

namespace mailflow::sim {

class Mailbox::Guard {
 public:
  explicit Guard(const Mailbox& mailbox) : lock_(mailbox.mutex_), flock_(mailbox.lock_fd_.get()) {}

 private:
  std::unique_lock<std::mutex> lock_;
  maildir::FlockGuard flock_;  // acquired after the mutex, so threads never queue on it
};

}  // namespace mailflow::sim
