// The relays' answer cache: what a real mailer's resolver does, and the reason a DNS change
// during a server migration takes a while to be seen (DESIGN.md "Faults": the old server
// keeps receiving). An answer is kept for its TTL in LAB time (sim/clock.hpp), so a
// scenario's advance step expires it the way hours passing would.
//
// Kept: answers (the smallest TTL of the answer records, RFC 2181 §5.2) and the negative
// answers NXDOMAIN and NODATA (min(SOA TTL, SOA MINIMUM) of the authority section,
// RFC 2308 §5). Never kept: SERVFAIL, time-outs and other failures (RFC 2308 §7 allows a
// short cache; a lab that just fixed its DNS should be believed at once), and TTL 0.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "servers/dns/dns_message.hpp"
#include "sim/clock.hpp"

namespace mailflow::dns {

enum class LookupStatus;

class DnsCache {
 public:
  explicit DnsCache(const sim::Clock& clock) : clock_(clock) {}

  struct Hit {
    LookupStatus status;
    Message response;  // TTLs lowered by the time the answer spent in the cache (RFC 1035 §4.1.3)
    std::chrono::seconds remaining{0};
  };

  // The cached answer to (name, type) while its TTL lasts in lab time.
  std::optional<Hit> find(const DnsName& name, std::uint16_t type);
  // Keeps the answer when its status and TTL allow (see above); returns the TTL kept, 0 none.
  std::uint32_t store(const DnsName& name, std::uint16_t type, LookupStatus status, const Message& response);
  void clear();
  std::size_t size() const;

  // How long an answer of this status may be kept: 0 when it may not.
  static std::uint32_t ttl_of(LookupStatus status, const Message& response);

 private:
  struct Entry {
    LookupStatus status;
    Message response;
    std::chrono::system_clock::time_point stored;
    std::chrono::system_clock::time_point expires;
  };
  const sim::Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::uint16_t>, Entry> entries_;  // by (DnsName::key(), type)
};

}  // namespace mailflow::dns
