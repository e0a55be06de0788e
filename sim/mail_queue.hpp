// The durable outbound queue of one SMTP host: the post office's sorting room, where an
// accepted letter waits until the relay worker hands it to the next post office or it
// comes back to its sender as a bounce.
//
// RFC 5321 §6.1 ("when the receiver-SMTP accepts a piece of mail ... it has accepted
// responsibility for delivering or reporting the failure") is the rule: enqueue() makes
// the message durable before it returns, and the SMTP layer sends 250 only after that.
// RFC 5321 §4.5.4.1 (retry strategy) is what the QueueEntry's attempts/next_attempt
// record; the schedule itself is sim::RetryPolicy (clock.hpp).
//
// Layout under the queue directory (state/queue/<host>/):
//   msg/<id>          the message bytes exactly as accepted (CRLF text)
//   env/<id>.json     the envelope: sender, recipients and their states, times, sizes.
//                     It is the commit record: written last, atomically (temporary,
//                     fsync, rename, fsync dir). An entry exists iff its envelope does.
//   corrupt/          envelopes that could not be read, with their messages, moved
//                     aside by load() for a human to look at
//
// Crash safety (RELIABILITY.md "Durable before 250", Postfix queue-file safety):
// - enqueue: message written with O_EXCL + fsync + fsync(msg/), then the envelope. A crash
//   before the envelope's rename leaves a message without an envelope (never answered
//   250); load() deletes it. The message needs no rename of its own because nothing
//   refers to it until the envelope exists, and the envelope records its size.
// - update: the envelope is replaced atomically; a crash leaves the old or the new one.
// - remove: envelope first (the entry is gone), then the message; a crash between them
//   leaves an orphan message that load() deletes.
//
// Envelope JSON (version 1):
//   {"version":1,"id":"20261201T184437Z-000001-ab12","journey":"...","sender":"",
//    "received_from":"...","arrival":"2026-12-01T18:44:37.000000000Z",
//    "next_attempt":"...","attempts":0,"size":1234,
//    "recipients":[{"address":"bob@beta.test","state":"pending","last_reply":"",
//                   "remote_mta":"","attempts":0}]}
// Times are RFC 3339 UTC with nanoseconds, so an entry reloads bit for bit. Envelope text
// that is not UTF-8 (a hostile remote reply) is stored with U+FFFD in its place; message
// bytes are never touched.
//
// Thread-safe: one mutex orders every operation of one MailQueue. One MailQueue object
// per directory (two objects on one directory in one process would race on load()).
//
// Group commit: enqueues run concurrently (the SMTP sessions call them from a thread
// pool). Each fsyncs its own message and envelope files; the directory fsyncs (msg/ before
// the envelope's rename, env/ after it) go through a GroupSync, so concurrent enqueues
// share them. The commit-record rule above is unchanged, so load() needs nothing new.
//
// Left out: per-recipient message copies (one message file serves every recipient), a
// deferred/active split of the directory (Postfix's incoming/active/deferred), hashed
// sub-directories for very large queues.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sim/group_sync.hpp"
#include "sim/maildir_store.hpp"

namespace mailflow::sim {

enum class RecipientState { Pending, Delivered, Failed };
std::string_view recipient_state_name(RecipientState s);  // "pending" | "delivered" | "failed"

struct QueuedRecipient {
  std::string address;
  RecipientState state = RecipientState::Pending;
  std::string last_reply;  // the remote server's reply, "550 5.1.1 <nobody@beta.test>: ..."
  std::string remote_mta;  // the host that gave it, "mx.beta.test"
  int attempts = 0;
  bool operator==(const QueuedRecipient&) const = default;
};

struct QueueEntry {
  std::string id;       // unique, file-name safe ("20261201T184437Z-000001-ab12")
  std::string journey;  // the journey id (the id unless the caller gave one)
  std::string sender;   // reverse path without brackets, "" for the null sender <>
  std::vector<QueuedRecipient> recipients;
  std::chrono::system_clock::time_point arrival, next_attempt;
  int attempts = 0;
  std::string received_from;  // client description for DSNs and logs
  std::uint64_t size = 0;     // message bytes
  bool operator==(const QueueEntry&) const = default;
};

// What load() found besides good entries; the lab publishes `problems` as Error events.
struct QueueLoadReport {
  std::size_t orphan_messages_removed = 0;  // message files without an envelope
  std::size_t corrupt_moved_aside = 0;      // unreadable envelopes moved to corrupt/
  std::size_t temporaries_removed = 0;      // envelope temporaries of an interrupted write
  std::vector<std::string> problems;        // one line each, for logs
};

class MailQueue {
 public:
  // Creates the directory and its sub-directories; throws std::filesystem::filesystem_error.
  explicit MailQueue(std::filesystem::path dir);
  MailQueue(const MailQueue&) = delete;
  MailQueue& operator=(const MailQueue&) = delete;

  // Durable before it returns (see above). next_attempt starts at `arrival` (try now).
  // An IoError means nothing was queued and the SMTP layer answers 451 4.3.0. Throws
  // std::invalid_argument for an empty recipient list (a caller bug, not a client error).
  StoreValue<QueueEntry> enqueue(std::string sender, std::vector<std::string> recipients,
                                 std::string_view message, std::chrono::system_clock::time_point arrival,
                                 std::string journey = {}, std::string received_from = {});

  // Every committed entry, oldest arrival first (what a restart resumes). Cleans up what
  // a crash left (see QueueLoadReport) and never throws for bad files.
  std::vector<QueueEntry> load(QueueLoadReport* report = nullptr);

  // Atomically rewrites the envelope of an existing entry (recipient states, attempts,
  // next_attempt). NoSuchMessage when the entry is not queued. The message file is never
  // rewritten: a queued message's bytes are final.
  StoreResult update(const QueueEntry& entry);
  // Removes the entry (after delivery to every recipient, or after its bounce is queued).
  StoreResult remove(const std::string& id);
  // The message bytes; NoSuchMessage for an unknown or unsafe id.
  StoreValue<std::string> read_message(const std::string& id) const;
  // Entries on disk (envelopes).
  std::size_t size() const;

  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::string next_id(std::chrono::system_clock::time_point arrival);
  std::filesystem::path message_path(const std::string& id) const;
  std::filesystem::path envelope_path(const std::string& id) const;
  std::vector<QueueEntry> load_locked(QueueLoadReport& report);
  void move_aside_locked(const std::filesystem::path& file, QueueLoadReport& report);

  const std::filesystem::path dir_;
  const std::filesystem::path messages_dir_;
  const std::filesystem::path envelopes_dir_;
  const std::filesystem::path corrupt_dir_;

  // Shared by enqueue/update/remove/reads, which touch different files and run
  // concurrently (their directory fsyncs share GroupSync passes); exclusive for load(),
  // which must not take an enqueue's message for an orphan.
  mutable std::shared_mutex mutex_;
  std::mutex id_mutex_;
  std::uint64_t sequence_ = 0;  // guarded by id_mutex_; the "000001" part of ids
  GroupSync sync_;
};

// True for ids this queue could have made: 1 to 64 of [A-Za-z0-9-], so an id from
// anywhere (a control API request) can never name a path outside the queue.
bool is_valid_queue_id(std::string_view id);

}  // namespace mailflow::sim
