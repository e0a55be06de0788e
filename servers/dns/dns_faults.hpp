// How the fault catalogue's DNS faults (sim/fault.hpp, point DnsQuery) change what the
// lab's authoritative server sends, applied to the Authority's honest response so the
// bytes on the wire are exactly a broken server's:
//   nxdomain, domain_expired  NXDOMAIN with the zone's SOA (RFC 2308 §2.1): "no such domain"
//   servfail                  RCODE 2, nothing else (RFC 1035 §4.1.1): mail is deferred
//   dns_timeout               no response at all: the resolver's time-out fires
//   no_mx                     MX questions get NODATA with the SOA (RFC 2308 §2.2), so a
//                             mailer falls back to the domain's A record (RFC 5321 §5.1)
//   mx_dead_host              MX answers gain a first record, preference below the others,
//                             naming a host whose address (glue) has no listener, so a
//                             relay's first connection is refused and it tries the next MX
//   record_changed            questions of the type in params.value ("MX 10 mx2.beta.test")
//                             get that record instead, with the TTL of the one it replaces;
//                             resolvers that cached the old answer keep it until the TTL ends
// Pure: no I/O, no clock.
#pragma once

#include "servers/dns/dns_zone.hpp"
#include "sim/fault.hpp"

namespace mailflow::dns {

// The host the mx_dead_host record names, under the queried domain, and its address: in
// 127.0.0.0/8 like every lab host, used by no world (worlds/README.md), so nothing
// listens there and a connection is refused at once.
inline constexpr std::string_view kDeadMxLabel = "dead-mx";
inline constexpr std::string_view kDeadMxAddress = "127.255.255.25";

enum class DnsFaultEffect {
  None,     // the fault does not change this answer (no_mx for an A question)
  Changed,  // the response was rewritten
  Silence,  // send nothing
};

// Rewrites `response` (the Authority's answer to `question`) as the fault makes it.
DnsFaultEffect apply_dns_fault(const sim::FaultHit& hit, const Authority& authority, const Question& question,
                               Message& response);

}  // namespace mailflow::dns
