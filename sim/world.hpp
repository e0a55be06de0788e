// The world: the simulated internet the lab runs — domains, hosts with their own
// loopback addresses, the services each host runs, and users with their mailboxes.
// Plain values with no I/O; sim/world_loader.hpp reads one from YAML and
// default_world() builds the one DESIGN.md describes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::sim {

// The protocols a host can serve. The standard port of each is added to the world's
// port offset unless the world gives an explicit port.
enum class Service { Smtp, Submission, Smtps, Pop3, Pop3s, Imap, Imaps, Dns };

inline constexpr Service kAllServices[] = {Service::Smtp, Service::Submission, Service::Smtps,
                                           Service::Pop3, Service::Pop3s,      Service::Imap,
                                           Service::Imaps, Service::Dns};

// "smtp", "submission", ... : the names used in YAML, the ready file and the endpoint table.
std::string_view service_name(Service s);
std::optional<Service> service_from_name(std::string_view name);
// 25, 587, 465, 110, 995, 143, 993, 53.
std::uint16_t standard_port(Service s);

struct ServiceEndpoint {
  Service service;
  // Explicit port from the world file; when absent the port is standard + offset.
  std::optional<std::uint16_t> port;

  friend bool operator==(const ServiceEndpoint&, const ServiceEndpoint&) = default;
};

struct Host {
  std::string name;     // fully qualified, lower case: "mx.beta.test"
  std::string domain;   // the domain it belongs to: "beta.test"
  std::string address;  // its own IPv4 loopback address: "127.10.2.2"
  std::vector<ServiceEndpoint> services;

  bool serves(Service s) const;

  friend bool operator==(const Host&, const Host&) = default;
};

struct MxRecord {
  std::string host;  // "mx.beta.test"
  std::uint16_t preference = 10;

  friend bool operator==(const MxRecord&, const MxRecord&) = default;
};

// An extra DNS record a world declares beyond those derived from its hosts and MX lists
// (a TXT record, an alias, a second A record for a migration scenario...).
struct DnsRecordSpec {
  std::string name;   // owner name, fully qualified, lower case
  std::string type;   // "A", "AAAA", "MX", "NS", "TXT", "CNAME", "PTR"
  std::string value;  // presentation form: "127.0.0.1", "10 mx.beta.test", "v=spf1 -all"
  std::uint32_t ttl = 300;

  friend bool operator==(const DnsRecordSpec&, const DnsRecordSpec&) = default;
};

struct Domain {
  std::string name;  // "beta.test"
  std::vector<MxRecord> mx;
  std::vector<DnsRecordSpec> records;
  std::uint32_t ttl = 300;  // TTL of the records derived for this domain

  friend bool operator==(const Domain&, const Domain&) = default;
};

struct Quota {
  std::uint64_t bytes = 50ull * 1024 * 1024;
  std::uint64_t messages = 10000;
  // When true a full mailbox is reported as temporary (452 4.2.2) instead of 552 5.2.2.
  bool temporary = false;

  friend bool operator==(const Quota&, const Quota&) = default;
};

struct User {
  std::string address;   // "bob@beta.test"
  std::string login;     // what the user logs in with; the address unless the world says
  std::string password;  // the lab is a classroom: passwords are shown in the endpoint table
  Quota quota;

  std::string local_part() const;  // "bob"
  std::string domain() const;      // "beta.test"

  friend bool operator==(const User&, const User&) = default;
};

struct World {
  std::string name = "default";
  std::uint16_t port_offset = 10000;
  std::vector<Domain> domains;
  std::vector<Host> hosts;
  std::vector<User> users;

  // The port a host's service listens on: explicit, else standard + offset.
  std::uint16_t port_of(const Host& host, Service s) const;
  const Host* find_host(std::string_view name) const;
  const Domain* find_domain(std::string_view name) const;
  const User* find_user_by_address(std::string_view address) const;
  const User* find_user_by_login(std::string_view login) const;
  // The first host that serves DNS (the lab's authoritative server), or nullptr.
  const Host* dns_host() const;

  friend bool operator==(const World&, const World&) = default;
};

// alpha.test (alice), beta.test (bob, and carol with a deliberately small mailbox),
// each with a submission host, an MX and a POP3/IMAP host, and ns.lab.test, authoritative
// for every zone. See DESIGN.md "The simulated internet".
World default_world();

// Lower-cases ASCII and drops one trailing dot: DNS names and domains compare this way.
std::string canonical_name(std::string_view name);

// The table `mailflow serve` prints: one row per host and service (host, address, port,
// service), then one row per user (address, login, password). Plain text, aligned columns,
// ending with a newline.
std::string endpoint_table(const World& world);

}  // namespace mailflow::sim
