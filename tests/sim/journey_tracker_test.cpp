// Tests for the journey tracker: states from events, the deciding reply, waiting.
#include <gtest/gtest.h>

#include <thread>

#include "sim/journey_tracker.hpp"

namespace mailflow::sim {
namespace {

using namespace std::chrono_literals;

Event event(EventKind kind, std::string host, int code = 0, std::string status = {}, std::string journey = "j1") {
  Event e;
  e.kind = kind;
  e.host = std::move(host);
  e.code = code;
  e.status = std::move(status);
  e.journey = std::move(journey);
  e.line = std::string(event_kind_name(kind));
  return e;
}

TEST(JourneyTracker, FollowsALetterFromQueueToMailboxHostByHost) {
  JourneyTracker t(nullptr);
  t.observe(event(EventKind::Command, "smtp.alpha.test"));
  t.observe(event(EventKind::Queued, "smtp.alpha.test"));
  t.observe(event(EventKind::Relay, "smtp.alpha.test"));
  t.observe(event(EventKind::Command, "mx.beta.test"));
  t.observe(event(EventKind::Delivered, "mx.beta.test"));
  auto s = t.status("j1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, JourneyState::Delivered);
  EXPECT_TRUE(s->has_reached(JourneyState::Queued));
  EXPECT_FALSE(s->has_reached(JourneyState::Bounced));
  EXPECT_EQ(s->hosts, (std::vector<std::string>{"smtp.alpha.test", "mx.beta.test"}));
  EXPECT_FALSE(t.status("j2"));
}

TEST(JourneyTracker, TheMxsAcceptanceAfterItsDeliveryDoesNotMoveTheLetterBackToQueued) {
  JourneyTracker t(nullptr);
  t.observe(event(EventKind::Queued, "smtp.alpha.test"));
  t.observe(event(EventKind::Delivered, "mx.beta.test"));
  t.observe(event(EventKind::Queued, "mx.beta.test"));
  auto s = t.status("j1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, JourneyState::Delivered);
}

TEST(JourneyTracker, ABounceKeepsTheRemoteRefusalsCode) {
  JourneyTracker t(nullptr);
  t.observe(event(EventKind::Queued, "smtp.alpha.test"));
  t.observe(event(EventKind::Rejected, "smtp.alpha.test", 550, "5.1.1"));
  t.observe(event(EventKind::Bounced, "smtp.alpha.test"));
  auto s = t.status("j1");
  EXPECT_EQ(s->state, JourneyState::Bounced);
  EXPECT_TRUE(s->has_reached(JourneyState::Rejected));
  EXPECT_EQ(s->code, 550);
  EXPECT_EQ(s->status, "5.1.1");
}

TEST(JourneyTracker, TheBouncesReturnTripDoesNotUndoTheBounce) {
  JourneyTracker t(nullptr);
  t.observe(event(EventKind::Queued, "smtp.alpha.test"));
  t.observe(event(EventKind::Rejected, "smtp.alpha.test", 550, "5.1.1"));
  Event bounced = event(EventKind::Bounced, "smtp.alpha.test");
  bounced.line = "bounce Q2 to <alice@alpha.test> for 1 failed recipient(s): 550 5.1.1 ...";
  t.observe(bounced);
  t.observe(event(EventKind::Queued, "mx.alpha.test"));  // the bounce accepted by alice's MX
  EXPECT_FALSE(t.wait_for("j1", JourneyState::Bounced, 1ms)) << "the bounce is not back yet";
  Event stored = event(EventKind::Delivered, "mx.alpha.test", 250, "2.0.0");
  stored.line = "stored in the mailbox of alice@alpha.test (UID 1, 2779 octets)";
  t.observe(stored);
  EXPECT_TRUE(t.wait_for("j1", JourneyState::Bounced, 1ms));
  auto s = t.status("j1");
  EXPECT_EQ(s->state, JourneyState::Bounced);
  EXPECT_FALSE(s->has_reached(JourneyState::Delivered));
  EXPECT_EQ(s->bounce_to, "alice@alpha.test");
  EXPECT_EQ(s->bounce_state, JourneyState::Delivered);
  EXPECT_EQ(s->code, 550);
}

TEST(JourneyTracker, AnErrorReplyToTheClientIsTheCodeOfWhatFollows) {
  JourneyTracker t(nullptr);
  t.observe(event(EventKind::Reply, "mx.beta.test", 451, "4.7.1"));
  t.observe(event(EventKind::Deferred, "smtp.alpha.test"));
  EXPECT_EQ(t.status("j1")->code, 451);
  EXPECT_EQ(t.status("j1")->status, "4.7.1");
}

TEST(JourneyTracker, EventsWithoutAJourneyAreIgnoredAndAllKeepsOrder) {
  JourneyTracker t(nullptr);
  t.observe(event(EventKind::Queued, "smtp.alpha.test", 0, {}, ""));
  t.observe(event(EventKind::Queued, "smtp.alpha.test", 0, {}, "b"));
  t.observe(event(EventKind::Queued, "smtp.alpha.test", 0, {}, "a"));
  auto all = t.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "b");
  t.clear();
  EXPECT_TRUE(t.all().empty());
}

TEST(JourneyTracker, WaitsOnTheBusUntilTheStateIsReachedOrTheTimeoutPasses) {
  EventBus bus;
  JourneyTracker t(&bus);
  EXPECT_FALSE(t.wait_for("j1", JourneyState::Delivered, 20ms));
  std::thread publisher([&] {
    std::this_thread::sleep_for(10ms);
    bus.publish(event(EventKind::Delivered, "mx.beta.test"));
  });
  EXPECT_TRUE(t.wait_for("j1", JourneyState::Delivered, 10s));
  publisher.join();
}

}  // namespace
}  // namespace mailflow::sim
