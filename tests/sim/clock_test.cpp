// Tests for the lab clocks and the retry schedule: a ManualClock moves only when told, a
// ScaledClock runs `scale` times faster than real time, and RetryPolicy gives Postfix's
// schedule (first retry, doubling, capped interval, bounce after the lifetime).
#include "sim/clock.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sim/event.hpp"

namespace mailflow::sim {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

TEST(ManualClock, StandsStillUntilAdvancedOrSet) {
  ManualClock clock;
  EXPECT_EQ(format_event_time(clock.now()), "2026-12-01T18:44:37.000000Z");
  EXPECT_EQ(clock.now(), clock.now());
  clock.advance(90s);
  EXPECT_EQ(format_event_time(clock.now()), "2026-12-01T18:46:07.000000Z");
  clock.set(ManualClock::default_start() + 24h);
  EXPECT_EQ(format_event_time(clock.now()), "2026-12-02T18:44:37.000000Z");
}

TEST(ManualClock, AdvancesFromSeveralThreadsWithoutLosingAny) {
  ManualClock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) clock.advance(1s);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(clock.now(), ManualClock::default_start() + 4000s);
}

TEST(ScaledClock, RunsScaleTimesFasterThanRealTime) {
  const auto start = ManualClock::default_start();
  ScaledClock clock(1000.0, start);
  EXPECT_GE(clock.now(), start);
  // Real sleep of 20 ms is 20 lab seconds; allow generous slack for a loaded machine.
  std::this_thread::sleep_for(20ms);
  const auto lab_elapsed = clock.now() - start;
  EXPECT_GE(lab_elapsed, 20s);
  EXPECT_LT(lab_elapsed, 2000s);
  EXPECT_EQ(clock.real_duration(60s), 60ms);
}

TEST(ScaledClock, AdvanceJumpsLabTimeForwardButNeverBack) {
  const auto start = ManualClock::default_start();
  ScaledClock clock(0.001, start);  // so slow that real time adds well under a second
  clock.advance(std::chrono::hours(2));
  clock.advance(-std::chrono::hours(1));
  const auto lab_elapsed = clock.now() - start;
  EXPECT_GE(lab_elapsed, std::chrono::hours(2));
  EXPECT_LT(lab_elapsed, std::chrono::hours(2) + 1s);
}

TEST(ScaledClock, RefusesScalesThatAreNotPositiveOrAbsurd) {
  EXPECT_THROW(ScaledClock(0.0), std::invalid_argument);
  EXPECT_THROW(ScaledClock(-2.0), std::invalid_argument);
  EXPECT_THROW(ScaledClock(1e9), std::invalid_argument);
  EXPECT_THROW(ScaledClock(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_NO_THROW(ScaledClock(1.0));
}

TEST(SystemClock, FollowsTheWallClock) {
  SystemClock clock;
  const auto before = system_clock::now();
  const auto now = clock.now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, system_clock::now());
}

TEST(RetryPolicy, FirstAttemptIsImmediate) {
  const RetryPolicy policy;
  ManualClock clock;
  EXPECT_EQ(policy.next_attempt(clock.now(), 0, clock.now()), clock.now());
}

TEST(RetryPolicy, WaitsFirstRetryThenDoublesUpToTheCap) {
  const RetryPolicy policy;  // 60 s, x2, capped at 3600 s
  ManualClock clock;
  const auto arrival = clock.now();
  const std::vector<std::chrono::seconds> expected = {60s, 120s, 240s, 480s, 960s, 1920s, 3600s, 3600s, 3600s};
  for (std::size_t failures = 1; failures <= expected.size(); ++failures) {
    SCOPED_TRACE(failures);
    const auto next = policy.next_attempt(arrival, static_cast<int>(failures), clock.now());
    EXPECT_EQ(next - clock.now(), expected[failures - 1]);
    clock.set(next);  // the worker wakes exactly then and fails again
  }
}

TEST(RetryPolicy, HugeAttemptCountsStayAtTheCap) {
  const RetryPolicy policy;
  ManualClock clock;
  EXPECT_EQ(policy.next_attempt(clock.now(), 1'000'000, clock.now()) - clock.now(), 3600s);
}

TEST(RetryPolicy, LastAttemptFallsOnTheEndOfTheLifetimeThenExpires) {
  RetryPolicy policy;
  policy.lifetime = 1000s;
  ManualClock clock;
  const auto arrival = clock.now();
  clock.advance(900s);
  EXPECT_FALSE(policy.expired(arrival, clock.now()));
  // Ten failures would mean waiting an hour; the lifetime ends in 100 s.
  const auto next = policy.next_attempt(arrival, 10, clock.now());
  EXPECT_EQ(next, arrival + 1000s);
  clock.set(next);
  EXPECT_TRUE(policy.expired(arrival, clock.now()));
  EXPECT_EQ(policy.next_attempt(arrival, 11, clock.now()), clock.now());
}

TEST(RetryPolicy, DefaultLifetimeIsFiveDays) {
  const RetryPolicy policy;
  ManualClock clock;
  const auto arrival = clock.now();
  clock.advance(5 * 24h - 1s);
  EXPECT_FALSE(policy.expired(arrival, clock.now()));
  clock.advance(1s);
  EXPECT_TRUE(policy.expired(arrival, clock.now()));
}

TEST(RetryPolicy, VerifyExplainsWhatIsWrong) {
  EXPECT_EQ(RetryPolicy{}.verify(), "");
  RetryPolicy policy;
  policy.first_retry = 0s;
  EXPECT_EQ(policy.verify(), "first_retry must be positive");
  policy = {};
  policy.backoff = 0.5;
  EXPECT_EQ(policy.verify(), "backoff must be a finite number >= 1");
  policy = {};
  policy.max_interval = 10s;
  EXPECT_EQ(policy.verify(), "max_interval must be at least first_retry");
  policy = {};
  policy.lifetime = 0s;
  EXPECT_EQ(policy.verify(), "lifetime must be positive");
}

}  // namespace
}  // namespace mailflow::sim

namespace mailflow::sim {
namespace {

TEST(ScaledClock, ClampsHugeRealDurationsInsteadOfOverflowing) {
  ScaledClock slow(0.0001);
  auto real = slow.real_duration(std::chrono::hours(24 * 365));
  EXPECT_GT(real, std::chrono::hours(24 * 365 * 100)) << "stretched, and still positive";
  EXPECT_EQ(ScaledClock(2.0).real_duration(std::chrono::seconds(10)), std::chrono::seconds(5));
}

}  // namespace
}  // namespace mailflow::sim
