// Where every letter's journey stands, from the event bus: the scenario runner waits on
// it and checks its expectations against it, the control API answers "wait for journey X
// to be delivered" from it, and the visualizer colours its envelopes by it.
//
// A journey is the letter as one id (DESIGN.md "The journey"); with several recipients it
// can be delivered for one and bounced for another, so the tracker keeps every state the
// journey has reached as well as the latest, and the reply that decided each refusal or
// deferral (the remote server's own code, not the bounce's).
//
// A bounce travels back under the letter's journey id (the visualizer draws the letter
// returning). Once a journey has bounced, its Queued events and the state events that
// name the bounce's recipient (the original sender) are the return trip: they set
// `bounce_state`, not `state`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/event.hpp"
#include "sim/event_bus.hpp"
#include "sim/scenario.hpp"

namespace mailflow::sim {

struct JourneyStatus {
  std::string id;
  JourneyState state = JourneyState::Queued;  // the latest
  std::set<JourneyState> reached;             // every state it has been in
  int code = 0;                               // the reply behind the latest refusal or deferral
  std::string status;                         // its enhanced status code
  std::string line;                           // the latest state event's line
  std::vector<std::string> hosts;             // the hosts it passed, in order
  std::string bounce_to;                      // where its bounce went, once bounced
  std::optional<JourneyState> bounce_state;   // how far the bounce has come back
  std::chrono::system_clock::time_point first_seen{}, last_seen{};

  bool has_reached(JourneyState s) const { return reached.contains(s); }
};

// The journey state an event moves its journey to, if any.
std::optional<JourneyState> journey_state_of(const Event& e);

class JourneyTracker {
 public:
  // Subscribes to `bus` (null: only observe() feeds it, as a trace replay does).
  explicit JourneyTracker(EventBus* bus);
  ~JourneyTracker();
  JourneyTracker(const JourneyTracker&) = delete;
  JourneyTracker& operator=(const JourneyTracker&) = delete;

  void observe(const Event& e);
  std::optional<JourneyStatus> status(const std::string& id) const;
  std::vector<JourneyStatus> all() const;  // by first appearance
  // Blocks until the journey has reached `state` or `timeout` passes (real time). For
  // Bounced, until the bounce is back: delivered to the sender's mailbox (or refused).
  bool wait_for(const std::string& id, JourneyState state, std::chrono::milliseconds timeout) const;
  // Forgets every journey (the world was reset).
  void clear();

 private:
  EventBus* bus_;
  EventBus::SubscriptionId subscription_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, JourneyStatus> journeys_;
  std::vector<std::string> order_;
};

}  // namespace mailflow::sim
