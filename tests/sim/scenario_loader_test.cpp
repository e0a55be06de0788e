// Tests for the scenario loader: a full scenario reads into the model, and each kind of
// mistake is reported with its line, column and a message a trainer can act on.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/scenario_loader.hpp"

namespace mailflow::sim {
namespace {

using namespace std::chrono_literals;

constexpr const char* kHeader =
    "title: { en: Unknown user, ja: 存在しないユーザー }\n"
    "explanation: { en: The MX has no such mailbox., ja: 受信側にそのメールボックスがありません。 }\n";

ScenarioLoadResult load(const std::string& body) { return load_scenario_string(std::string(kHeader) + body, "s.yaml"); }

std::string first_error(const ScenarioLoadResult& r) { return r.errors.empty() ? "" : r.errors.front().to_string(); }

TEST(ScenarioLoader, ReadsEverySection) {
  const auto r = load(
      "seed: 7\n"
      "actors:\n"
      "  - { name: alice-laptop, kind: sender, user: alice@alpha.test, server: smtp.alpha.test }\n"
      "  - { name: bob-phone, kind: imap, user: bob@beta.test, server: mail.beta.test, tls: starttls, port: 10143 }\n"
      "  - { name: bob-pc, kind: pop3, user: bob@beta.test, server: mail.beta.test, password: wrong, leave_on_server: true }\n"
      "faults:\n"
      "  - name: grey\n"
      "    kind: greylisting\n"
      "    host: mx.beta.test\n"
      "    trigger: { first: 1, recipient: '@beta.test', from: 1s, until: 1h }\n"
      "  - { name: slow, kind: latency, delay: 200ms, jitter: 50ms, enabled: false, trigger: { probability: 0.5, seed: 3 } }\n"
      "steps:\n"
      "  - send: { from: alice-laptop, to: [bob@beta.test], subject: Hi, body: Hello, as: letter1 }\n"
      "  - fault: { name: slow, enabled: true }\n"
      "  - advance: 10m\n"
      "  - wait: { letter: letter1, state: delivered, timeout: 20s }\n"
      "  - dns: { name: mx.beta.test, type: A, value: 127.10.2.9, ttl: 60 }\n"
      "  - fetch: bob-phone\n"
      "expect:\n"
      "  - { letter: letter1, state: delivered }\n"
      "  - { actor: bob-pc, saw: '-ERR [AUTH]' }\n"
      "  - { mailbox: bob@beta.test, messages: 1 }\n"
      "  - { bounce_to: alice@alpha.test, diagnostic_contains: User unknown }\n");
  ASSERT_TRUE(r.ok()) << first_error(r);
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.title.ja, "存在しないユーザー");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.world, default_world());
  ASSERT_EQ(s.actors.size(), 3u);
  EXPECT_EQ(s.actors[0].tls, TlsMode::Starttls) << "a sender's default";
  EXPECT_EQ(s.actors[0].password, "alice-secret") << "the user's own by default";
  EXPECT_EQ(s.actors[1].port, 10143);
  EXPECT_EQ(s.actors[2].tls, TlsMode::Implicit) << "a reader's default";
  EXPECT_EQ(s.actors[2].password, "wrong");
  EXPECT_TRUE(s.actors[2].leave_on_server);
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].trigger.mode, TriggerMode::FirstN);
  EXPECT_EQ(s.faults[0].trigger.recipient, "@beta.test");
  EXPECT_EQ(s.faults[0].trigger.window_end, 1h);
  EXPECT_EQ(s.faults[1].params.delay, 200ms);
  EXPECT_FALSE(s.faults[1].enabled);
  EXPECT_EQ(s.faults[1].trigger.seed, 3u);
  ASSERT_EQ(s.steps.size(), 6u);
  EXPECT_EQ(std::get<SendStep>(s.steps[0]).letter, "letter1");
  EXPECT_EQ(std::get<AdvanceStep>(s.steps[2]).by, 10min);
  EXPECT_EQ(std::get<WaitStep>(s.steps[3]).timeout, 20s);
  EXPECT_EQ(std::get<DnsStep>(s.steps[4]).record.ttl, 60u);
  EXPECT_EQ(std::get<FetchStep>(s.steps[5]).actor, "bob-phone");
  ASSERT_EQ(s.expectations.size(), 4u);
  EXPECT_EQ(std::get<MailboxExpectation>(s.expectations[2]).folder, "INBOX");
}

TEST(ScenarioLoader, TitleAndExplanationNeedBothLanguages) {
  const auto r = load_scenario_string("title: { en: Only English }\nexplanation: { en: a, ja: b }\n", "s.yaml");
  EXPECT_EQ(first_error(r), "s.yaml:1:8: title is missing required key 'ja'");
}

TEST(ScenarioLoader, AnUnknownFaultKindIsAnErrorNamingTheCatalogue) {
  const auto r = load("faults:\n  - { name: f, kind: mailbox_ful }\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(first_error(r).rfind("s.yaml:4:22: unknown fault kind 'mailbox_ful' (known: wrong_port, ", 0), 0u)
      << first_error(r);
}

TEST(ScenarioLoader, AnUnknownKeyIsAnErrorNotIgnored) {
  const auto r = load("faults:\n  - { name: f, kind: unknown_user, trigger: { firsst: 2 } }\n");
  EXPECT_EQ(first_error(r).rfind("s.yaml:4:47: unknown key 'firsst' in trigger", 0), 0u) << first_error(r);
}

TEST(ScenarioLoader, AFaultMissingItsParameterSaysWhich) {
  const auto r = load("faults:\n  - { name: slow, kind: latency }\n");
  EXPECT_EQ(first_error(r), "s.yaml:4:5: latency needs params.delay");
}

TEST(ScenarioLoader, StepsAndExpectationsMustNameWhatExists) {
  const auto r = load(
      "actors:\n"
      "  - { name: bob-phone, kind: imap, user: bob@beta.test, server: mail.beta.test }\n"
      "steps:\n"
      "  - send: { from: bob-phone, to: bob@beta.test }\n"
      "  - fetch: nobody\n"
      "  - fault: { name: nothing, enabled: true }\n"
      "expect:\n"
      "  - { letter: letter9, state: bounced }\n"
      "  - { mailbox: dave@beta.test, messages: 0 }\n");
  ASSERT_EQ(r.errors.size(), 5u) << first_error(r);
  EXPECT_EQ(r.errors[0].to_string(), "s.yaml:6:19: actor 'bob-phone' is a reader; only a sender sends");
  EXPECT_EQ(r.errors[1].to_string(), "s.yaml:7:12: no actor named 'nobody'");
  EXPECT_EQ(r.errors[2].to_string(), "s.yaml:8:20: no fault named 'nothing'");
  EXPECT_EQ(r.errors[3].to_string(),
            "s.yaml:10:15: no letter named 'letter9' (name one with `as:` on a send step)");
  EXPECT_EQ(r.errors[4].to_string(), "s.yaml:11:16: 'dave@beta.test' is not a user of the world");
}

TEST(ScenarioLoader, ADownloadExpectationNamesAReaderAndNothingElse) {
  const auto r = load(
      "actors:\n"
      "  - { name: alice-laptop, kind: sender, user: alice@alpha.test, server: smtp.alpha.test }\n"
      "  - { name: bob-pc, kind: pop3, user: bob@beta.test, server: mail.beta.test }\n"
      "expect:\n"
      "  - { actor: bob-pc, downloaded: 2 }\n"
      "  - { actor: alice-laptop, downloaded: 1 }\n"
      "  - { actor: bob-pc, downloaded: 1, saw: x }\n");
  ASSERT_EQ(r.errors.size(), 2u) << first_error(r);
  EXPECT_EQ(r.errors[0].to_string(), "s.yaml:8:14: actor 'alice-laptop' is a sender; only pop3 and imap actors fetch");
  EXPECT_EQ(r.errors[1].to_string(), "s.yaml:9:37: unknown key 'saw' in download expectation (allowed: actor, downloaded)")
      << "saw and downloaded do not mix";
}

TEST(ScenarioLoader, ADownloadExpectationLoads) {
  const auto r = load(
      "actors:\n"
      "  - { name: bob-pc, kind: pop3, user: bob@beta.test, server: mail.beta.test }\n"
      "expect:\n"
      "  - { actor: bob-pc, downloaded: 2 }\n");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.scenario->expectations.size(), 1u);
  EXPECT_EQ(std::get<DownloadExpectation>(r.scenario->expectations[0]), (DownloadExpectation{"bob-pc", 2}));
}

TEST(ScenarioLoader, AJourneyExpectationMayNameTheHostItPassed) {
  const auto r = load(
      "actors:\n"
      "  - { name: alice-laptop, kind: sender, user: alice@alpha.test, server: smtp.alpha.test }\n"
      "steps:\n  - send: { from: alice-laptop, to: bob@beta.test, as: letter }\n"
      "expect:\n"
      "  - { letter: letter, state: delivered, via: MX2.beta.test }\n");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.scenario->expectations.size(), 1u);
  EXPECT_EQ(std::get<JourneyExpectation>(r.scenario->expectations[0]).via, "mx2.beta.test");
}

TEST(ScenarioLoader, AFaultExpectationNamesADeclaredFault) {
  const auto r = load(
      "faults:\n  - { name: grey, kind: greylisting }\n"
      "expect:\n"
      "  - { fault: grey, times: 2 }\n"
      "  - { fault: grey, fired: false }\n"
      "  - { fault: nothing }\n"
      "  - { fault: grey, fired: false, times: 1 }\n");
  ASSERT_EQ(r.errors.size(), 2u) << first_error(r);
  EXPECT_EQ(r.errors[0].to_string(), "s.yaml:8:14: no fault named 'nothing'");
  EXPECT_EQ(r.errors[1].to_string(), "s.yaml:9:41: times needs fired: true (a fault that never fired acted 0 times)");
  const auto ok = load("faults:\n  - { name: grey, kind: greylisting }\nexpect:\n  - { fault: grey, times: 2 }\n");
  ASSERT_TRUE(ok.ok()) << first_error(ok);
  EXPECT_EQ(std::get<FaultExpectation>(ok.scenario->expectations[0]), (FaultExpectation{"grey", true, 2}));
}

TEST(ScenarioLoader, ARecordChangedFaultNeedsTypeAndData) {
  const auto r = load("faults:\n  - { name: moved, kind: record_changed, domain: beta.test, value: mx2.beta.test }\n");
  EXPECT_NE(first_error(r).find("record_changed needs params.value (the new record as \"TYPE DATA\""), std::string::npos)
      << first_error(r);
}

TEST(ScenarioLoader, AStepDoesOneThingAndAnActorNeedsAWorldUser) {
  const auto r = load(
      "actors:\n"
      "  - { name: eve, kind: sender, user: eve@alpha.test, server: smtp.alpha.test }\n"
      "steps:\n"
      "  - { advance: 1m, fetch: eve }\n");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].to_string(), "s.yaml:4:38: actor user 'eve@alpha.test' is not a user of the world");
  EXPECT_EQ(r.errors[1].to_string(), "s.yaml:6:5: a step does one thing: send, fetch, wait, fault, dns or advance");
}

TEST(ScenarioLoader, AWorldFileIsRelativeToTheScenarioAndItsErrorsComeFirst) {
  const auto dir = std::filesystem::path(testing::TempDir()) / "scenario_world";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tiny.yaml") << "name: tiny\nport_offset: 70000\n";
  std::ofstream(dir / "s.yaml") << kHeader << "world: tiny.yaml\n";
  const auto r = load_scenario_file((dir / "s.yaml").string());
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].file, (dir / "tiny.yaml").string());
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[1].to_string(), (dir / "s.yaml").string() + ":3:8: the world file " +
                                         (dir / "tiny.yaml").string() + " has errors (below)");
}

TEST(ScenarioLoader, ATriggerTakesOneModeAndASeedOnlyWithProbability) {
  const auto r = load("faults:\n  - { name: f, kind: unknown_user, trigger: { first: 1, every: 2, seed: 3 } }\n");
  ASSERT_EQ(r.errors.size(), 2u) << first_error(r);
  EXPECT_EQ(r.errors[0].message, "a trigger takes one of first, every and probability");
  EXPECT_EQ(r.errors[1].message, "trigger seed only goes with probability");
}

TEST(ScenarioLoader, EveryShippedScenarioLoads) {
  const auto dir = std::filesystem::path(MAILFLOW_SOURCE_DIR) / "scenarios";
  int loaded = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    const auto r = load_scenario_file(e.path().string());
    EXPECT_TRUE(r.ok()) << first_error(r);
    ++loaded;
  }
  EXPECT_GE(loaded, 1);
}

}  // namespace
}  // namespace mailflow::sim
