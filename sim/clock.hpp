// The lab's injectable clock (STYLE.md point 10) and the retry schedule that runs on it.
// Every lab timer (queue retries, message lifetime, DNS TTLs, greylisting) asks a Clock
// for "now" instead of calling system_clock directly, so:
//   - `mailflow serve` uses a ScaledClock: lab time runs `scale` times faster than real
//     time, so Postfix-like schedules ("retry after 60 s, give up after 5 days") play out
//     in seconds in front of a class;
//   - tests use a ManualClock and move time by hand: virtual time, never sleep().
// Lab time is still a system_clock::time_point, so it prints as an RFC 5322 Date or an
// RFC 3339 trace time like any other.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace mailflow::sim {

class Clock {
 public:
  virtual ~Clock();
  virtual std::chrono::system_clock::time_point now() const = 0;
  // How long a real timer (an Asio steady_timer) must wait for `lab` to pass in lab time.
  // Identity unless the clock is scaled; a ManualClock answers `lab` too, though its
  // tests should advance() it rather than wait.
  virtual std::chrono::nanoseconds real_duration(std::chrono::nanoseconds lab) const { return lab; }
};

// Wall-clock time, unscaled.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
};

// Lab time = lab_start + scale × (real time elapsed since construction). Real elapsed time
// comes from steady_clock, so a wall-clock jump (NTP, suspend) never moves lab time
// backwards and never fires every retry at once.
class ScaledClock final : public Clock {
 public:
  // Throws std::invalid_argument unless 0 < scale <= kMaxScale.
  explicit ScaledClock(double scale,
                       std::chrono::system_clock::time_point lab_start = std::chrono::system_clock::now());
  std::chrono::system_clock::time_point now() const override;
  std::chrono::nanoseconds real_duration(std::chrono::nanoseconds lab) const override;
  double scale() const { return scale_; }
  // Jumps lab time forward (a scenario's `advance` step): retries and lifetimes that fall
  // inside the jump become due at once. Thread-safe; never moves time backwards.
  void advance(std::chrono::nanoseconds by);

  // Beyond this, one real second is over a day of lab time and the schedule stops being
  // something a student can watch.
  static constexpr double kMaxScale = 100'000.0;

 private:
  const double scale_;
  const std::chrono::system_clock::time_point lab_start_;
  const std::chrono::steady_clock::time_point real_start_;
  std::atomic<std::int64_t> advanced_ns_{0};
};

// Test clock: time stands still until advance() or set(). Thread-safe, so a test thread
// can move time while server threads read it.
class ManualClock final : public Clock {
 public:
  // 2026-12-01T18:44:37Z, the instant the golden strings in the tests use.
  static std::chrono::system_clock::time_point default_start();

  explicit ManualClock(std::chrono::system_clock::time_point start = default_start());
  std::chrono::system_clock::time_point now() const override;
  void advance(std::chrono::system_clock::duration d);
  void set(std::chrono::system_clock::time_point t);

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point now_;  // guarded by mutex_
};

// When to try a deferred message again and when to give up on it, in lab time. The
// defaults are Postfix's (src/global/mail_params.h): minimal_backoff_time 300 s is
// shortened to 60 s so the first retry shows early; maximal_backoff_time 4000 s is
// rounded to an hour; maximal_queue_lifetime 5 days.
struct RetryPolicy {
  // Wait after the first failed attempt.
  std::chrono::seconds first_retry{60};
  // Each further failure multiplies the wait by this (>= 1; 1 means a fixed interval).
  double backoff = 2.0;
  // The wait never grows beyond this.
  std::chrono::seconds max_interval{3600};
  // A message still undelivered this long after arrival bounces (Postfix
  // maximal_queue_lifetime; RFC 5321 §4.5.4.1 asks for "at least 4-5 days").
  std::chrono::seconds lifetime{5 * 24 * 3600};

  // The time of the next attempt. attempts_so_far == 0 means "never tried": now. After n
  // failures the wait is first_retry × backoff^(n-1), capped at max_interval, counted
  // from `now`; never later than arrival + lifetime, so the last try happens when the
  // lifetime ends and its failure bounces instead of waiting another interval.
  std::chrono::system_clock::time_point next_attempt(std::chrono::system_clock::time_point arrival,
                                                     int attempts_so_far,
                                                     std::chrono::system_clock::time_point now) const;
  // True once the lifetime has passed: a temporary failure now bounces.
  bool expired(std::chrono::system_clock::time_point arrival,
               std::chrono::system_clock::time_point now) const;
  // Empty when the policy makes sense, else what is wrong.
  std::string verify() const;
};

}  // namespace mailflow::sim
