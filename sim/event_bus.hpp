// The event bus: servers publish, subscribers (trace file, visualizer, scenario checker,
// control API stream) consume on the bus's own thread. publish() takes a short lock to
// append to a queue and never waits for a subscriber; when the queue is over its bound the
// event is counted as dropped instead of blocking a server thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/event.hpp"

namespace mailflow::sim {

class EventBus {
 public:
  using Subscriber = std::function<void(const Event&)>;
  using SubscriptionId = std::uint64_t;

  explicit EventBus(std::size_t max_pending = 1 << 20);
  ~EventBus();  // delivers what is pending, then stops the thread
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Thread-safe; never blocks on subscribers. Assigns seq (and time when unset).
  void publish(Event e);

  // Subscribers run on the bus thread, in subscription order, for every event published
  // after they subscribed. An exception from a subscriber is swallowed and counted.
  SubscriptionId subscribe(Subscriber s);
  void unsubscribe(SubscriptionId id);

  // Blocks until every event published before the call has been delivered.
  void flush();

  std::uint64_t published() const { return next_seq_.load() - 1; }
  std::uint64_t dropped() const { return dropped_.load(); }
  std::uint64_t subscriber_failures() const { return failures_.load(); }

 private:
  void run();

  const std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<Event> pending_;
  std::uint64_t delivered_seq_ = 0;  // highest seq handed to subscribers (guarded by mutex_)
  bool stopping_ = false;

  std::mutex subscribers_mutex_;
  std::vector<std::pair<SubscriptionId, Subscriber>> subscribers_;
  SubscriptionId next_subscription_ = 1;

  std::atomic<std::uint64_t> next_seq_{1};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::thread thread_;
};

}  // namespace mailflow::sim
