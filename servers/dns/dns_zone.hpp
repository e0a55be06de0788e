// The lab's authoritative data and the answer logic (RFC 1034 §4.3.2, RFC 2308 for
// negative answers): the zones of a world, and a pure function from a query message to the
// response message. No I/O; the server in dns_server.hpp only moves bytes.
//
// Zones: one per world domain (SOA, NS = every DNS host, MX from the world, A for every host
// in the domain; the extra records the world declares replace the derived ones of the same
// name and type, so a world can point mx.beta.test elsewhere), plus 127.in-addr.arpa with a PTR
// for every host address so that a receiving server can look its client up.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "servers/dns/dns_message.hpp"
#include "sim/world.hpp"

namespace mailflow::dns {

// Timers of every zone's SOA (RFC 1035 §3.3.13); minimum doubles as the negative TTL
// (RFC 2308 §4).
struct SoaTimers {
  std::uint32_t serial = 1;
  std::uint32_t refresh = 3600;
  std::uint32_t retry = 600;
  std::uint32_t expire = 86400;
  std::uint32_t minimum = 60;
};

struct Zone {
  DnsName origin;
  ResourceRecord soa;
  // Records by owner key (DnsName::key()); a name with no records but with names below it
  // is still present (an empty non-terminal, RFC 8020), with an empty vector.
  std::map<std::string, std::vector<ResourceRecord>> names;
};

// What happened, for the event and for tests.
struct Answer {
  Message response;
  bool drop = false;  // a response (QR=1) was sent to us: RFC 9267 / RELIABILITY.md, drop it
};

class Authority {
 public:
  static constexpr std::size_t kMaxCnameChain = 8;

  explicit Authority(const sim::World& world, SoaTimers timers = {});
  // For tests and extra zones: zones built elsewhere.
  explicit Authority(std::vector<Zone> zones);

  // The response to a decoded query (or to what could be read of a malformed one).
  Answer answer(const DecodeResult& query) const;

  // The zone that query name falls in, longest match; nullptr when we do not serve it.
  const Zone* find_zone(const DnsName& name) const;
  const std::vector<Zone>& zones() const { return zones_; }

  // Adds a record (creating empty non-terminals above it); false when no zone holds it.
  bool add_record(ResourceRecord rr);
  // Makes `records` (each named `name`, of `type`) the only records of that name and type,
  // as a zone edit does; empty removes them. False when no zone holds the name.
  bool replace_records(const DnsName& name, std::uint16_t type, std::vector<ResourceRecord> records);

 private:
  void resolve(const Zone& zone, const Question& q, Message& response) const;
  void add_glue(const Message& response, Message& out) const;

  std::vector<Zone> zones_;
};

// UDP payload size a response may use: 512 without EDNS (RFC 1035 §4.2.1), else what the
// client offered, between 512 and our own maximum.
std::size_t udp_response_limit(const Message* query, std::size_t server_max);

}  // namespace mailflow::dns
