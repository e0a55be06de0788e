// The event bus: servers publish, subscribers (trace file, visualizer, scenario checker,
// control API stream) consume on the bus's own thread. publish() takes a short lock to
// append to a queue and never waits for a subscriber; when the queue is over its bound the
// event is counted as dropped instead of blocking a server thread.
//
// Sequence numbers go to accepted events only, so the seq values a subscriber sees are
// gap-free and a dropped event never leaves flush() waiting for something that will not
// come. Subscribers are called in batches: the bus thread takes everything queued at once
// and delivers it outside the queue lock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/event.hpp"

namespace mailflow::sim {

class EventBus {
 public:
  using Subscriber = std::function<void(const Event&)>;
  using SubscriptionId = std::uint64_t;
  // Runs on the bus thread after each batch: the moment to flush buffered output.
  using BatchEnd = std::function<void()>;

  explicit EventBus(std::size_t max_pending = 1 << 20);
  ~EventBus();  // delivers what is pending, then stops the thread
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Thread-safe; never blocks on subscribers. Assigns seq (and time when unset).
  void publish(Event e);

  // Subscribers run on the bus thread, in subscription order, for every event published
  // after they subscribed. An exception from a subscriber is swallowed and counted.
  SubscriptionId subscribe(Subscriber s);
  // The same, plus on_batch_end after every batch that this subscriber was offered.
  SubscriptionId subscribe(Subscriber s, BatchEnd on_batch_end);
  // Safe from any thread, including from inside a subscriber. Called from another thread
  // it returns only once the bus thread can no longer be inside that subscriber, so the
  // caller may then destroy what the subscriber uses. Unknown ids are ignored.
  void unsubscribe(SubscriptionId id);

  // Blocks until every event published before the call has been delivered. Called from a
  // subscriber (on the bus thread) it returns at once: the bus cannot wait for itself.
  void flush();

  // Lets a publisher skip building an event that nobody would read.
  bool has_subscribers() const { return subscriber_count_.load(std::memory_order_relaxed) > 0; }

  // Events accepted into the queue (seq of the newest); dropped ones are not included.
  std::uint64_t published() const { return next_seq_.load() - 1; }
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t subscriber_failures() const { return failures_.load(); }

 private:
  struct Slot;  // one subscription: callbacks and the first seq it may see

  void run();
  void deliver(const std::vector<Event>& batch);
  // Copies the subscriber list for the bus thread (guarded by subscribers_mutex_).
  void take_snapshot_locked();

  const std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<Event> pending_;
  std::uint64_t delivered_seq_ = 0;  // highest seq handed to subscribers (guarded by mutex_)
  bool stopping_ = false;

  std::mutex subscribers_mutex_;
  // Shared, not copied, into the bus thread's snapshot, so a stateful subscriber keeps
  // one state however often the list is snapshotted.
  std::vector<std::shared_ptr<Slot>> subscribers_;
  SubscriptionId next_subscription_ = 1;
  // Bumped on every change to the list, so the bus thread notices mid-batch.
  std::atomic<std::uint64_t> subscribers_version_{0};
  // The bus thread's view. snapshot_ is touched only by the bus thread; snapshot_version_
  // and delivering_ are guarded by subscribers_mutex_ and tell unsubscribe() when the bus
  // thread can no longer call a removed subscriber.
  std::vector<std::shared_ptr<Slot>> snapshot_;
  std::uint64_t snapshot_version_ = 0;
  bool delivering_ = false;
  std::condition_variable snapshot_changed_;
  std::atomic<std::size_t> subscriber_count_{0};

  std::atomic<std::uint64_t> next_seq_{1};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::thread thread_;
};

}  // namespace mailflow::sim
