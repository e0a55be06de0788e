// The world: the simulated internet the lab runs — domains, hosts with their own
// loopback addresses, the services each host runs, and users with their mailboxes.
// Plain values with no I/O; sim/world_loader.hpp reads one from YAML and
// default_world() builds the one DESIGN.md describes.
#pragma once

#include <chrono>
#include <cstddef>
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

// The lab's limits a world may override (the `settings:` section of a world file). Every
// field is optional: unset means "the server's default", which lives with the server
// (servers/smtp/smtp_limits.hpp, servers/dns/dns_server.hpp, servers/pop3/pop3_limits.hpp,
// servers/imap/imap_limits.hpp, sim/clock.hpp) together with
// its RFC source. sim/ cannot see those structs, so these are plain values that
// apply_world_settings() (servers/lab.hpp) copies onto LabOptions; the servers' verify()
// then judges the result (RFC minimums included).
struct SmtpSettings {
  std::optional<std::size_t> command_line;                // octets of a command line with CRLF
  std::optional<std::size_t> text_line;                   // octets of a DATA text line with CRLF
  std::optional<std::size_t> max_recipients;              // RCPT TO per transaction
  std::optional<std::size_t> max_message_bytes;           // message size, advertised as SIZE
  std::optional<std::size_t> max_errors;                  // error replies before 421 and close
  std::optional<std::size_t> max_connections;             // sessions at once per server
  std::optional<std::size_t> max_connections_per_client;  // sessions at once per client address
  std::optional<std::size_t> max_auth_failures;           // failed AUTH per session before close
  std::optional<std::chrono::milliseconds> idle_timeout;  // wait for the next command
  std::optional<bool> reject_bare_newlines;               // refuse bare CR/LF in DATA (smuggling)
  std::optional<bool> allow_plaintext_auth;               // AUTH PLAIN/LOGIN without TLS (demos)
  std::optional<bool> allow_below_rfc_minimums;           // let a demo go below RFC minimums

  friend bool operator==(const SmtpSettings&, const SmtpSettings&) = default;
};

struct DnsSettings {
  std::optional<std::size_t> udp_max_payload;                 // largest UDP response, EDNS size
  std::optional<std::size_t> max_tcp_connections;             // TCP connections at once
  std::optional<std::chrono::milliseconds> tcp_idle_timeout;  // idle TCP connection is closed

  friend bool operator==(const DnsSettings&, const DnsSettings&) = default;
};

// Every POP3 server of the world (mirrors servers/pop3/pop3_limits.hpp).
struct Pop3Settings {
  std::optional<std::size_t> command_line;                // octets of a command line with CRLF
  std::optional<std::chrono::milliseconds> idle_timeout;  // wait for the next command
  std::optional<std::size_t> max_bad_commands;            // -ERR replies before close
  std::optional<std::size_t> max_auth_failures;           // failed logins per session before close
  std::optional<std::size_t> max_connections;             // sessions at once per server
  std::optional<std::size_t> max_connections_per_client;  // sessions at once per client address
  std::optional<std::chrono::milliseconds> login_delay;   // least time between two logins of a user
  std::optional<bool> allow_below_rfc_minimums;           // let a demo go below RFC minimums

  friend bool operator==(const Pop3Settings&, const Pop3Settings&) = default;
};

// Every IMAP server of the world (mirrors servers/imap/imap_limits.hpp).
struct ImapSettings {
  std::optional<std::size_t> line_length;                  // octets of a command line
  std::optional<std::size_t> max_literal_bytes;            // one literal outside APPEND
  std::optional<std::size_t> max_append_bytes;             // APPEND's message (APPENDLIMIT)
  std::optional<std::chrono::milliseconds> idle_timeout;   // wait for a command after login
  std::optional<std::chrono::milliseconds> login_timeout;  // wait for a command before login
  std::optional<std::size_t> max_bad_commands;             // BAD responses before BYE
  std::optional<std::size_t> max_auth_failures;            // failed logins per session before BYE
  std::optional<std::size_t> max_connections;              // sessions at once per server
  std::optional<std::size_t> max_connections_per_client;   // sessions at once per client address
  std::optional<std::size_t> max_connections_per_user;     // sessions of one user from one address
  std::optional<bool> allow_below_rfc_minimums;            // let a demo go below RFC minimums

  friend bool operator==(const ImapSettings&, const ImapSettings&) = default;
};

// The queue's retry schedule, in lab time (see RetryPolicy in sim/clock.hpp).
struct QueueSettings {
  std::optional<std::chrono::seconds> first_retry;   // wait after the first failed attempt
  std::optional<std::chrono::seconds> max_interval;  // the wait never grows beyond this
  std::optional<std::chrono::seconds> lifetime;      // undelivered this long: bounce
  std::optional<double> backoff;                     // each failure multiplies the wait by this

  friend bool operator==(const QueueSettings&, const QueueSettings&) = default;
};

struct LabSettings {
  std::optional<double> time_scale;  // lab time runs this many times faster than real time
  SmtpSettings smtp;                 // every SMTP server of the world (MX, submission, SMTPS)
  DnsSettings dns;                   // every DNS server of the world
  Pop3Settings pop3;                 // every POP3 and POP3S server
  ImapSettings imap;                 // every IMAP and IMAPS server
  QueueSettings queue;               // every host's outbound queue

  friend bool operator==(const LabSettings&, const LabSettings&) = default;
};

struct World {
  std::string name = "default";
  std::uint16_t port_offset = 10000;
  std::vector<Domain> domains;
  std::vector<Host> hosts;
  std::vector<User> users;
  // Limits overriding the servers' defaults; empty in the default world.
  LabSettings settings;

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
