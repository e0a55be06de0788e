// Tests for apply_world_settings(): a world's `settings:` section reaches LabOptions field
// by field, unset fields keep what the options held, and a limit the servers' verify()
// refuses stops Lab with a message that points at the world's settings. No sockets are
// bound: the worlds here have no hosts.
#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "servers/lab.hpp"
#include "sim/world_loader.hpp"

namespace mailflow {
namespace {

using namespace std::chrono_literals;

// Every field apply_world_settings() may touch, compared one by one so a failure names it.
void ExpectSameOptions(const LabOptions& actual, const LabOptions& expected) {
  EXPECT_EQ(actual.time_scale, expected.time_scale);
  EXPECT_EQ(actual.allow_plaintext_auth, expected.allow_plaintext_auth);
  const smtp::SmtpLimits& a = actual.smtp_limits;
  const smtp::SmtpLimits& e = expected.smtp_limits;
  EXPECT_EQ(a.command_line, e.command_line);
  EXPECT_EQ(a.auth_line, e.auth_line);
  EXPECT_EQ(a.text_line, e.text_line);
  EXPECT_EQ(a.max_recipients, e.max_recipients);
  EXPECT_EQ(a.max_message_bytes, e.max_message_bytes);
  EXPECT_EQ(a.idle_timeout.count(), e.idle_timeout.count());
  EXPECT_EQ(a.data_timeout.count(), e.data_timeout.count());
  EXPECT_EQ(a.max_session_time.count(), e.max_session_time.count());
  EXPECT_EQ(a.max_errors, e.max_errors);
  EXPECT_EQ(a.max_junk_commands, e.max_junk_commands);
  EXPECT_EQ(a.max_connections, e.max_connections);
  EXPECT_EQ(a.max_connections_per_client, e.max_connections_per_client);
  EXPECT_EQ(a.max_auth_failures, e.max_auth_failures);
  EXPECT_EQ(a.reject_bare_newlines, e.reject_bare_newlines);
  EXPECT_EQ(a.allow_below_rfc_minimums, e.allow_below_rfc_minimums);
  EXPECT_EQ(actual.dns_limits.udp_max_payload, expected.dns_limits.udp_max_payload);
  EXPECT_EQ(actual.dns_limits.max_tcp_connections, expected.dns_limits.max_tcp_connections);
  EXPECT_EQ(actual.dns_limits.tcp_idle_timeout.count(), expected.dns_limits.tcp_idle_timeout.count());
  EXPECT_EQ(actual.dns_limits.max_tcp_queries_per_connection, expected.dns_limits.max_tcp_queries_per_connection);
  EXPECT_EQ(actual.retry.first_retry.count(), expected.retry.first_retry.count());
  EXPECT_EQ(actual.retry.backoff, expected.retry.backoff);
  EXPECT_EQ(actual.retry.max_interval.count(), expected.retry.max_interval.count());
  EXPECT_EQ(actual.retry.lifetime.count(), expected.retry.lifetime.count());
}

TEST(ApplyWorldSettings, EmptySettingsLeaveTheBuiltInDefaults) {
  LabOptions options;
  apply_world_settings(sim::LabSettings{}, options);
  ExpectSameOptions(options, LabOptions{});
}

TEST(ApplyWorldSettings, CopiesEverySmtpField) {
  sim::LabSettings settings;
  sim::SmtpSettings& smtp = settings.smtp;
  smtp.command_line = 2048;
  smtp.text_line = 4000;
  smtp.max_recipients = 1000;
  smtp.max_message_bytes = 1234567;
  smtp.max_errors = 20;
  smtp.max_connections = 50;
  smtp.max_connections_per_client = 5;
  smtp.max_auth_failures = 7;
  smtp.idle_timeout = 45s;
  smtp.reject_bare_newlines = false;
  smtp.allow_plaintext_auth = true;
  smtp.allow_below_rfc_minimums = true;

  LabOptions options;
  apply_world_settings(settings, options);

  LabOptions expected;
  smtp::SmtpLimits& e = expected.smtp_limits;
  e.command_line = 2048;
  e.text_line = 4000;
  e.max_recipients = 1000;
  e.max_message_bytes = 1234567;
  e.max_errors = 20;
  e.max_connections = 50;
  e.max_connections_per_client = 5;
  e.max_auth_failures = 7;
  e.idle_timeout = 45s;
  e.reject_bare_newlines = false;
  e.allow_below_rfc_minimums = true;
  expected.allow_plaintext_auth = true;  // lives on LabOptions, handed to SmtpServerConfig
  ExpectSameOptions(options, expected);
}

TEST(ApplyWorldSettings, CopiesEveryDnsField) {
  sim::LabSettings settings;
  settings.dns.udp_max_payload = 4096;
  settings.dns.max_tcp_connections = 3;
  settings.dns.tcp_idle_timeout = 250ms;

  LabOptions options;
  apply_world_settings(settings, options);

  LabOptions expected;
  expected.dns_limits.udp_max_payload = 4096;
  expected.dns_limits.max_tcp_connections = 3;
  expected.dns_limits.tcp_idle_timeout = 250ms;
  ExpectSameOptions(options, expected);
}

TEST(ApplyWorldSettings, CopiesEveryQueueFieldAndTheTimeScale) {
  sim::LabSettings settings;
  settings.time_scale = 3600;
  settings.queue.first_retry = 10s;
  settings.queue.backoff = 1.5;
  settings.queue.max_interval = 10min;
  settings.queue.lifetime = 2h;

  LabOptions options;
  apply_world_settings(settings, options);

  LabOptions expected;
  expected.time_scale = 3600;
  expected.retry.first_retry = 10s;
  expected.retry.backoff = 1.5;
  expected.retry.max_interval = 10min;
  expected.retry.lifetime = 2h;
  ExpectSameOptions(options, expected);
}

TEST(ApplyWorldSettings, UnsetFieldsKeepWhatTheOptionsAlreadyHeld) {
  LabOptions options;
  options.smtp_limits.text_line = 2000;
  options.dns_limits.max_tcp_connections = 9;
  options.time_scale = 10;
  sim::LabSettings settings;
  settings.smtp.max_recipients = 500;

  apply_world_settings(settings, options);

  EXPECT_EQ(options.smtp_limits.max_recipients, 500u);
  EXPECT_EQ(options.smtp_limits.text_line, 2000u);
  EXPECT_EQ(options.dns_limits.max_tcp_connections, 9u);
  EXPECT_EQ(options.time_scale, 10);
}

TEST(ApplyWorldSettings, RoundsASubSecondSmtpIdleTimeoutUpSoItNeverBecomesZero) {
  sim::LabSettings settings;
  settings.smtp.idle_timeout = 1500ms;
  LabOptions options;
  apply_world_settings(settings, options);
  EXPECT_EQ(options.smtp_limits.idle_timeout.count(), 2);
}

LabOptions options_from_world(std::string_view yaml) {
  const sim::WorldLoadResult result = sim::load_world_string(yaml);
  EXPECT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].to_string());
  LabOptions options;
  if (result.world) apply_world_settings(result.world->settings, options);
  return options;
}

TEST(ApplyWorldSettings, AWorldFileReachesTheOptionsItsServersRead) {
  const LabOptions options = options_from_world(
      "settings:\n"
      "  time_scale: 120\n"
      "  smtp: { idle_timeout: 5s, max_message_bytes: 1M, allow_plaintext_auth: true }\n"
      "  dns: { tcp_idle_timeout: 2s }\n"
      "  queue: { first_retry: 30s, lifetime: 1d }\n");
  EXPECT_EQ(options.time_scale, 120);
  EXPECT_EQ(options.smtp_limits.idle_timeout.count(), 5);
  EXPECT_EQ(options.smtp_limits.max_message_bytes, 1u << 20);
  EXPECT_TRUE(options.allow_plaintext_auth);
  EXPECT_EQ(options.dns_limits.tcp_idle_timeout.count(), 2000);
  EXPECT_EQ(options.retry.first_retry.count(), 30);
  EXPECT_EQ(options.retry.lifetime.count(), 86400);
  EXPECT_EQ(options.smtp_limits.max_recipients, smtp::SmtpLimits{}.max_recipients);
}

TEST(ApplyWorldSettings, BelowRfcMinimumsPassVerifyOnlyWhenTheWorldAllowsIt) {
  const std::string limits = "  smtp: { command_line: 100, max_recipients: 5";
  const LabOptions strict = options_from_world("settings:\n" + limits + " }\n");
  EXPECT_NE(strict.smtp_limits.verify(), "");
  const LabOptions demo = options_from_world("settings:\n" + limits + ", allow_below_rfc_minimums: true }\n");
  EXPECT_EQ(demo.smtp_limits.verify(), "");
}

// A Lab over a world with no hosts: start() checks the limits, then binds nothing.
std::string start_error(const LabOptions& given) {
  LabOptions options = given;
  options.state_dir = std::filesystem::path(testing::TempDir()) /
                      ("lab_settings_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
  options.trace_file.clear();
  try {
    Lab lab(sim::World{}, options);
    lab.start();
  } catch (const LabError& e) {
    return e.what();
  }
  return "";
}

TEST(LabSettings, SmtpLimitsRefusedByVerifyNameTheWorldsSettings) {
  const std::string error = start_error(options_from_world("settings: { smtp: { command_line: 100 } }\n"));
  EXPECT_EQ(error.rfind("SMTP limits (settings.smtp in the world): command_line is below the RFC 5321 "
                        "§4.5.3.1.4 minimum of 512",
                        0),
            0u)
      << error;
}

TEST(LabSettings, DnsLimitsRefusedByVerifyNameTheWorldsSettings) {
  const std::string error = start_error(options_from_world("settings: { dns: { udp_max_payload: 100 } }\n"));
  EXPECT_EQ(error, "DNS limits (settings.dns in the world): udp_max_payload must be between 512 and 65535");
}

TEST(LabSettings, QueuePolicyRefusedByVerifyNameTheWorldsSettings) {
  const std::string error =
      start_error(options_from_world("settings: { queue: { first_retry: 1h, max_interval: 1m } }\n"));
  EXPECT_EQ(error, "queue retry policy (settings.queue in the world): max_interval must be at least first_retry");
}

TEST(ApplyWorldSettings, AWorldFileReachesThePop3AndImapLimits) {
  const LabOptions options = options_from_world(
      "settings:\n"
      "  pop3: { command_line: 512, idle_timeout: 15m, max_bad_commands: 5, max_auth_failures: 2,\n"
      "          max_connections: 40, max_connections_per_client: 4, login_delay: 30s,\n"
      "          allow_below_rfc_minimums: true }\n"
      "  imap: { line_length: 16K, max_literal_bytes: 1K, max_append_bytes: 2M, idle_timeout: 45m,\n"
      "          login_timeout: 1m, max_bad_commands: 6, max_auth_failures: 4, max_connections: 30,\n"
      "          max_connections_per_client: 3, max_connections_per_user: 2, allow_below_rfc_minimums: true }\n");
  const pop3::Pop3Limits& p = options.pop3_limits;
  EXPECT_EQ(p.command_line, 512u);
  EXPECT_EQ(p.idle_timeout, 900s);
  EXPECT_EQ(p.max_bad_commands, 5u);
  EXPECT_EQ(p.max_auth_failures, 2u);
  EXPECT_EQ(p.max_connections, 40u);
  EXPECT_EQ(p.max_connections_per_client, 4u);
  EXPECT_EQ(p.login_delay, 30s);
  EXPECT_TRUE(p.allow_below_rfc_minimums);
  const imap::ImapLimits& i = options.imap_limits;
  EXPECT_EQ(i.line_length, 16u * 1024);
  EXPECT_EQ(i.max_literal_bytes, 1024u);
  EXPECT_EQ(i.max_append_bytes, 2u << 20);
  EXPECT_EQ(i.idle_timeout, 45min);
  EXPECT_EQ(i.login_timeout, 60s);
  EXPECT_EQ(i.max_bad_commands, 6u);
  EXPECT_EQ(i.max_auth_failures, 4u);
  EXPECT_EQ(i.max_connections, 30u);
  EXPECT_EQ(i.max_connections_per_client, 3u);
  EXPECT_EQ(i.max_connections_per_user, 2u);
  EXPECT_TRUE(i.allow_below_rfc_minimums);
  EXPECT_EQ(options.smtp_limits.command_line, smtp::SmtpLimits{}.command_line);
}

TEST(LabSettings, ImapLimitsRefusedByVerifyNameTheWorldsSettings) {
  const std::string error = start_error(options_from_world("settings: { imap: { idle_timeout: 1m } }\n"));
  EXPECT_EQ(error.rfind("IMAP limits (settings.imap in the world): ", 0), 0u) << error;
}

TEST(LabSettings, Pop3LimitsRefusedByVerifyNameTheWorldsSettings) {
  const std::string error = start_error(options_from_world("settings: { pop3: { idle_timeout: 1m } }\n"));
  EXPECT_EQ(error.rfind("POP3 limits (settings.pop3 in the world): ", 0), 0u) << error;
}

TEST(LabSettings, TimeScaleOutOfRangeIsALabErrorNamingTheSetting) {
  LabOptions options;
  options.time_scale = 0;
  try {
    Lab lab(sim::World{}, options);
    FAIL() << "a time scale of 0 was accepted";
  } catch (const LabError& e) {
    EXPECT_NE(std::string(e.what()).find("settings.time_scale in the world, or --time-scale"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mailflow
