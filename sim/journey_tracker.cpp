// Journey states from events: see journey_tracker.hpp.
#include "sim/journey_tracker.hpp"

namespace mailflow::sim {

std::optional<JourneyState> journey_state_of(const Event& e) {
  switch (e.kind) {
    case EventKind::Queued: return JourneyState::Queued;
    case EventKind::Delivered: return JourneyState::Delivered;
    case EventKind::Deferred: return JourneyState::Deferred;
    case EventKind::Rejected: return JourneyState::Rejected;
    case EventKind::Bounced: return JourneyState::Bounced;
    default: return std::nullopt;
  }
}

namespace {

// The relay's Bounced line: "bounce <id> to <alice@alpha.test> for 1 failed recipient(s): ...".
std::string bounce_recipient(const std::string& line) {
  const auto start = line.find(" to <");
  if (start == std::string::npos) return {};
  const auto end = line.find('>', start + 5);
  return end == std::string::npos ? std::string() : line.substr(start + 5, end - start - 5);
}

}  // namespace

JourneyTracker::JourneyTracker(EventBus* bus) : bus_(bus) {
  if (bus_) subscription_ = bus_->subscribe([this](const Event& e) { observe(e); });
}

JourneyTracker::~JourneyTracker() {
  if (bus_) bus_->unsubscribe(subscription_);
}

void JourneyTracker::observe(const Event& e) {
  if (e.journey.empty()) return;
  std::lock_guard lock(mutex_);
  auto [it, inserted] = journeys_.try_emplace(e.journey);
  JourneyStatus& j = it->second;
  if (inserted) {
    j.id = e.journey;
    j.first_seen = e.time;
    order_.push_back(e.journey);
  }
  j.last_seen = e.time;
  if (!e.host.empty() && (j.hosts.empty() || j.hosts.back() != e.host)) j.hosts.push_back(e.host);
  // A refusal the client was told of in a reply (RCPT 550 at the MX) decides as much as
  // a Rejected event; remember it for the state event that follows.
  if (e.kind == EventKind::Reply && e.code >= 400) {
    j.code = e.code;
    j.status = e.status;
  }
  auto state = journey_state_of(e);
  if (!state) return;
  if (j.has_reached(JourneyState::Bounced) && *state != JourneyState::Bounced &&
      (*state == JourneyState::Queued || (!j.bounce_to.empty() && e.line.find(j.bounce_to) != std::string::npos))) {
    j.bounce_state = *state;
    changed_.notify_all();
    return;
  }
  if (*state == JourneyState::Queued && j.state == JourneyState::Delivered) {
    // The receiving MX stores first and then says it accepted the message (a Queued
    // event from another thread, which may arrive after Delivered): not a step back.
    j.reached.insert(*state);
    changed_.notify_all();
    return;
  }
  j.state = *state;
  j.reached.insert(*state);
  j.line = e.line;
  if (*state == JourneyState::Bounced) {
    j.bounce_to = bounce_recipient(e.line);
    j.bounce_state = JourneyState::Queued;
  }
  // Only a refusal or deferral decides a code worth showing (not the bounce, not a 250).
  if (*state != JourneyState::Bounced && e.code >= 400) {
    j.code = e.code;
    j.status = e.status;
  }
  changed_.notify_all();
}

std::optional<JourneyStatus> JourneyTracker::status(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return std::nullopt;
  return it->second;
}

std::vector<JourneyStatus> JourneyTracker::all() const {
  std::lock_guard lock(mutex_);
  std::vector<JourneyStatus> out;
  for (const auto& id : order_) out.push_back(journeys_.at(id));
  return out;
}

bool JourneyTracker::wait_for(const std::string& id, JourneyState state, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    auto it = journeys_.find(id);
    if (it == journeys_.end() || !it->second.has_reached(state)) return false;
    // "Bounced" is the letter back with its sender: the bounce delivered, or refused on
    // its way (a bounce never bounces).
    const auto back = it->second.bounce_state;
    return state != JourneyState::Bounced || back == JourneyState::Delivered || back == JourneyState::Rejected;
  });
}

void JourneyTracker::clear() {
  std::lock_guard lock(mutex_);
  journeys_.clear();
  order_.clear();
  changed_.notify_all();
}

}  // namespace mailflow::sim
