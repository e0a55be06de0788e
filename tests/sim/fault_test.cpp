// Tests for the fault catalogue, triggers and FaultSet: pure logic, no sockets.
#include <gtest/gtest.h>

#include <set>

#include "sim/fault.hpp"

namespace mailflow::sim {
namespace {

using namespace std::chrono_literals;

FaultAttempt to(std::string recipient, std::chrono::milliseconds at = 0ms) {
  FaultAttempt a;
  a.recipient = std::move(recipient);
  a.sender = "alice@alpha.test";
  a.client = "127.10.1.1";
  a.since_start = at;
  return a;
}

std::string pattern(Trigger& t, int n, const FaultAttempt& a = to("bob@beta.test")) {
  std::string out;
  for (int i = 0; i < n; ++i) out += t.fires(a) ? 'X' : '.';
  return out;
}

TEST(FaultCatalogue, EveryKindHasAUniqueNameThatLooksItUp) {
  std::set<std::string_view> names;
  for (const auto& info : fault_catalogue()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_EQ(fault_kind_named(info.name), info.kind) << info.name;
    EXPECT_EQ(fault_info(info.kind).name, info.name);
    EXPECT_FALSE(info.summary.empty()) << info.name;
  }
  EXPECT_EQ(fault_catalogue().size(), static_cast<std::size_t>(FaultKind::LimitData) + 1);
  EXPECT_FALSE(fault_kind_named("mailbox_ful").has_value());
}

TEST(FaultTrigger, AlwaysFiresOnEveryAttempt) {
  Trigger t(TriggerSpec{});
  EXPECT_EQ(pattern(t, 4), "XXXX");
}

TEST(FaultTrigger, FirstNFailsThenEveryRetrySucceeds) {
  TriggerSpec s;
  s.mode = TriggerMode::FirstN;
  s.count = 2;
  Trigger t(s);
  EXPECT_EQ(pattern(t, 5), "XX...");
  t.reset();
  EXPECT_EQ(pattern(t, 3), "XX.") << "reset starts counting again";
}

TEST(FaultTrigger, EveryNthFiresOnMultiplesOfN) {
  TriggerSpec s;
  s.mode = TriggerMode::EveryNth;
  s.count = 3;
  Trigger t(s);
  EXPECT_EQ(pattern(t, 7), "..X..X.");
}

TEST(FaultTrigger, ProbabilityWithASeedRepeatsExactly) {
  TriggerSpec s;
  s.mode = TriggerMode::Probability;
  s.probability = 0.3;
  s.seed = 42;
  Trigger a(s), b(s);
  const std::string first = pattern(a, 200);
  EXPECT_EQ(pattern(b, 200), first);
  const auto fired = std::count(first.begin(), first.end(), 'X');
  EXPECT_GT(fired, 30);
  EXPECT_LT(fired, 90);
  s.seed = 43;
  Trigger c(s);
  EXPECT_NE(pattern(c, 200), first) << "another seed, another run";
  // Golden values: the draw must not depend on the platform's standard library.
  EXPECT_DOUBLE_EQ(seeded_draw(0, 0), static_cast<double>(0xE220A8397B1DCDAFull >> 11) * 0x1.0p-53);
}

TEST(FaultTrigger, FiltersChooseWhichAttemptsCount) {
  TriggerSpec s;
  s.mode = TriggerMode::FirstN;
  s.count = 1;
  s.recipient = "@beta.test";
  Trigger t(s);
  EXPECT_FALSE(t.fires(to("alice@alpha.test"))) << "another domain does not match";
  EXPECT_EQ(t.attempts(), 0u) << "and does not count";
  EXPECT_TRUE(t.fires(to("<Bob@BETA.test>")));
  EXPECT_FALSE(t.fires(to("carol@beta.test")));
  EXPECT_FALSE(address_matches("@beta.test", "beta.test"));
  EXPECT_TRUE(address_matches("bob@beta.test", "BOB@beta.test"));

  TriggerSpec c;
  c.client = "127.0.0.9";
  Trigger by_client(c);
  EXPECT_FALSE(by_client.fires(to("bob@beta.test")));
}

TEST(FaultTrigger, WindowOnlyFiresBetweenItsLabTimes) {
  TriggerSpec s;
  s.window_start = 10s;
  s.window_end = 20s;
  Trigger t(s);
  EXPECT_FALSE(t.fires(to("bob@beta.test", 9s)));
  EXPECT_TRUE(t.fires(to("bob@beta.test", 10s)));
  EXPECT_TRUE(t.fires(to("bob@beta.test", 19999ms)));
  EXPECT_FALSE(t.fires(to("bob@beta.test", 20s)));
}

TEST(FaultTrigger, RateLimitPassesNPerLabMinuteAndFiresBeyond) {
  TriggerSpec s;
  s.rate_per_minute = 2;
  Trigger t(s);
  std::string out;
  for (auto at : {0s, 10s, 20s, 30s, 61s, 75s, 80s}) out += t.fires(to("bob@beta.test", at)) ? 'X' : '.';
  // At 61 s the attempt at 0 s has left the minute: 10, 20, 30 remain, so it fires.
  EXPECT_EQ(out, "..XXXXX");
  Trigger u(s);
  out.clear();
  for (auto at : {0s, 10s, 70s, 80s, 85s}) out += u.fires(to("bob@beta.test", at)) ? 'X' : '.';
  EXPECT_EQ(out, "....X");
}

TEST(FaultTrigger, VerifyExplainsNonsense) {
  TriggerSpec s;
  s.mode = TriggerMode::FirstN;
  EXPECT_NE(s.verify().find("'first' needs"), std::string::npos);
  s = {};
  s.mode = TriggerMode::Probability;
  s.probability = 1.5;
  EXPECT_NE(s.verify().find("probability must be from 0 to 1"), std::string::npos);
  s = {};
  s.window_start = 5s;
  s.window_end = 5s;
  EXPECT_NE(s.verify().find("window must end after it starts"), std::string::npos);
  EXPECT_EQ(TriggerSpec{}.verify(), "");
}

FaultSpec fault(std::string name, FaultKind kind, std::string host = {}) {
  FaultSpec f;
  f.name = std::move(name);
  f.kind = kind;
  f.host = std::move(host);
  return f;
}

TEST(FaultSet, ChecksOnlyEnabledFaultsAtTheirPointAndHost) {
  FaultSet set;
  EXPECT_FALSE(set.any_enabled());
  ASSERT_EQ(set.add(fault("bob-full", FaultKind::MailboxFull, "mx.beta.test")), "");
  ASSERT_EQ(set.add(fault("dns-down", FaultKind::Servfail)), "");
  EXPECT_TRUE(set.any_enabled());

  auto hit = set.check(FaultPoint::RcptTo, "MX.beta.test", to("bob@beta.test"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->name, "bob-full");
  EXPECT_EQ(hit->kind, FaultKind::MailboxFull);
  EXPECT_FALSE(set.check(FaultPoint::RcptTo, "mx.alpha.test", to("bob@beta.test"))) << "another host";
  EXPECT_FALSE(set.check(FaultPoint::MailFrom, "mx.beta.test", to("bob@beta.test"))) << "another point";

  EXPECT_TRUE(set.set_enabled("bob-full", false));
  EXPECT_FALSE(set.check(FaultPoint::RcptTo, "mx.beta.test", to("bob@beta.test")));
  EXPECT_FALSE(set.set_enabled("no-such-fault", true));
  EXPECT_TRUE(set.check(FaultPoint::DnsQuery, "ns.lab.test", FaultAttempt{}, "beta.test"));
}

TEST(FaultSet, SwitchingOnCountsAfreshAndResetRestoresTheDeclaredState) {
  FaultSet set;
  FaultSpec grey = fault("grey", FaultKind::Greylisting);
  grey.trigger.mode = TriggerMode::FirstN;
  grey.trigger.count = 1;
  ASSERT_EQ(set.add(grey), "");
  EXPECT_TRUE(set.check(FaultPoint::RcptTo, "mx.beta.test", to("bob@beta.test")));
  EXPECT_FALSE(set.check(FaultPoint::RcptTo, "mx.beta.test", to("bob@beta.test")));
  set.set_enabled("grey", false);
  set.set_enabled("grey", true);
  EXPECT_TRUE(set.check(FaultPoint::RcptTo, "mx.beta.test", to("bob@beta.test"))) << "counted afresh";

  set.set_enabled("grey", false);
  set.reset();
  EXPECT_TRUE(set.list().front().enabled) << "declared on";
  EXPECT_TRUE(set.check(FaultPoint::RcptTo, "mx.beta.test", to("bob@beta.test")));
}

TEST(FaultSet, RefusesDuplicateNamesAndFaultsMissingTheirParameters) {
  FaultSet set;
  ASSERT_EQ(set.add(fault("a", FaultKind::UnknownUser)), "");
  EXPECT_EQ(set.add(fault("a", FaultKind::RelayDenied)), "fault 'a' is declared twice");
  EXPECT_EQ(set.add(fault("slow", FaultKind::Latency)), "fault 'slow': latency needs params.delay");
  EXPECT_EQ(set.add(fault("port", FaultKind::WrongPort)), "fault 'port': wrong_port needs params.port");
  EXPECT_TRUE(set.remove("a"));
  EXPECT_FALSE(set.any_enabled());
}

TEST(FaultSet, ADomainCoversItselfAndTheNamesUnderItOnly) {
  FaultSet set;
  FaultSpec gone = fault("gone", FaultKind::Nxdomain);
  gone.domain = "beta.test";
  ASSERT_EQ(set.add(gone), "");
  EXPECT_TRUE(set.check(FaultPoint::DnsQuery, "ns.lab.test", FaultAttempt{}, "beta.test"));
  EXPECT_TRUE(set.check(FaultPoint::DnsQuery, "ns.lab.test", FaultAttempt{}, "MX.Beta.Test."));
  EXPECT_FALSE(set.check(FaultPoint::DnsQuery, "ns.lab.test", FaultAttempt{}, "alphabeta.test")) << "not a label boundary";
  EXPECT_FALSE(set.check(FaultPoint::DnsQuery, "ns.lab.test", FaultAttempt{}, "test")) << "the parent is not covered";
}

TEST(FaultSet, UnconditionalMeansAlwaysWithoutFiltersAndCountsNothing) {
  FaultSet set;
  ASSERT_EQ(set.add(fault("down", FaultKind::ServerDown, "mx.beta.test")), "");
  FaultSpec blip = fault("blip", FaultKind::ServerDown, "mx.alpha.test");
  blip.trigger.mode = TriggerMode::FirstN;
  blip.trigger.count = 1;
  ASSERT_EQ(set.add(blip), "");
  EXPECT_TRUE(set.unconditional(FaultKind::ServerDown, "mx.beta.test").has_value());
  EXPECT_FALSE(set.unconditional(FaultKind::ServerDown, "mx.alpha.test").has_value()) << "first N is per attempt";
  EXPECT_TRUE(set.check(FaultPoint::Connect, "mx.alpha.test", FaultAttempt{})) << "the first attempt is still first";
  set.set_enabled("down", false);
  EXPECT_FALSE(set.unconditional(FaultKind::ServerDown, "mx.beta.test").has_value());
}

TEST(FaultSet, EveryChangeCallsTheListeners) {
  FaultSet set;
  int calls = 0;
  set.on_change([&] { ++calls; });
  ASSERT_EQ(set.add(fault("a", FaultKind::UnknownUser)), "");
  set.set_enabled("a", false);
  set.reset();
  set.remove("a");
  EXPECT_EQ(calls, 4);
  set.set_enabled("no-such-fault", true);
  EXPECT_EQ(calls, 4) << "nothing changed";
}

}  // namespace
}  // namespace mailflow::sim
