// When a fault fires. A fault (sim/fault.hpp) acts at a decision point of a real server or
// client; its trigger decides, attempt by attempt, whether this attempt is the one that
// fails. Triggers are deterministic: given the same attempts in the same order and the
// same seed they fire the same way, so a scenario run can be reproduced exactly.
//
//   always          every attempt
//   first N         attempts 1..N fail, then every later one succeeds (testing retries)
//   every Nth       attempts N, 2N, 3N, ...
//   probability p   each attempt with probability p, from a seeded generator
// narrowed by filters that all must match before an attempt even counts:
//   recipient / sender  an address ("bob@beta.test") or a whole domain ("@beta.test")
//   client              the client's IP address
//   window              only between two lab times (offsets from the lab's start)
// and optionally a rate limit: the first N matching attempts in any minute of lab time
// pass, the ones beyond fire (a server's "421 too many messages" or "451 slow down").
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace mailflow::sim {

enum class TriggerMode { Always, FirstN, EveryNth, Probability };

struct TriggerSpec {
  TriggerMode mode = TriggerMode::Always;
  std::uint64_t count = 0;   // FirstN: how many fail; EveryNth: the period (at least 1)
  double probability = 1.0;  // Probability: from 0 to 1
  std::uint64_t seed = 0;    // Probability: the generator's seed

  std::string recipient;  // "" any; "bob@beta.test", or "@beta.test" for a domain
  std::string sender;     // the same forms; "<>" is the null sender
  std::string client;     // "" any; an IP address
  std::optional<std::chrono::milliseconds> window_start;  // lab time since the lab started
  std::optional<std::chrono::milliseconds> window_end;
  std::optional<std::uint32_t> rate_per_minute;  // pass this many per lab minute, fire beyond

  // "" when the trigger makes sense; else what is wrong, in words for a scenario author.
  std::string verify() const;
  friend bool operator==(const TriggerSpec&, const TriggerSpec&) = default;
};

// What the decision point knows about the attempt.
struct FaultAttempt {
  std::string recipient;  // the RCPT, or "" where there is none (a connection, a DNS query)
  std::string sender;
  std::string client;
  std::chrono::milliseconds since_start{0};  // lab time since the lab started
};

// One fault's trigger with its counters; thread-safe (servers ask from several threads).
class Trigger {
 public:
  explicit Trigger(TriggerSpec spec) : spec_(std::move(spec)) {}

  // True when this attempt is one the fault acts on. Every call that passes the filters
  // counts as an attempt.
  bool fires(const FaultAttempt& attempt);
  // Starts counting again (the fault was switched off and on, or the world was reset).
  void reset();
  std::uint64_t attempts() const;
  const TriggerSpec& spec() const { return spec_; }

 private:
  bool matches(const FaultAttempt& attempt) const;

  const TriggerSpec spec_;
  mutable std::mutex mutex_;
  std::uint64_t attempts_ = 0;
  std::deque<std::chrono::milliseconds> recent_;  // rate limit: matching attempts in the last minute
};

// Whether `address` is named by `pattern` ("" any, "@domain" a domain, else the address);
// ASCII case-insensitive, angle brackets ignored.
bool address_matches(const std::string& pattern, const std::string& address);

// The probability trigger's draw for attempt n: a number in [0, 1) from SplitMix64, so a
// seed gives the same sequence on every platform and standard library.
double seeded_draw(std::uint64_t seed, std::uint64_t n);

}  // namespace mailflow::sim
