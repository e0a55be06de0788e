// A stub resolver for the lab's own clients (the SMTP relay finding MX hosts): it asks one
// server, over UDP with EDNS(0) (RFC 6891) and over TCP when the answer is truncated
// (RFC 1035 §4.2, RFC 7766 §5), and turns the answer into a status a mailer can act on.
//
// Spoofing resistance after RFC 5452 §9: a random query id, a fresh random source port per
// query (a connected socket, so the kernel drops datagrams from other addresses), and a
// response counts only when its id and question match ours; anything else is ignored while
// the attempt's time runs. Every exchange is bounded: attempts, per-attempt time and the
// response size (the EDNS payload size we offer over UDP, the 2-octet length over TCP).
//
// resolve_mail_route() implements RFC 5321 §5.1 (MX by preference, implicit MX from the
// address records) and RFC 7505 (null MX). With a cache clock, answers are cached for their
// TTL in lab time (dns_cache.hpp), as a mailer's resolver does. Left out: recursion, CNAME
// chasing beyond what the authoritative server puts in the answer, DNSSEC, 0x20 case
// randomisation.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "servers/dns/dns_cache.hpp"
#include "servers/dns/dns_message.hpp"
#include "servers/net/asio.hpp"
#include "sim/event_bus.hpp"

namespace mailflow::dns {

struct ResolverOptions {
  // The one server asked (the lab's authoritative server).
  net::udp::endpoint server;
  // Time one attempt waits for its answer; clamped to [1 ms, 30 s].
  std::chrono::milliseconds timeout{1000};
  // Sends per transport before giving up; clamped to [1, 10]. A query therefore takes at
  // most attempts × timeout over UDP plus, after TC, as much again over TCP.
  int attempts = 3;
  // EDNS payload size offered (RFC 6891 §6.2.5; DNS flag day 2020: 1232) and the largest
  // datagram accepted; clamped to [512, 65535].
  std::size_t udp_payload = 1232;
  // Set: query() keeps answers for their TTL in this clock's (lab) time and answers from
  // the cache while they last (dns_cache.hpp). Unset: every query goes to the server.
  const sim::Clock* cache_clock = nullptr;
};

inline constexpr int kMaxResolverAttempts = 10;
inline constexpr std::chrono::milliseconds kMaxResolverTimeout{30'000};
// Follow-up address look-ups resolve_mail_route() makes at most, so a domain with a
// hundred MX records cannot keep a relay busy for minutes.
inline constexpr std::size_t kMaxMailHostLookups = 16;

enum class LookupStatus {
  Ok,            // the answer holds records of the type asked for
  NoData,        // the name exists but has no records of that type (RFC 2308 §2.2)
  NxDomain,      // the name does not exist (RFC 2308 §2.1)
  ServFail,      // the server could not answer: temporary
  Refused,       // the server will not answer for that name
  FormErr,       // the server could not parse our query
  Timeout,       // no matching answer within every attempt
  NetworkError,  // the socket failed (port unreachable, connection refused...)
  BadResponse,   // an answer that does not decode or has an unexpected rcode
};
// "OK", "NODATA", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "TIMEOUT",
// "NETWORK-ERROR", "BAD-RESPONSE".
std::string_view lookup_status_name(LookupStatus status);
// True for the failures a mailer should retry later (RFC 5321 §4.5.4.1, §5.1): a temporary
// DNS failure must defer a message, never bounce it.
bool is_temporary_failure(LookupStatus status);

struct LookupResult {
  LookupStatus status = LookupStatus::NetworkError;
  Message response;          // the accepted response (empty when none arrived)
  bool via_tcp = false;      // the response came over TCP
  int attempts_used = 0;     // datagrams and TCP exchanges sent
  std::string error;         // why it failed, for logs; empty when Ok
};

struct MailHost {
  DnsName name;
  std::uint16_t preference = 0;
  std::vector<net::asio::ip::address> addresses;  // A then AAAA; empty when none resolved
};

struct MailRoute {
  LookupStatus status = LookupStatus::NetworkError;
  std::vector<MailHost> hosts;  // by preference, ties in the order the server sent them
  bool implicit_mx = false;     // no MX: the domain itself is the host (RFC 5321 §5.1)
  bool null_mx = false;         // "MX 0 ." — the domain accepts no mail (RFC 7505 §3)
  std::string error;
};

// Several coroutines may query at once (each query has its own socket), all on one
// io_context thread or strand: a time-out closes the socket from a timer handler.
class Resolver {
 public:
  Resolver(net::asio::any_io_executor ex, ResolverOptions options, sim::EventBus* bus = nullptr,
           std::string host_name = {});

  // UDP first; retried on time-out or an undecodable answer; over TCP when TC is set.
  // With a cache clock, a cached answer is returned without asking (an event says so).
  net::awaitable<LookupResult> query(DnsName name, std::uint16_t type);
  // TCP only (RFC 7766), retried on time-out or a failed connection.
  net::awaitable<LookupResult> query_tcp(DnsName name, std::uint16_t type);

  // A, then AAAA; Ok when either gave an address. NxDomain from the A query ends it.
  net::awaitable<std::pair<LookupStatus, std::vector<net::asio::ip::address>>> resolve_addresses(DnsName host);

  // RFC 5321 §5.1: where mail for domain goes. Status Ok when at least one host has an
  // address; otherwise the first temporary failure met, else NoData or NxDomain.
  net::awaitable<MailRoute> resolve_mail_route(DnsName domain);

  const ResolverOptions& options() const { return options_; }
  // The cache, nullptr without a cache clock.
  DnsCache* cache() { return cache_.get(); }

 private:
  struct Attempt;  // what one UDP or TCP exchange produced
  // query() without the cache: always asks the server.
  net::awaitable<LookupResult> query_server(DnsName name, std::uint16_t type);
  net::awaitable<Attempt> exchange_udp(const std::vector<std::uint8_t>& wire, const Message& query, int attempt,
                                       std::uint64_t session);
  net::awaitable<Attempt> exchange_tcp(const std::vector<std::uint8_t>& wire, const Message& query, int attempt,
                                       std::uint64_t session);
  // Up to options_.attempts TCP exchanges of one query; session groups its events.
  net::awaitable<LookupResult> tcp_attempts(Message query, std::uint64_t session);
  Message make_query(const DnsName& name, std::uint16_t type, bool with_edns);
  void publish(sim::EventKind kind, std::uint64_t session, std::string line, int code);

  net::asio::any_io_executor executor_;
  ResolverOptions options_;
  sim::EventBus* bus_;
  std::string host_name_;
  std::mutex random_mutex_;
  std::mt19937 random_;  // query ids; seeded from std::random_device
  std::unique_ptr<DnsCache> cache_;
};

}  // namespace mailflow::dns
