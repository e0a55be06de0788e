// Which journey an SMTP connection between two lab hosts carries. The relay's client
// announces its connection's local endpoint with the message's journey id before it sends
// MAIL; the receiving session looks its peer endpoint up at MAIL, so every command and
// reply of that hop is an event of the same journey, in real time and without anything
// non-standard on the wire. Connections from outside the lab (swaks, Thunderbird) are not
// announced: their session starts a new journey at MAIL. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace mailflow::smtp {

class JourneyRegistry {
 public:
  // endpoint: "127.10.1.1:40522", as net::endpoint_text() writes it.
  void announce(const std::string& endpoint, const std::string& journey) {
    std::lock_guard lock(mutex_);
    journeys_[endpoint] = journey;
  }
  void forget(const std::string& endpoint) {
    std::lock_guard lock(mutex_);
    journeys_.erase(endpoint);
  }
  std::optional<std::string> lookup(const std::string& endpoint) const {
    std::lock_guard lock(mutex_);
    auto it = journeys_.find(endpoint);
    if (it == journeys_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> journeys_;
};

}  // namespace mailflow::smtp
