// The scenario runner on real labs: every shipped scenario passes, and a scenario whose
// expectation is wrong fails with a verdict that says what was found instead.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "servers/scenario_runner.hpp"
#include "sim/scenario_loader.hpp"

namespace mailflow {
namespace {

namespace fs = std::filesystem;

RunResult run(const sim::Scenario& scenario) {
  RunOptions options;
  options.state_dir = fs::path(testing::TempDir()) /
                      ("runner_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
  fs::remove_all(options.state_dir);
  options.trace_file.clear();
  std::mt19937 pick(std::random_device{}());
  RunResult result;
  // Another test may hold a port of this offset: try a few.
  for (int attempt = 0; attempt < 10; ++attempt) {
    options.port_offset = static_cast<std::uint16_t>(20000 + pick() % 40000);
    result = run_scenario(scenario, options);
    if (result.error.empty()) break;
  }
  return result;
}

sim::Scenario load(const std::string& yaml) {
  auto loaded = sim::load_scenario_string(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors.front().to_string());
  return loaded.ok() ? *loaded.scenario : sim::Scenario{};
}

constexpr const char* kLetterToBob =
    "title: { en: t, ja: t }\nexplanation: { en: e, ja: e }\n"
    "actors:\n  - { name: alice-laptop, kind: sender, user: alice@alpha.test, server: smtp.alpha.test }\n"
    "  - { name: bob-pc, kind: imap, user: bob@beta.test, server: mail.beta.test, password: wrong }\n"
    "steps:\n  - send: { from: alice-laptop, to: bob@beta.test, subject: Hi, as: letter }\n"
    "  - wait: { letter: letter, state: delivered, timeout: 20s }\n";

TEST(ScenarioRunner, EveryShippedScenarioPasses) {
  for (const auto& e : fs::directory_iterator(fs::path(MAILFLOW_SOURCE_DIR) / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().string());
    auto loaded = sim::load_scenario_file(e.path().string());
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors.front().to_string());
    RunResult result = run(*loaded.scenario);
    ASSERT_EQ(result.error, "");
    for (const auto& v : result.verdicts) EXPECT_TRUE(v.passed) << v.expectation << ": " << v.detail;
    EXPECT_TRUE(result.passed());
  }
}

TEST(ScenarioRunner, AWrongExpectationFailsAndSaysWhatWasFound) {
  RunResult result = run(load(std::string(kLetterToBob) +
                              "expect:\n  - { letter: letter, state: bounced }\n"
                              "  - { mailbox: bob@beta.test, messages: 3 }\n"
                              "  - { actor: alice-laptop, saw: '535 5.7.8' }\n"));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.verdicts.size(), 3u);
  EXPECT_FALSE(result.passed());
  EXPECT_EQ(result.verdicts[0].detail, "it is delivered");
  EXPECT_EQ(result.verdicts[1].detail, "it holds 1");
  EXPECT_EQ(result.verdicts[2].detail, "no reply it got contains that");
}

TEST(ScenarioRunner, AFaultExpectationCountsTheFaultsEvents) {
  RunResult result = run(load(
      "title: { en: t, ja: t }\nexplanation: { en: e, ja: e }\n"
      "actors:\n  - { name: alice-laptop, kind: sender, user: alice@alpha.test, server: smtp.alpha.test }\n"
      "faults:\n  - { name: grey, kind: greylisting, host: mx.beta.test, trigger: { first: 1 } }\n"
      "  - { name: idle, kind: unknown_user, host: mx.beta.test, enabled: false }\n"
      "steps:\n  - send: { from: alice-laptop, to: bob@beta.test, subject: Hi, as: letter }\n"
      "  - wait: { letter: letter, state: delivered, timeout: 20s }\n"
      "expect:\n  - { fault: grey, times: 1 }\n  - { fault: idle, fired: false }\n"
      "  - { fault: grey, times: 2 }\n  - { fault: idle, fired: true }\n"));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.verdicts.size(), 4u);
  EXPECT_TRUE(result.verdicts[0].passed) << result.verdicts[0].detail;
  EXPECT_TRUE(result.verdicts[1].passed) << result.verdicts[1].detail;
  EXPECT_FALSE(result.verdicts[2].passed);
  EXPECT_EQ(result.verdicts[2].detail, "it acted 1 time(s)");
  EXPECT_FALSE(result.verdicts[3].passed);
  EXPECT_EQ(result.verdicts[3].detail, "it acted 0 time(s)");
}

TEST(ScenarioRunner, AStepThatCannotCompleteIsAFailedVerdict) {
  RunResult result = run(load(
      "title: { en: t, ja: t }\nexplanation: { en: e, ja: e }\n"
      "steps:\n  - dns: { name: mx.example.com, type: A, value: 127.10.9.9 }\n"));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.verdicts.size(), 1u);
  EXPECT_FALSE(result.verdicts[0].passed);
  EXPECT_EQ(result.verdicts[0].detail, "no zone of the lab holds mx.example.com.");
}

TEST(ScenarioRunner, AServerNameThatDoesNotResolveIsWhatTheClientSawNotAFailedStep) {
  RunResult result = run(load(
      "title: { en: t, ja: t }\nexplanation: { en: e, ja: e }\n"
      "actors:\n  - { name: typo, kind: sender, user: alice@alpha.test, server: smpt.alpha.test }\n"
      "steps:\n  - send: { from: typo, to: bob@beta.test, as: letter }\n"
      "expect:\n  - { actor: typo, saw: 'smpt.alpha.test: NXDOMAIN' }\n"));
  ASSERT_EQ(result.verdicts.size(), 1u) << "no verdict for the step itself";
  EXPECT_TRUE(result.verdicts[0].passed) << result.verdicts[0].detail;
  bool asked_dns = false;
  for (const auto& e : result.events) asked_dns = asked_dns || (e.host == "typo" && e.kind == sim::EventKind::DnsAnswer);
  EXPECT_TRUE(asked_dns) << "the client asked the lab's DNS on the wire";
}

// One sender with a client-settings fault (the YAML of `fault`) and a letter to bob.
std::string sender_with_fault(const std::string& fault, const std::string& expect) {
  return "title: { en: t, ja: t }\nexplanation: { en: e, ja: e }\n"
         "actors:\n  - { name: alice-laptop, kind: sender, user: alice@alpha.test, server: smtp.alpha.test }\n"
         "faults:\n  - " + fault + "\n"
         "steps:\n  - send: { from: alice-laptop, to: bob@beta.test, subject: Hi, as: letter }\n"
         "expect:\n" + expect;
}

bool fault_event(const RunResult& result, const std::string& actor, const std::string& fault) {
  for (const auto& e : result.events) {
    if (e.host == actor && e.kind == sim::EventKind::Fault && e.line.find("'" + fault + "'") != std::string::npos) return true;
  }
  return false;
}

TEST(ScenarioRunner, WrongPasswordFaultMakesTheSubmissionServerAnswer535) {
  RunResult result = run(load(sender_with_fault("{ name: pw, kind: wrong_password }",
                                                "  - { actor: alice-laptop, saw: '535 5.7.8' }\n"
                                                "  - { mailbox: bob@beta.test, messages: 0 }\n")));
  ASSERT_EQ(result.error, "");
  for (const auto& v : result.verdicts) EXPECT_TRUE(v.passed) << v.expectation << ": " << v.detail;
  EXPECT_TRUE(fault_event(result, "alice-laptop", "pw"));
}

TEST(ScenarioRunner, NoTlsFaultMakesTheSubmissionServerAnswer530) {
  RunResult result = run(load(sender_with_fault("{ name: clear, kind: no_tls }",
                                                "  - { actor: alice-laptop, saw: '530 5.7.0' }\n")));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.verdicts.size(), 1u);
  EXPECT_TRUE(result.verdicts[0].passed) << result.verdicts[0].detail;
  EXPECT_TRUE(fault_event(result, "alice-laptop", "clear"));
}

TEST(ScenarioRunner, ServerNameTypoFaultMeetsNxdomainFromTheLabDns) {
  RunResult result = run(load(sender_with_fault("{ name: typo, kind: server_name_typo, value: smtp.alpha.tset }",
                                                "  - { actor: alice-laptop, saw: 'smtp.alpha.tset: NXDOMAIN' }\n")));
  ASSERT_EQ(result.verdicts.size(), 1u);
  EXPECT_TRUE(result.verdicts[0].passed) << result.verdicts[0].detail;
}

TEST(ScenarioRunner, WrongPortFaultTo110FailsTheTlsHandshakeOfAPop3sReader) {
  RunResult result = run(load(
      "title: { en: t, ja: t }\nexplanation: { en: e, ja: e }\n"
      "actors:\n  - { name: bob-pc, kind: pop3, user: bob@beta.test, server: mail.beta.test, tls: implicit }\n"
      "faults:\n  - { name: port, kind: wrong_port, port: 110 }\n"
      "steps:\n  - fetch: bob-pc\n"
      "expect:\n  - { actor: bob-pc, saw: 'tls-failed' }\n"));
  ASSERT_EQ(result.verdicts.size(), 1u);
  EXPECT_TRUE(result.verdicts[0].passed) << result.verdicts[0].detail;
  EXPECT_TRUE(fault_event(result, "bob-pc", "port"));
}

TEST(ScenarioRunner, AClientFaultForAnotherClientLeavesTheSettingsAlone) {
  RunResult result = run(load(sender_with_fault("{ name: pw, kind: wrong_password, trigger: { client: someone-else } }",
                                                "  - { actor: alice-laptop, saw: '535 5.7.8' }\n") +
                              "  - { letter: letter, state: queued }\n"));
  ASSERT_EQ(result.verdicts.size(), 2u);
  EXPECT_FALSE(result.verdicts[0].passed) << "the password was right";
  EXPECT_TRUE(result.verdicts[1].passed) << result.verdicts[1].detail;
  EXPECT_FALSE(fault_event(result, "alice-laptop", "pw"));
}

TEST(ScenarioRunner, RecordChangedFaultSendsTheLetterToTheNewMx) {
  RunResult result = run(load(
      "title: { en: t, ja: t }\nexplanation: { en: e, ja: e }\nworld: " + std::string(MAILFLOW_SOURCE_DIR) +
      "/scenarios/worlds/migration.yaml\n"
      "actors:\n  - { name: alice-laptop, kind: sender, user: alice@alpha.test, server: smtp.alpha.test }\n"
      "faults:\n  - { name: moved, kind: record_changed, domain: beta.test, value: 'MX 10 mx2.beta.test' }\n"
      "steps:\n  - send: { from: alice-laptop, to: bob@beta.test, subject: Hi, as: letter }\n"
      "  - wait: { letter: letter, state: delivered, timeout: 20s }\n"
      "expect:\n  - { letter: letter, state: delivered, via: mx2.beta.test }\n"
      "  - { letter: letter, state: delivered, via: mx.beta.test }\n"));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.verdicts.size(), 2u);
  EXPECT_TRUE(result.verdicts[0].passed) << result.verdicts[0].detail;
  EXPECT_FALSE(result.verdicts[1].passed) << "the old MX never saw it";
}

TEST(ScenarioRunner, AFetchTheServerRefusesIsWhatTheReaderSawNotAFailedStep) {
  RunResult result = run(load(std::string(kLetterToBob) +
                              "  - fetch: bob-pc\n"
                              "expect:\n  - { actor: bob-pc, saw: 'NO [AUTHENTICATIONFAILED]' }\n"
                              "  - { actor: bob-pc, downloaded: 1 }\n"));
  ASSERT_EQ(result.error, "");
  ASSERT_EQ(result.verdicts.size(), 2u) << "no verdict for the step itself";
  EXPECT_TRUE(result.verdicts[0].passed) << result.verdicts[0].detail;
  EXPECT_FALSE(result.verdicts[1].passed);
  EXPECT_EQ(result.verdicts[1].detail, "it downloaded 0");
}

TEST(ScenarioRunner, JunitXmlHasOneTestcasePerVerdict) {
  sim::Scenario scenario = load(std::string(kLetterToBob) + "expect:\n  - { letter: letter, state: delivered }\n");
  RunResult result = run(scenario);
  ASSERT_TRUE(result.passed());
  const std::string xml = junit_xml(scenario, result);
  EXPECT_NE(xml.find("<testsuite name=\"t\" file=\"test.yaml\" tests=\"1\" failures=\"0\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase name=\"letter 'letter' delivered\"></testcase>"), std::string::npos) << xml;
}

}  // namespace
}  // namespace mailflow
