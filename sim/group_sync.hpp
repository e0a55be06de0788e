// Group commit for fsync: many threads that each changed some files ask for those files
// to be durable, and one of them (the leader) fsyncs everything asked for so far in one
// pass while the others wait for that pass. On ext4 an fsync costs a journal commit
// whatever it covers, so N deliveries made durable by one pass cost about one commit
// instead of N (Postfix and databases do the same; see the SMTP benchmark in issue 3).
//
// Protocol for a caller:
//   1. make the change (rename into new/, append a UID record) WITHOUT fsync,
//   2. ticket = sync.enlist({paths to make durable}) — after the change is complete,
//   3. result = sync.wait(ticket) — returns once a pass that started after step 2 has
//      fsynced every path enlisted up to this ticket, with that pass's outcome.
// Every ticket must be waited for exactly once (the bookkeeping of failed passes counts
// on it). A pass that fails reports the failure to every ticket it covered, and those
// callers undo their change (the SMTP layer then answers 451 4.3.0, nothing accepted).
// Thread-safe; the leader runs the fsyncs without holding the lock, so new enlistments
// gather for the next pass meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <vector>

#include "sim/maildir_io.hpp"

namespace mailflow::sim {

struct GroupSyncStats {
  std::uint64_t passes = 0;   // fsync passes run
  std::uint64_t tickets = 0;  // tickets enlisted
  std::uint64_t fsyncs = 0;   // paths fsynced over all passes
};

class GroupSync {
 public:
  std::uint64_t enlist(const std::vector<std::filesystem::path>& paths);
  maildir::IoResult wait(std::uint64_t ticket);
  GroupSyncStats stats() const;

 private:
  struct FailedPass {
    std::uint64_t first = 0, last = 0;  // tickets covered
    std::uint64_t unreported = 0;       // tickets that have not read the failure yet
    std::string error;
  };
  maildir::IoResult outcome_locked(std::uint64_t ticket);

  mutable std::mutex mutex_;
  std::condition_variable passed_;
  std::uint64_t enlisted_ = 0;  // highest ticket handed out
  std::uint64_t durable_ = 0;   // highest ticket a finished pass covered
  bool running_ = false;        // a leader is inside its fsyncs
  std::set<std::filesystem::path> pending_;  // asked for since the last pass started
  std::vector<FailedPass> failures_;
  GroupSyncStats stats_;
};

}  // namespace mailflow::sim
