// The event bus: a bounded queue filled by any thread and drained in batches by one
// delivery thread. See sim/event_bus.hpp for the contract.
//
// Two locks, never held together by the bus thread while it calls out:
//   mutex_              the queue, seq assignment and the delivered watermark;
//   subscribers_mutex_  the subscriber list and the bus thread's view of it.
// Subscribers are called with neither held, so they may publish, subscribe and
// unsubscribe freely.
#include "sim/event_bus.hpp"

namespace mailflow::sim {

struct EventBus::Slot {
  SubscriptionId id = 0;
  std::uint64_t first_seq = 0;  // events older than the subscription are not offered
  Subscriber on_event;
  BatchEnd on_batch_end;
  // Bus thread only: the last seq offered and the last batch ended, so a subscriber list
  // refreshed mid-batch never offers the same event or batch end twice.
  std::uint64_t delivered_through = 0;
  std::uint64_t batch_ended_through = 0;
};

namespace {
// A burst can grow the batch vectors to max_pending events; give that memory back once
// the burst is over instead of keeping two huge vectors for the life of the process.
constexpr std::size_t kRetainedBatchCapacity = 1 << 16;
}  // namespace

EventBus::EventBus(std::size_t max_pending)
    : max_pending_(max_pending), thread_([this] { run(); }) {}

EventBus::~EventBus() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void EventBus::publish(Event e) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= max_pending_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // Stamped under the lock so that time never runs backwards along seq.
    if (e.time == std::chrono::system_clock::time_point{}) e.time = std::chrono::system_clock::now();
    e.seq = next_seq_.fetch_add(1, std::memory_order_relaxed);
    was_empty = pending_.empty();
    pending_.push_back(std::move(e));
  }
  // Only the first event of a batch needs to wake the thread: it is either waiting (and
  // this wakes it) or busy (and will look at the queue again before waiting).
  if (was_empty) wake_.notify_one();
}

EventBus::SubscriptionId EventBus::subscribe(Subscriber s) { return subscribe(std::move(s), nullptr); }

EventBus::SubscriptionId EventBus::subscribe(Subscriber s, BatchEnd on_batch_end) {
  auto slot = std::make_shared<Slot>();
  slot->on_event = std::move(s);
  slot->on_batch_end = std::move(on_batch_end);
  slot->first_seq = next_seq_.load();
  std::lock_guard lock(subscribers_mutex_);
  slot->id = next_subscription_++;
  subscribers_.push_back(slot);
  subscriber_count_.fetch_add(1, std::memory_order_relaxed);
  subscribers_version_.fetch_add(1, std::memory_order_release);
  return slot->id;
}

void EventBus::unsubscribe(SubscriptionId id) {
  std::shared_ptr<Slot> removed;
  {
    std::unique_lock lock(subscribers_mutex_);
    for (auto it = subscribers_.begin(); it != subscribers_.end(); ++it) {
      if ((*it)->id == id) {
        removed = std::move(*it);
        subscribers_.erase(it);
        break;
      }
    }
    if (!removed) return;
    subscriber_count_.fetch_sub(1, std::memory_order_relaxed);
    const auto version = subscribers_version_.fetch_add(1, std::memory_order_release) + 1;
    // The bus thread checks the version before every call, so this waits for at most
    // one subscriber call. On the bus thread itself there is nothing to wait for: the
    // caller is the delivery, and the next check drops the slot.
    if (std::this_thread::get_id() != thread_.get_id()) {
      snapshot_changed_.wait(lock, [&] { return !delivering_ || snapshot_version_ >= version; });
    }
  }
  // Destroyed outside the lock: a subscriber's captures may unsubscribe in turn.
  removed.reset();
}

void EventBus::flush() {
  if (std::this_thread::get_id() == thread_.get_id()) return;
  std::unique_lock lock(mutex_);
  // Dropped events take no seq, so this target is always reached.
  const std::uint64_t target = next_seq_.load() - 1;
  drained_.wait(lock, [&] { return delivered_seq_ >= target; });
}

void EventBus::take_snapshot_locked() {
  snapshot_ = subscribers_;
  snapshot_version_ = subscribers_version_.load(std::memory_order_acquire);
  snapshot_changed_.notify_all();
}

void EventBus::run() {
  std::vector<Event> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) break;  // stopping, and everything is delivered
    batch.swap(pending_);
    lock.unlock();

    deliver(batch);
    const std::uint64_t last = batch.back().seq;
    batch.clear();
    if (batch.capacity() > kRetainedBatchCapacity) batch = {};

    lock.lock();
    delivered_seq_ = last;
    drained_.notify_all();
  }
}

void EventBus::deliver(const std::vector<Event>& batch) {
  std::uint64_t seen_version = 0;
  {
    std::lock_guard lock(subscribers_mutex_);
    take_snapshot_locked();
    seen_version = snapshot_version_;
    delivering_ = true;
  }
  // True when the list changed and snapshot_ was replaced: the caller restarts its walk,
  // and the per-slot watermarks skip whoever was already served.
  auto refresh = [&] {
    if (subscribers_version_.load(std::memory_order_acquire) == seen_version) return false;
    std::lock_guard lock(subscribers_mutex_);
    take_snapshot_locked();
    seen_version = snapshot_version_;
    return true;
  };

  for (const Event& e : batch) {
    for (std::size_t i = 0; i < snapshot_.size();) {
      if (refresh()) {
        i = 0;
        continue;
      }
      Slot& slot = *snapshot_[i++];
      if (e.seq < slot.first_seq || slot.delivered_through >= e.seq) continue;
      slot.delivered_through = e.seq;
      try {
        slot.on_event(e);
      } catch (...) {
        failures_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  const std::uint64_t last = batch.back().seq;
  for (std::size_t i = 0; i < snapshot_.size();) {
    if (refresh()) {
      i = 0;
      continue;
    }
    Slot& slot = *snapshot_[i++];
    if (!slot.on_batch_end || slot.first_seq > last || slot.batch_ended_through >= last) continue;
    slot.batch_ended_through = last;
    try {
      slot.on_batch_end();
    } catch (...) {
      failures_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // Released outside the lock for the same reason as in unsubscribe().
  std::vector<std::shared_ptr<Slot>> released;
  released.swap(snapshot_);
  {
    std::lock_guard lock(subscribers_mutex_);
    delivering_ = false;
    snapshot_changed_.notify_all();
  }
}

}  // namespace mailflow::sim
