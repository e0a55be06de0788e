// Tests for the world model: service names and ports, look-ups, canonical names, the
// default world's invariants and the endpoint table.
#include "sim/world.hpp"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

namespace mailflow::sim {
namespace {

TEST(Service, NamesAndStandardPortsMatchTheTable) {
  struct Row {
    Service service;
    std::string_view name;
    std::uint16_t port;
  };
  const Row rows[] = {
      {Service::Smtp, "smtp", 25},   {Service::Submission, "submission", 587}, {Service::Smtps, "smtps", 465},
      {Service::Pop3, "pop3", 110},  {Service::Pop3s, "pop3s", 995},           {Service::Imap, "imap", 143},
      {Service::Imaps, "imaps", 993}, {Service::Dns, "dns", 53},
  };
  ASSERT_EQ(std::size(rows), std::size(kAllServices));
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.name));
    EXPECT_EQ(service_name(row.service), row.name);
    EXPECT_EQ(standard_port(row.service), row.port);
    EXPECT_EQ(service_from_name(row.name), row.service);
  }
}

TEST(Service, FromNameRejectsUnknownNamesAndIgnoresCase) {
  EXPECT_EQ(service_from_name("SMTP"), Service::Smtp);
  EXPECT_EQ(service_from_name("smpt"), std::nullopt);
  EXPECT_EQ(service_from_name(""), std::nullopt);
}

TEST(CanonicalName, LowerCasesAndDropsOneTrailingDot) {
  EXPECT_EQ(canonical_name("MX.Beta.TEST."), "mx.beta.test");
  EXPECT_EQ(canonical_name("beta.test"), "beta.test");
  EXPECT_EQ(canonical_name("beta.test.."), "beta.test.");
  EXPECT_EQ(canonical_name(""), "");
  EXPECT_EQ(canonical_name("."), "");
}

TEST(World, PortOfAddsTheOffsetToTheStandardPort) {
  World world = default_world();
  const Host* mx = world.find_host("mx.beta.test");
  ASSERT_NE(mx, nullptr);
  EXPECT_EQ(world.port_of(*mx, Service::Smtp), 10025);
  world.port_offset = 0;
  EXPECT_EQ(world.port_of(*mx, Service::Smtp), 25);
}

TEST(World, PortOfPrefersAnExplicitPort) {
  World world;
  world.port_offset = 10000;
  Host host{"mx.alpha.test", "alpha.test", "127.10.1.2", {{Service::Smtp, 2525}, {Service::Imap, std::nullopt}}};
  EXPECT_EQ(world.port_of(host, Service::Smtp), 2525);
  EXPECT_EQ(world.port_of(host, Service::Imap), 10143);
}

TEST(World, FindsByCanonicalName) {
  const World world = default_world();
  ASSERT_NE(world.find_host("MX.Alpha.Test."), nullptr);
  EXPECT_EQ(world.find_host("MX.Alpha.Test.")->address, "127.10.1.2");
  EXPECT_EQ(world.find_host("mx.gamma.test"), nullptr);
  ASSERT_NE(world.find_domain("Beta.Test."), nullptr);
  EXPECT_EQ(world.find_domain("Beta.Test.")->name, "beta.test");
  EXPECT_EQ(world.find_domain("gamma.test"), nullptr);
}

TEST(World, FindsUsersByAddressAndLoginIgnoringCase) {
  World world = default_world();
  world.users[1].login = "bob";
  ASSERT_NE(world.find_user_by_address("Bob@BETA.test"), nullptr);
  EXPECT_EQ(world.find_user_by_address("Bob@BETA.test")->password, "bob-secret");
  ASSERT_NE(world.find_user_by_login("bob"), nullptr);
  EXPECT_EQ(world.find_user_by_login("bob")->address, "bob@beta.test");
  EXPECT_EQ(world.find_user_by_login("bob@beta.test"), nullptr);
  EXPECT_EQ(world.find_user_by_address("dave@beta.test"), nullptr);
}

TEST(World, DnsHostIsTheFirstHostServingDns) {
  World world = default_world();
  ASSERT_NE(world.dns_host(), nullptr);
  EXPECT_EQ(world.dns_host()->name, "ns.lab.test");
  world.hosts.erase(world.hosts.begin());
  EXPECT_EQ(world.dns_host(), nullptr);
}

TEST(User, SplitsTheAddressIntoLocalPartAndDomain) {
  const User user{"Bob@Beta.Test", "bob", "x", {}};
  EXPECT_EQ(user.local_part(), "Bob");
  EXPECT_EQ(user.domain(), "beta.test");
}

TEST(Host, ServesOnlyItsListedServices) {
  const Host host{"mail.beta.test", "beta.test", "127.10.2.3", {{Service::Imap, std::nullopt}}};
  EXPECT_TRUE(host.serves(Service::Imap));
  EXPECT_FALSE(host.serves(Service::Pop3));
}

TEST(DefaultWorld, HasTheDomainsHostsAndUsersOfTheDesign) {
  const World world = default_world();
  EXPECT_EQ(world.name, "default");
  EXPECT_EQ(world.port_offset, 10000);
  ASSERT_EQ(world.domains.size(), 3u);
  EXPECT_EQ(world.domains[0].name, "lab.test");
  EXPECT_TRUE(world.domains[0].mx.empty());
  EXPECT_EQ(world.hosts.size(), 7u);
  ASSERT_EQ(world.users.size(), 3u);
  const User* carol = world.find_user_by_address("carol@beta.test");
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(carol->quota.bytes, 20u * 1024);
  EXPECT_EQ(carol->quota.messages, 5u);
  EXPECT_FALSE(carol->quota.temporary);
  EXPECT_EQ(world.find_user_by_address("alice@alpha.test")->quota, Quota{});
  EXPECT_EQ(Quota{}.bytes, 50u * 1024 * 1024);
}

TEST(DefaultWorld, EveryMxHostExistsAndServesSmtp) {
  const World world = default_world();
  for (const Domain& domain : world.domains) {
    for (const MxRecord& mx : domain.mx) {
      SCOPED_TRACE(mx.host);
      const Host* host = world.find_host(mx.host);
      ASSERT_NE(host, nullptr);
      EXPECT_TRUE(host->serves(Service::Smtp));
    }
  }
}

TEST(DefaultWorld, EveryUserAndHostIsInAKnownDomain) {
  const World world = default_world();
  for (const User& user : world.users) {
    SCOPED_TRACE(user.address);
    EXPECT_NE(world.find_domain(user.domain()), nullptr);
    EXPECT_EQ(user.login, user.address);
  }
  for (const Host& host : world.hosts) {
    SCOPED_TRACE(host.name);
    EXPECT_NE(world.find_domain(host.domain), nullptr);
    EXPECT_TRUE(host.name.ends_with("." + host.domain));
  }
}

TEST(DefaultWorld, HostNamesAndAddressesAreUniqueAndLoopback) {
  const World world = default_world();
  std::set<std::string> names, addresses;
  for (const Host& host : world.hosts) {
    SCOPED_TRACE(host.name);
    EXPECT_TRUE(names.insert(host.name).second);
    EXPECT_TRUE(addresses.insert(host.address).second);
    EXPECT_TRUE(host.address.starts_with("127."));
  }
}

TEST(EndpointTable, ListsEveryHostServiceAndUserInAlignedColumns) {
  const World world = default_world();
  const std::string table = endpoint_table(world);
  EXPECT_NE(table.find("mx.beta.test     127.10.2.2   10025  smtp\n"), std::string::npos) << table;
  EXPECT_NE(table.find("ns.lab.test      127.10.0.53  10053  dns\n"), std::string::npos) << table;
  EXPECT_NE(table.find("carol@beta.test   carol@beta.test   carol-secret\n"), std::string::npos) << table;

  std::size_t host_rows = 0;
  for (const Host& host : world.hosts) host_rows += host.services.size();
  const std::size_t lines = static_cast<std::size_t>(std::count(table.begin(), table.end(), '\n'));
  // Two header rows, a blank separator, one row per endpoint and per user.
  EXPECT_EQ(lines, 2 + 1 + host_rows + world.users.size());
}

}  // namespace
}  // namespace mailflow::sim
