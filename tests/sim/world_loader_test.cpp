// Tests for the YAML world loader: the shipped default world, what each key does, every
// validation rule with its exact line and column, and robustness against garbage input.
#include "sim/world_loader.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace mailflow::sim {
namespace {

std::string source_dir() {
  const char* dir = std::getenv("MAILFLOW_SOURCE_DIR");
  return dir ? dir : ".";
}

std::string default_world_path() { return source_dir() + "/scenarios/worlds/default.yaml"; }

std::string all_errors(const WorldLoadResult& result) {
  std::string out;
  for (const auto& e : result.errors) out += e.to_string() + "\n";
  return out;
}

World load_ok(std::string_view yaml) {
  const WorldLoadResult result = load_world_string(yaml);
  EXPECT_TRUE(result.ok()) << all_errors(result);
  return result.world.value_or(World{});
}

void ExpectSameWorld(const World& actual, const World& expected) {
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.port_offset, expected.port_offset);
  ASSERT_EQ(actual.domains.size(), expected.domains.size());
  for (std::size_t i = 0; i < expected.domains.size(); ++i) {
    SCOPED_TRACE("domain " + expected.domains[i].name);
    const Domain& a = actual.domains[i];
    const Domain& e = expected.domains[i];
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.ttl, e.ttl);
    ASSERT_EQ(a.mx.size(), e.mx.size());
    for (std::size_t m = 0; m < e.mx.size(); ++m) {
      EXPECT_EQ(a.mx[m].host, e.mx[m].host);
      EXPECT_EQ(a.mx[m].preference, e.mx[m].preference);
    }
    EXPECT_TRUE(a.records == e.records);
  }
  ASSERT_EQ(actual.hosts.size(), expected.hosts.size());
  for (std::size_t i = 0; i < expected.hosts.size(); ++i) {
    SCOPED_TRACE("host " + expected.hosts[i].name);
    const Host& a = actual.hosts[i];
    const Host& e = expected.hosts[i];
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.domain, e.domain);
    EXPECT_EQ(a.address, e.address);
    ASSERT_EQ(a.services.size(), e.services.size());
    for (std::size_t s = 0; s < e.services.size(); ++s) {
      EXPECT_EQ(a.services[s].service, e.services[s].service);
      EXPECT_EQ(a.services[s].port, e.services[s].port);
    }
  }
  ASSERT_EQ(actual.users.size(), expected.users.size());
  for (std::size_t i = 0; i < expected.users.size(); ++i) {
    SCOPED_TRACE("user " + expected.users[i].address);
    const User& a = actual.users[i];
    const User& e = expected.users[i];
    EXPECT_EQ(a.address, e.address);
    EXPECT_EQ(a.login, e.login);
    EXPECT_EQ(a.password, e.password);
    EXPECT_EQ(a.quota.bytes, e.quota.bytes);
    EXPECT_EQ(a.quota.messages, e.quota.messages);
    EXPECT_EQ(a.quota.temporary, e.quota.temporary);
  }
  // The field-by-field checks above say what differs; this one catches a field added later.
  EXPECT_TRUE(actual == expected);
}

TEST(WorldLoader, ShippedDefaultWorldEqualsTheBuiltInOne) {
  const WorldLoadResult result = load_world_file(default_world_path());
  ASSERT_TRUE(result.ok()) << all_errors(result);
  ExpectSameWorld(*result.world, default_world());
}

TEST(WorldLoader, AnEmptyMapIsAnEmptyWorldWithDefaults) {
  const World world = load_ok("{}");
  EXPECT_EQ(world.name, "default");
  EXPECT_EQ(world.port_offset, 10000);
  EXPECT_TRUE(world.domains.empty());
  EXPECT_TRUE(world.hosts.empty());
  EXPECT_TRUE(world.users.empty());
  EXPECT_TRUE(world.settings == LabSettings{});
}

// Lines 1-6: one domain and its DNS server, for documents that need a valid world around
// the line under test.
constexpr std::string_view kDomainAndNs =
    "domains:\n"
    "  - name: alpha.test\n"
    "hosts:\n"
    "  - name: ns.alpha.test\n"
    "    address: 127.0.0.53\n"
    "    services: [dns]\n";

TEST(WorldLoader, ServicesMayMapNamesToExplicitPorts) {
  const World world = load_ok(
      "domains: [{ name: alpha.test }]\n"
      "hosts:\n"
      "  - name: ns.alpha.test\n"
      "    address: 127.0.0.53\n"
      "    services: { dns: 5353, smtp: , IMAP: 1143 }\n");
  const Host& host = world.hosts.at(0);
  ASSERT_EQ(host.services.size(), 3u);
  EXPECT_EQ(world.port_of(host, Service::Dns), 5353);
  EXPECT_EQ(world.port_of(host, Service::Smtp), 10025);
  EXPECT_EQ(world.port_of(host, Service::Imap), 1143);
}

TEST(WorldLoader, HostDomainIsTheLongestDomainTheNameEndsWith) {
  const World world = load_ok(
      "domains: [{ name: test }, { name: lab.test }, { name: ab.test }]\n"
      "hosts:\n"
      "  - { name: NS.Lab.Test., address: 127.0.0.53, services: [dns] }\n"
      "  - { name: x.test, address: 127.0.0.54 }\n"
      "  - { name: lab.test, domain: test, address: 127.0.0.55 }\n");
  EXPECT_EQ(world.hosts.at(0).name, "ns.lab.test");
  EXPECT_EQ(world.hosts.at(0).domain, "lab.test");
  EXPECT_EQ(world.hosts.at(1).domain, "test");
  EXPECT_EQ(world.hosts.at(2).domain, "test");
}

TEST(WorldLoader, QuotaBytesAcceptPowersOf1024Units) {
  struct Row {
    std::string_view written;
    std::uint64_t bytes;
  };
  for (const Row& row : {Row{"20480", 20480}, Row{"20K", 20 * 1024}, Row{"50M", 50ull << 20}, Row{"1G", 1ull << 30},
                         Row{"2g", 2ull << 30}}) {
    SCOPED_TRACE(std::string(row.written));
    const World world = load_ok(std::string(kDomainAndNs) +
                                "users:\n"
                                "  - address: alice@alpha.test\n"
                                "    password: secret\n"
                                "    quota: { bytes: " +
                                std::string(row.written) + " }\n");
    ASSERT_EQ(world.users.size(), 1u);
    EXPECT_EQ(world.users[0].quota.bytes, row.bytes);
    EXPECT_EQ(world.users[0].quota.messages, Quota{}.messages);
  }
}

TEST(WorldLoader, UserLoginDefaultsToTheAddressAndDomainIsLowerCased) {
  const World world = load_ok(std::string(kDomainAndNs) +
                              "users:\n"
                              "  - { address: Alice@ALPHA.test, password: a }\n"
                              "  - { address: bob@alpha.test, login: bob, password: b,"
                              " quota: { messages: 3, temporary: true } }\n");
  ASSERT_EQ(world.users.size(), 2u);
  EXPECT_EQ(world.users[0].address, "Alice@alpha.test");
  EXPECT_EQ(world.users[0].login, "Alice@alpha.test");
  EXPECT_EQ(world.users[1].login, "bob");
  EXPECT_EQ(world.users[1].quota.messages, 3u);
  EXPECT_TRUE(world.users[1].quota.temporary);
}

TEST(WorldLoader, RecordsAreNormalizedAndTakeTheDomainTtl) {
  const World world = load_ok(
      "domains:\n"
      "  - name: alpha.test\n"
      "    ttl: 60\n"
      "    mx: [{ host: legacy.alpha.test, preference: 20 }]\n"
      "    records:\n"
      "      - { name: Legacy.Alpha.Test, type: a, value: 127.0.0.9 }\n"
      "      - { name: alpha.test, type: MX, value: '5   MX.Alpha.Test.', ttl: 7 }\n"
      "      - { name: alpha.test, type: TXT, value: 'v=spf1 -all' }\n"
      "      - { name: v6.alpha.test, type: AAAA, value: '::1' }\n"
      "hosts: [{ name: ns.alpha.test, address: 127.0.0.53, services: [dns] }]\n");
  const Domain& domain = world.domains.at(0);
  ASSERT_EQ(domain.records.size(), 4u);
  EXPECT_EQ(domain.records[0], (DnsRecordSpec{"legacy.alpha.test", "A", "127.0.0.9", 60}));
  EXPECT_EQ(domain.records[1], (DnsRecordSpec{"alpha.test", "MX", "5 mx.alpha.test", 7}));
  EXPECT_EQ(domain.records[2].value, "v=spf1 -all");
  EXPECT_EQ(domain.mx.at(0), (MxRecord{"legacy.alpha.test", 20}));  // an A record is a valid MX target
}

using namespace std::chrono_literals;

TEST(WorldLoader, SettingsSectionSetsEveryKeyItNames) {
  const World world = load_ok(
      "settings:\n"
      "  time_scale: 0.5\n"
      "  smtp:\n"
      "    command_line: 2048\n"
      "    text_line: 2K\n"
      "    max_recipients: 1000\n"
      "    max_message_bytes: 10M\n"
      "    max_errors: 20\n"
      "    max_connections: 50\n"
      "    max_connections_per_client: 5\n"
      "    max_auth_failures: 2\n"
      "    idle_timeout: 2m\n"
      "    reject_bare_newlines: false\n"
      "    allow_plaintext_auth: yes\n"
      "    allow_below_rfc_minimums: true\n"
      "  dns: { udp_max_payload: 512, max_tcp_connections: 8, tcp_idle_timeout: 250ms }\n"
      "  queue: { first_retry: 60s, backoff: 1.5, max_interval: 1h, lifetime: 5d }\n");
  const LabSettings& s = world.settings;
  EXPECT_EQ(s.time_scale, 0.5);
  EXPECT_EQ(s.smtp.command_line, 2048u);
  EXPECT_EQ(s.smtp.text_line, 2048u);
  EXPECT_EQ(s.smtp.max_recipients, 1000u);
  EXPECT_EQ(s.smtp.max_message_bytes, 10u << 20);
  EXPECT_EQ(s.smtp.max_errors, 20u);
  EXPECT_EQ(s.smtp.max_connections, 50u);
  EXPECT_EQ(s.smtp.max_connections_per_client, 5u);
  EXPECT_EQ(s.smtp.max_auth_failures, 2u);
  EXPECT_EQ(s.smtp.idle_timeout, 120s);
  EXPECT_EQ(s.smtp.reject_bare_newlines, false);
  EXPECT_EQ(s.smtp.allow_plaintext_auth, true);
  EXPECT_EQ(s.smtp.allow_below_rfc_minimums, true);
  EXPECT_EQ(s.dns.udp_max_payload, 512u);
  EXPECT_EQ(s.dns.max_tcp_connections, 8u);
  EXPECT_EQ(s.dns.tcp_idle_timeout, 250ms);
  EXPECT_EQ(s.queue.first_retry, 60s);
  EXPECT_EQ(s.queue.backoff, 1.5);
  EXPECT_EQ(s.queue.max_interval, 1h);
  EXPECT_EQ(s.queue.lifetime, std::chrono::days{5});
}

TEST(WorldLoader, SettingsLeaveUnwrittenKeysUnset) {
  const World world = load_ok("settings:\n  smtp:\n    max_recipients: 100\n  dns:\n  queue: {}\n");
  LabSettings expected;
  expected.smtp.max_recipients = 100;
  EXPECT_TRUE(world.settings == expected);
  EXPECT_FALSE(world.settings.time_scale.has_value());
}

TEST(WorldLoader, SettingsDurationsTakeUnitsAndBareNumbersAreSeconds) {
  struct Row {
    std::string_view written;
    std::chrono::milliseconds value;
  };
  for (const Row& row : {Row{"250ms", 250ms}, Row{"5s", 5s}, Row{"90", 90s}, Row{"2m", 2min}, Row{"1h", 1h},
                         Row{"2H", 2h}, Row{"5d", std::chrono::days{5}}, Row{"365d", std::chrono::days{365}}}) {
    SCOPED_TRACE(std::string(row.written));
    const World world = load_ok("settings: { dns: { tcp_idle_timeout: " + std::string(row.written) + " } }\n");
    EXPECT_EQ(world.settings.dns.tcp_idle_timeout, row.value);
  }
}

TEST(WorldLoader, SettingsSizesTakePowersOf1024Units) {
  struct Row {
    std::string_view written;
    std::size_t bytes;
  };
  for (const Row& row : {Row{"1000", 1000}, Row{"64K", 64 * 1024}, Row{"10m", 10u << 20}, Row{"1G", 1u << 30}}) {
    SCOPED_TRACE(std::string(row.written));
    const World world = load_ok("settings: { smtp: { max_message_bytes: " + std::string(row.written) + " } }\n");
    EXPECT_EQ(world.settings.smtp.max_message_bytes, row.bytes);
  }
}

TEST(WorldLoader, SettingsTimeScaleAcceptsTheWholeClockRange) {
  for (const std::string_view written : {"0.001", "1", "60", "1e3", "100000"}) {
    SCOPED_TRACE(std::string(written));
    const World world = load_ok("settings: { time_scale: " + std::string(written) + " }\n");
    ASSERT_TRUE(world.settings.time_scale.has_value());
    EXPECT_EQ(*world.settings.time_scale, std::stod(std::string(written)));
  }
}

TEST(WorldLoader, ReportsEverySettingsErrorAtOnce) {
  const WorldLoadResult result = load_world_string(
      "settings:\n"
      "  time_scale: 0\n"
      "  smtp: { max_recipients: 0, idle_timeout: soon }\n"
      "  queue: { backoff: 0.5 }\n",
      "bad.yaml");
  ASSERT_EQ(result.errors.size(), 4u) << all_errors(result);
  EXPECT_EQ(result.errors[0].to_string(),
            "bad.yaml:2:15: settings.time_scale must be above 0 and at most 100000, got '0'");
  EXPECT_EQ(result.errors[1].line, 3);
  EXPECT_EQ(result.errors[1].column, 27);
  EXPECT_EQ(result.errors[2].line, 3);
  EXPECT_EQ(result.errors[2].column, 44);
  EXPECT_EQ(result.errors[3].line, 4);
}

TEST(WorldLoader, UnreadableFileIsOneErrorWithoutALine) {
  const WorldLoadResult result = load_world_file("/nonexistent/world.yaml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.errors[0].line, 0);
  EXPECT_EQ(result.errors[0].to_string().rfind("/nonexistent/world.yaml: cannot read the file", 0), 0u)
      << result.errors[0].to_string();
}

TEST(WorldLoader, DirectoryIsNotAWorldFile) {
  const WorldLoadResult result = load_world_file(source_dir());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 0);
}

TEST(WorldError, ToStringIsFileLineColumnMessage) {
  const WorldError error{"worlds/bad.yaml", 12, 5, "duplicate host address 127.10.1.2"};
  EXPECT_EQ(error.to_string(), "worlds/bad.yaml:12:5: duplicate host address 127.10.1.2");
}

TEST(WorldLoader, ReportsEveryErrorInDocumentOrder) {
  const WorldLoadResult result = load_world_string(
      "domains:\n"
      "  - name: alpha.test\n"
      "    mx: [{ host: nowhere.alpha.test }]\n"
      "hosts:\n"
      "  - { name: ns.alpha.test, address: 127.0.0.53, services: [dns, smpt] }\n"
      "users:\n"
      "  - { address: bob@gamma.test, password: b }\n"
      "colour: blue\n",
      "bad.yaml");
  ASSERT_EQ(result.errors.size(), 4u) << all_errors(result);
  EXPECT_FALSE(result.world.has_value());
  EXPECT_EQ(result.errors[0].line, 3);
  EXPECT_EQ(result.errors[1].line, 5);
  EXPECT_EQ(result.errors[2].line, 7);
  EXPECT_EQ(result.errors[3].line, 8);
  EXPECT_EQ(result.errors[3].file, "bad.yaml");
}

struct BadDocument {
  std::string label;
  std::string yaml;
  std::string message;  // a substring of the error at (line, column)
  int line;
  int column;
  std::size_t error_count = 1;
};

std::string with_prefix(std::string_view rest) { return std::string(kDomainAndNs) + std::string(rest); }

// One domain (lines 1-2) with what the document under test adds, then its DNS server.
std::string domain_lines(std::string_view lines) {
  return "domains:\n  - name: alpha.test\n" + std::string(lines) +
         "hosts: [{ name: ns.alpha.test, address: 127.0.0.53, services: [dns] }]\n";
}

std::string with_services(std::string_view services) {
  return "domains:\n  - name: alpha.test\nhosts:\n  - name: ns.alpha.test\n    address: 127.0.0.53\n"
         "    services: " +
         std::string(services) + "\n";
}

std::string with_address(std::string_view address) {
  return "domains:\n  - name: alpha.test\nhosts:\n  - name: ns.alpha.test\n    address: " + std::string(address) +
         "\n    services: [dns]\n";
}

std::string with_user(std::string_view lines) { return with_prefix("users:\n" + std::string(lines)); }

// Lines 1-3: "settings:", "  <section>:", "    <line>"; a value on line 3 starts at column
// 5 + the key's length + 2.
std::string with_setting(std::string_view section, std::string_view line) {
  return "settings:\n  " + std::string(section) + ":\n    " + std::string(line) + "\n";
}

std::string with_record(std::string_view record) {
  return domain_lines("    records:\n      - " + std::string(record) + "\n");
}

TEST(WorldLoader, RejectsBadDocumentsAtTheOffendingNode) {
  const std::vector<BadDocument> cases = {
      {"yaml syntax", "name: a\nhosts:\n- x\n y: 2\n", "YAML syntax error", 4, 3},
      {"empty document", "", "empty", 0, 0},
      {"second document", "name: a\n---\nname: b\n", "one YAML document", 2, 1},
      {"document not a map", "- a\n", "the world must be a map, got a list", 1, 1},
      {"unknown top-level key", "name: x\ncolour: blue\n",
       "unknown key 'colour' in the world (allowed: name, port_offset, domains, hosts, users, settings)", 2, 1},
      {"unknown host key",
       "domains:\n  - name: alpha.test\nhosts:\n  - name: ns.alpha.test\n    adress: 127.0.0.53\n"
       "    services: [dns]\n",
       "unknown key 'adress' in host (allowed: name, domain, address, services)", 5, 5, 2},
      {"duplicate key", "name: a\nname: b\n", "duplicate key 'name' in the world (first at line 1)", 2, 1},
      {"map where a list is expected", "domains:\n  name: alpha.test\n", "domains must be a list, got a map", 2, 3},
      {"list where a string is expected", "name: [a, b]\n", "name must be a string, got a list", 1, 7},
      {"non-number port", with_services("{ dns: fifty-three }"),
       "port of 'dns' must be a whole number from 1 to 65535, got 'fifty-three'", 6, 22},
      {"explicit port 0", with_services("{ dns: 0 }"), "from 1 to 65535, got '0'", 6, 22},
      {"explicit port above 65535", with_services("{ dns: 70000 }"), "from 1 to 65535, got '70000'", 6, 22},
      {"port_offset not a number", "port_offset: lots\n", "port_offset must be a whole number from 0 to 65535", 1,
       14},
      {"port_offset overflows a standard port",
       "port_offset: 65000\ndomains:\n  - name: alpha.test\nhosts:\n  - name: ns.alpha.test\n"
       "    address: 127.0.0.53\n    services: [dns, imaps]\n",
       "port_offset 65000 is too large: imaps on ns.alpha.test would listen on port 65993", 1, 14},
      {"unknown service", with_services("[dns, smpt]"), "unknown service 'smpt' (known: smtp, submission,", 6, 21},
      {"service listed twice", with_services("[dns, DNS]"), "service dns is listed twice", 6, 21},
      {"services neither list nor map", with_services("dns"), "services must be a list of names or a map", 6, 15},
      {"two services on one address and port", with_services("{ dns: 2525, smtp: 2525 }"),
       "smtp would listen on 127.0.0.53:2525, already taken by dns on ns.alpha.test (line 4)", 6, 28},
      {"missing domain name", "domains:\n  - ttl: 60\n", "domain is missing required key 'name'", 2, 5},
      {"missing host name", "domains:\n  - name: alpha.test\nhosts:\n  - address: 127.0.0.53\n    services: [dns]\n",
       "host is missing required key 'name'", 4, 5},
      {"missing host address", "domains:\n  - name: alpha.test\nhosts:\n  - name: ns.alpha.test\n    services: [dns]\n",
       "host is missing required key 'address'", 4, 5},
      {"missing user address", with_user("  - password: secret\n"), "user is missing required key 'address'", 8, 5},
      {"missing user password", with_user("  - address: alice@alpha.test\n"),
       "user is missing required key 'password'", 8, 5},
      {"duplicate host name", with_prefix("  - name: NS.alpha.test\n    address: 127.0.0.54\n"),
       "duplicate host name ns.alpha.test (first defined at line 4)", 7, 11},
      {"duplicate host address", with_prefix("  - name: mx.alpha.test\n    address: 127.0.0.53\n"),
       "duplicate host address 127.0.0.53 (also used by ns.alpha.test at line 4)", 8, 14},
      {"address outside loopback", with_address("10.0.0.53"), "is not a loopback address", 5, 14},
      {"address with three parts", with_address("127.0.0"), "host address '127.0.0' is not an IPv4 address", 5, 14},
      {"address with a part above 255", with_address("127.0.0.256"), "is not an IPv4 address", 5, 14},
      {"address with a leading zero", with_address("127.0.0.01"), "is not an IPv4 address", 5, 14},
      {"host name not a DNS name", with_prefix("  - name: mx..alpha.test\n    address: 127.0.0.2\n"),
       "host name 'mx..alpha.test' is not a valid DNS name", 7, 11},
      {"duplicate domain",
       "domains:\n  - name: alpha.test\n  - name: Alpha.Test.\n"
       "hosts: [{ name: ns.alpha.test, address: 127.0.0.53, services: [dns] }]\n",
       "duplicate domain alpha.test (first defined at line 2)", 3, 11},
      {"host domain cannot be determined", with_prefix("  - name: mx.gamma.test\n    address: 127.0.0.2\n"),
       "cannot tell which domain host mx.gamma.test belongs to", 7, 11},
      {"host domain unknown",
       with_prefix("  - name: mx.gamma.test\n    domain: gamma.test\n    address: 127.0.0.2\n"),
       "host mx.gamma.test is in unknown domain gamma.test", 8, 13},
      {"host outside its domain",
       with_prefix("  - name: mx.gamma.test\n    domain: alpha.test\n    address: 127.0.0.2\n"),
       "host mx.gamma.test is not inside its domain alpha.test", 8, 13},
      {"user in unknown domain", with_user("  - address: alice@gamma.test\n    password: a\n"),
       "user alice@gamma.test is in unknown domain gamma.test", 8, 14},
      {"user address without @", with_user("  - address: alice.alpha.test\n    password: a\n"),
       "malformed user address 'alice.alpha.test'", 8, 14},
      {"user address with two @", with_user("  - address: a@b@alpha.test\n    password: a\n"),
       "malformed user address", 8, 14},
      {"user address with leading dot", with_user("  - address: .alice@alpha.test\n    password: a\n"),
       "malformed user address", 8, 14},
      {"duplicate user address",
       with_user("  - address: alice@alpha.test\n    password: a\n  - address: ALICE@alpha.test\n    password: b\n"),
       "duplicate user address ALICE@alpha.test (first defined at line 8)", 10, 14},
      {"duplicate login",
       with_user("  - address: alice@alpha.test\n    login: shared\n    password: a\n"
                 "  - address: bob@alpha.test\n    login: shared\n    password: b\n"),
       "duplicate login shared (also used by alice@alpha.test at line 8)", 12, 12},
      {"login equal to another user's address",
       with_user("  - address: alice@alpha.test\n    password: a\n"
                 "  - address: bob@alpha.test\n    login: alice@alpha.test\n    password: b\n"),
       "duplicate login alice@alpha.test", 11, 12},
      {"empty password", with_user("  - address: alice@alpha.test\n    password: ''\n"),
       "password must not be empty", 9, 15},
      {"mx pointing nowhere", domain_lines("    mx:\n      - { host: mx.alpha.test, preference: 10 }\n"),
       "MX of alpha.test points nowhere: mx.alpha.test", 4, 17},
      {"mx preference out of range", domain_lines("    mx: [{ host: ns.alpha.test, preference: 70000 }]\n"),
       "mx preference must be a whole number from 0 to 65535", 3, 45},
      {"mx entry without host", domain_lines("    mx: [{ preference: 10 }]\n"),
       "mx entry is missing required key 'host'", 3, 10},
      {"record of unknown type", with_record("{ name: www.alpha.test, type: AX, value: 127.0.0.9 }"),
       "unknown record type 'AX' (known: A, AAAA, MX, NS, TXT, CNAME, PTR)", 4, 39},
      {"A record without an IPv4 value", with_record("{ name: www.alpha.test, type: A, value: 999.0.0.1 }"),
       "A record value '999.0.0.1' is not an IPv4 address", 4, 49},
      {"AAAA record without an IPv6 value", with_record("{ name: www.alpha.test, type: AAAA, value: 127.0.0.1 }"),
       "AAAA record value '127.0.0.1' is not an IPv6 address", 4, 52},
      {"MX record without a preference", with_record("{ name: www.alpha.test, type: MX, value: mx.alpha.test }"),
       "MX record value 'mx.alpha.test' is not 'preference host'", 4, 50},
      {"CNAME record to a bad name", with_record("{ name: www.alpha.test, type: CNAME, value: 'a b' }"),
       "CNAME record value 'a b' is not a DNS name", 4, 53},
      {"record outside its domain", with_record("{ name: www.beta.test, type: A, value: 127.0.0.9 }"),
       "record name www.beta.test is not inside domain alpha.test", 4, 17},
      {"negative ttl", domain_lines("    ttl: -5\n"), "ttl must be a whole number from 0 to 2147483647, got '-5'", 3,
       10},
      {"huge ttl", domain_lines("    ttl: 4294967296\n"), "got '4294967296'", 3, 10},
      {"huge record ttl", with_record("{ name: www.alpha.test, type: A, value: 127.0.0.9, ttl: 2147483648 }"),
       "ttl must be a whole number from 0 to 2147483647", 4, 65},
      {"quota with an unknown unit",
       with_user("  - address: alice@alpha.test\n    password: a\n    quota: { bytes: 20X }\n"),
       "quota bytes '20X' has an unknown unit: use K, M or G", 10, 21},
      {"quota bytes overflowing", with_user("  - address: alice@alpha.test\n    password: a\n    quota: { bytes: 99999999999G }\n"),
       "quota bytes '99999999999G' is too large", 10, 21},
      {"quota temporary not a boolean",
       with_user("  - address: alice@alpha.test\n    password: a\n    quota: { temporary: maybe }\n"),
       "quota temporary must be true or false, got 'maybe'", 10, 25},
      {"unknown quota key", with_user("  - address: alice@alpha.test\n    password: a\n    quota: { size: 5 }\n"),
       "unknown key 'size' in quota (allowed: bytes, messages, temporary)", 10, 14},
      {"no host serves dns",
       "domains:\n  - name: alpha.test\nhosts:\n  - name: mx.alpha.test\n    address: 127.0.0.2\n"
       "    services: [smtp]\n",
       "no host serves dns", 3, 1},
      {"domains but no hosts at all", "name: x\ndomains:\n  - name: alpha.test\n", "no host serves dns", 1, 1},
      // The settings section.
      {"settings not a map", "settings: [smtp]\n", "settings must be a map, got a list", 1, 11},
      {"unknown settings key", "settings:\n  colour: blue\n",
       "unknown key 'colour' in settings (allowed: time_scale, smtp, dns, pop3, imap, queue)", 2, 3},
      {"unknown smtp setting", with_setting("smtp", "max_rcpt: 5"),
       "unknown key 'max_rcpt' in settings.smtp (allowed: command_line, text_line, max_recipients, "
       "max_message_bytes, max_errors, max_connections, max_connections_per_client, max_auth_failures, "
       "idle_timeout, reject_bare_newlines, allow_plaintext_auth, allow_below_rfc_minimums)",
       3, 5},
      {"unknown dns setting", with_setting("dns", "udp_size: 512"),
       "unknown key 'udp_size' in settings.dns (allowed: udp_max_payload, max_tcp_connections, tcp_idle_timeout)",
       3, 5},
      {"unknown queue setting", with_setting("queue", "retry: 5s"),
       "unknown key 'retry' in settings.queue (allowed: first_retry, backoff, max_interval, lifetime)", 3, 5},
      {"duplicate queue setting", "settings:\n  queue:\n    backoff: 2\n    backoff: 3\n",
       "duplicate key 'backoff' in settings.queue (first at line 3)", 4, 5},
      {"smtp settings not a map", "settings:\n  smtp: 5\n", "settings.smtp must be a map, got '5'", 2, 9},
      {"time_scale zero", "settings:\n  time_scale: 0\n",
       "settings.time_scale must be above 0 and at most 100000, got '0'", 2, 15},
      {"time_scale negative", "settings:\n  time_scale: -60\n", "above 0 and at most 100000, got '-60'", 2, 15},
      {"time_scale too fast", "settings:\n  time_scale: 100001\n", "above 0 and at most 100000, got '100001'", 2,
       15},
      {"time_scale not a number", "settings:\n  time_scale: fast\n",
       "settings.time_scale must be a number such as 60 or 0.5, got 'fast'", 2, 15},
      {"time_scale nan", "settings:\n  time_scale: nan\n", "must be a number such as 60 or 0.5, got 'nan'", 2, 15},
      {"time_scale a list", "settings:\n  time_scale: [60]\n", "settings.time_scale must be a number, got a list",
       2, 15},
      {"max_recipients zero", with_setting("smtp", "max_recipients: 0"),
       "settings.smtp.max_recipients must be a whole number from 1 to 4294967295, got '0'", 3, 21},
      {"max_connections negative", with_setting("smtp", "max_connections: -5"),
       "settings.smtp.max_connections must be a whole number from 1 to 4294967295, got '-5'", 3, 22},
      {"max_errors a list", with_setting("smtp", "max_errors: [1]"), "settings.smtp.max_errors must be a number, got a list",
       3, 17},
      {"max_auth_failures with no value", with_setting("smtp", "max_auth_failures:"),
       "settings.smtp.max_auth_failures must be a number, got nothing", 3, 5},
      {"max_message_bytes with an unknown unit", with_setting("smtp", "max_message_bytes: 10X"),
       "settings.smtp.max_message_bytes '10X' has an unknown unit: use K, M or G", 3, 24},
      {"max_message_bytes zero", with_setting("smtp", "max_message_bytes: 0"),
       "settings.smtp.max_message_bytes must be from 1 to", 3, 24},
      {"command_line overflowing", with_setting("smtp", "command_line: 99999999999G"),
       "settings.smtp.command_line '99999999999G' is too large", 3, 19},
      {"text_line negative", with_setting("smtp", "text_line: -1000"),
       "settings.smtp.text_line must be a number such as 20480 or 20K, got '-1000'", 3, 16},
      {"idle_timeout in words", with_setting("smtp", "idle_timeout: 5 minutes"),
       "settings.smtp.idle_timeout must be a duration such as 250ms, 5s, 2m, 1h or 5d, got '5 minutes'", 3, 19},
      {"idle_timeout with a fraction of a second", with_setting("smtp", "idle_timeout: 1500ms"),
       "settings.smtp.idle_timeout '1500ms' must be a whole number of seconds", 3, 19},
      {"idle_timeout zero", with_setting("smtp", "idle_timeout: 0s"),
       "settings.smtp.idle_timeout must be longer than 0, got '0s'", 3, 19},
      {"idle_timeout negative", with_setting("smtp", "idle_timeout: -5s"),
       "settings.smtp.idle_timeout must not be negative, got '-5s'", 3, 19},
      {"idle_timeout over a year", with_setting("smtp", "idle_timeout: 366d"),
       "settings.smtp.idle_timeout '366d' is too long: at most 365d", 3, 19},
      {"idle_timeout a decimal", with_setting("smtp", "idle_timeout: 1.5s"),
       "must be a duration such as 250ms, 5s, 2m, 1h or 5d, got '1.5s'", 3, 19},
      {"reject_bare_newlines not a boolean", with_setting("smtp", "reject_bare_newlines: maybe"),
       "settings.smtp.reject_bare_newlines must be true or false, got 'maybe'", 3, 27},
      {"allow_plaintext_auth a map", with_setting("smtp", "allow_plaintext_auth: { a: 1 }"),
       "settings.smtp.allow_plaintext_auth must be true or false, got a map", 3, 27},
      {"udp_max_payload above 16 bits", with_setting("dns", "udp_max_payload: 70000"),
       "settings.dns.udp_max_payload must be from 1 to 65535 bytes, got '70000'", 3, 22},
      {"max_tcp_connections zero", with_setting("dns", "max_tcp_connections: 0"),
       "settings.dns.max_tcp_connections must be a whole number from 1 to 4294967295, got '0'", 3, 26},
      {"tcp_idle_timeout zero", with_setting("dns", "tcp_idle_timeout: 0ms"),
       "settings.dns.tcp_idle_timeout must be longer than 0, got '0ms'", 3, 23},
      {"tcp_idle_timeout unknown unit", with_setting("dns", "tcp_idle_timeout: 10us"),
       "settings.dns.tcp_idle_timeout must be a duration such as", 3, 23},
      {"first_retry with a fraction of a second", with_setting("queue", "first_retry: 250ms"),
       "settings.queue.first_retry '250ms' must be a whole number of seconds", 3, 18},
      {"lifetime zero", with_setting("queue", "lifetime: 0"), "settings.queue.lifetime must be longer than 0, got '0'",
       3, 15},
      {"max_interval too long", with_setting("queue", "max_interval: 9999999999999h"),
       "settings.queue.max_interval '9999999999999h' is too long", 3, 19},
      {"backoff below 1", with_setting("queue", "backoff: 0.5"),
       "settings.queue.backoff must be at least 1 (1 retries at a fixed interval), got '0.5'", 3, 14},
      {"backoff not a number", with_setting("queue", "backoff: double"),
       "settings.queue.backoff must be a number such as 60 or 0.5, got 'double'", 3, 14},
      {"backoff infinite", with_setting("queue", "backoff: inf"), "got 'inf'", 3, 14},
  };
  for (const BadDocument& c : cases) {
    SCOPED_TRACE(c.label + "\n--- document ---\n" + c.yaml + "--- errors ---");
    const WorldLoadResult result = load_world_string(c.yaml, "bad.yaml");
    EXPECT_FALSE(result.ok());
    EXPECT_FALSE(result.world.has_value());
    EXPECT_EQ(result.errors.size(), c.error_count) << all_errors(result);
    const auto match = std::find_if(result.errors.begin(), result.errors.end(), [&](const WorldError& e) {
      return e.message.find(c.message) != std::string::npos;
    });
    ASSERT_NE(match, result.errors.end()) << "no error says \"" << c.message << "\":\n" << all_errors(result);
    EXPECT_EQ(match->line, c.line) << match->to_string();
    EXPECT_EQ(match->column, c.column) << match->to_string();
    EXPECT_EQ(match->file, "bad.yaml");
  }
}

// Whatever arrives, the loader answers with a world or with errors; ASan/UBSan watch the rest.
void ExpectAnswers(std::string_view yaml) {
  const WorldLoadResult result = load_world_string(yaml);
  EXPECT_NE(result.world.has_value(), !result.errors.empty());
  for (const WorldError& e : result.errors) {
    EXPECT_FALSE(e.message.empty());
    EXPECT_GE(e.line, 0);
  }
}

TEST(WorldLoader, SurvivesEveryTruncationOfTheDefaultWorld) {
  std::ifstream in(default_world_path());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  for (std::size_t length = 0; length <= text.size(); length += 7) {
    SCOPED_TRACE("length " + std::to_string(length));
    ExpectAnswers(std::string_view(text).substr(0, length));
  }
}

TEST(WorldLoader, SurvivesRandomBytesAndMutations) {
  std::ifstream in(default_world_path());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::mt19937 random(20261201);  // fixed seed: a failure reproduces
  constexpr char kAlphabet[] = "abcz019 :-[]{},&*!|>'\"#\n\t@.%\0\xff";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // keeps the NUL
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string bytes(random() % 200, ' ');
    for (char& c : bytes) c = alphabet[random() % alphabet.size()];
    ExpectAnswers(bytes);

    std::string mutated = text;
    for (int i = 0; i < 5; ++i) mutated[random() % mutated.size()] = alphabet[random() % alphabet.size()];
    ExpectAnswers(mutated);
  }
  // Shapes known to trouble YAML readers: self-reference, deep nesting, aliases.
  ExpectAnswers("&a [*a]");
  ExpectAnswers("hosts: &h [{ name: ns.x.test, address: 127.0.0.1, services: *h }]");
  ExpectAnswers(std::string(5000, '['));
  ExpectAnswers("a: &x 1\nb: *y\n");
}

}  // namespace
}  // namespace mailflow::sim
