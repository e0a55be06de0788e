// The stub resolver: UDP and TCP exchanges with one server, answer matching (RFC 5452 §9),
// and the mail-route logic of RFC 5321 §5.1 and RFC 7505 (see the header).
#include "servers/dns/dns_resolver.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>

#include "servers/dns/dns_server.hpp"  // describe_question, describe_answer
#include "servers/net/session_id.hpp"

// GCC 12 takes the operator new / operator delete pair of Asio's coroutine frames for a
// mismatch in some coroutines here (-Wmismatched-new-delete); the pair is Asio's own.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::dns {

using namespace mailflow::net;

namespace {

constexpr std::size_t kDnsHeaderSize = 12;

// A socket with a timer that closes it when the exchange's time is up, which makes the
// operation in flight complete with operation_aborted. The timer holds only a weak
// reference, so a timer firing after the exchange has returned finds nothing to close.
template <class Socket>
struct TimedSocket : std::enable_shared_from_this<TimedSocket<Socket>> {
  explicit TimedSocket(asio::any_io_executor executor) : socket(executor), timer(executor) {}

  void arm(std::chrono::milliseconds timeout) {
    timer.expires_after(timeout);
    timer.async_wait([weak = this->weak_from_this()](error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->expired = true;
      error_code ignored;
      self->socket.close(ignored);
    });
  }

  Socket socket;
  asio::steady_timer timer;
  bool expired = false;
};

// RFC 5452 §9.1: a response counts only when it answers our id and our question. Some
// servers leave the question out of an error response, so an error rcode may come without.
std::optional<std::string> mismatch(const Message& response, const Message& query) {
  if (!response.header.qr) return "not a response";
  if (response.header.id != query.header.id) return "wrong id";
  if (response.header.opcode != query.header.opcode) return "wrong opcode";
  if (response.questions.empty() && response.header.rcode != Rcode::NoError) return std::nullopt;
  if (response.questions.size() != 1) return "wrong number of questions";
  const Question& got = response.questions.front();
  const Question& asked = query.questions.front();
  if (!(got.name == asked.name) || got.type != asked.type || got.klass != asked.klass) return "wrong question";
  return std::nullopt;
}

bool answers_type(const Message& response, std::uint16_t type) {
  return std::any_of(response.answers.begin(), response.answers.end(), [type](const ResourceRecord& rr) {
    return rr.type == type || type == static_cast<std::uint16_t>(RrType::ANY);
  });
}

LookupStatus status_of(const Message& response, std::uint16_t type) {
  switch (response.header.rcode) {
    case Rcode::NoError: return answers_type(response, type) ? LookupStatus::Ok : LookupStatus::NoData;
    case Rcode::NxDomain: return LookupStatus::NxDomain;
    case Rcode::ServFail: return LookupStatus::ServFail;
    case Rcode::Refused: return LookupStatus::Refused;
    case Rcode::FormErr: return LookupStatus::FormErr;
    default: return LookupStatus::BadResponse;  // NOTIMP, BADVERS, codes we never asked for
  }
}

std::optional<asio::ip::address> address_of(const ResourceRecord& rr) {
  if (const auto* a = std::get_if<AData>(&rr.data)) return asio::ip::address_v4(a->address);
  if (const auto* aaaa = std::get_if<AaaaData>(&rr.data)) return asio::ip::address_v6(aaaa->address);
  return std::nullopt;
}

}  // namespace

std::string_view lookup_status_name(LookupStatus status) {
  switch (status) {
    case LookupStatus::Ok: return "OK";
    case LookupStatus::NoData: return "NODATA";
    case LookupStatus::NxDomain: return "NXDOMAIN";
    case LookupStatus::ServFail: return "SERVFAIL";
    case LookupStatus::Refused: return "REFUSED";
    case LookupStatus::FormErr: return "FORMERR";
    case LookupStatus::Timeout: return "TIMEOUT";
    case LookupStatus::NetworkError: return "NETWORK-ERROR";
    case LookupStatus::BadResponse: return "BAD-RESPONSE";
  }
  return "UNKNOWN";
}

bool is_temporary_failure(LookupStatus status) {
  switch (status) {
    case LookupStatus::ServFail:
    case LookupStatus::Timeout:
    case LookupStatus::NetworkError:
    case LookupStatus::BadResponse:
      return true;
    default:
      return false;
  }
}

struct Resolver::Attempt {
  enum class Outcome { Answer, Timeout, BadResponse, NetworkError };
  Outcome outcome = Outcome::Timeout;
  Message response;
  std::string error;

  LookupStatus failure_status() const {
    switch (outcome) {
      case Outcome::Timeout: return LookupStatus::Timeout;
      case Outcome::BadResponse: return LookupStatus::BadResponse;
      default: return LookupStatus::NetworkError;
    }
  }
};

Resolver::Resolver(asio::any_io_executor ex, ResolverOptions options, sim::EventBus* bus, std::string host_name)
    : executor_(std::move(ex)), options_(options), bus_(bus), host_name_(std::move(host_name)) {
  options_.attempts = std::clamp(options_.attempts, 1, kMaxResolverAttempts);
  options_.timeout = std::clamp(options_.timeout, std::chrono::milliseconds(1), kMaxResolverTimeout);
  options_.udp_payload = std::clamp<std::size_t>(options_.udp_payload, 512, 65535);
  std::random_device seed;
  random_.seed(seed());
  if (options_.cache_clock) cache_ = std::make_unique<DnsCache>(*options_.cache_clock);
}

Message Resolver::make_query(const DnsName& name, std::uint16_t type, bool with_edns) {
  Message query;
  {
    std::lock_guard lock(random_mutex_);
    query.header.id = static_cast<std::uint16_t>(std::uniform_int_distribution<unsigned>(0, 0xFFFF)(random_));
  }
  query.header.rd = false;  // we ask the authority itself: no recursion wanted
  query.questions.push_back(Question{name, type, kClassIn});
  if (with_edns) query.edns = Edns{static_cast<std::uint16_t>(options_.udp_payload), 0, 0, false, {}};
  return query;
}

void Resolver::publish(sim::EventKind kind, std::uint64_t session, std::string line, int code) {
  if (!bus_ || !bus_->has_subscribers()) return;
  sim::Event e;
  e.host = host_name_;
  e.peer = endpoint_text(options_.server);
  e.session = session;
  e.protocol = sim::Protocol::Dns;
  e.kind = kind;
  e.line = std::move(line);
  e.code = code;
  bus_->publish(std::move(e));
}

awaitable<Resolver::Attempt> Resolver::exchange_udp(const std::vector<std::uint8_t>& wire, const Message& query,
                                                    int attempt, std::uint64_t session) {
  using Outcome = Attempt::Outcome;
  // A fresh socket per attempt: a new random source port each time (RFC 5452 §9.2), and
  // connected, so only datagrams from the server's address reach us.
  auto link = std::make_shared<TimedSocket<udp::socket>>(executor_);
  error_code ec;
  link->socket.open(options_.server.protocol(), ec);
  if (!ec) link->socket.connect(options_.server, ec);
  if (ec) co_return Attempt{Outcome::NetworkError, {}, "cannot open a UDP socket: " + ec.message()};

  std::string question = describe_question(query);
  publish(sim::EventKind::DnsQuery, session,
          question + (attempt > 1 ? " (UDP, attempt " + std::to_string(attempt) + ")" : " (UDP)"), 0);
  link->arm(options_.timeout);
  co_await link->socket.async_send(asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
  if (ec) {
    co_return link->expired ? Attempt{Outcome::Timeout, {}, "time-out sending the query"}
                            : Attempt{Outcome::NetworkError, {}, "cannot send the query: " + ec.message()};
  }

  // A datagram larger than what we offered is cut here and then fails to decode.
  std::vector<std::uint8_t> buffer(options_.udp_payload);
  while (true) {
    std::size_t n = co_await link->socket.async_receive(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (link->expired) {
        co_return Attempt{Outcome::Timeout, {}, "no answer within " + std::to_string(options_.timeout.count()) + " ms"};
      }
      // ECONNREFUSED here is the ICMP port-unreachable of our own send.
      co_return Attempt{Outcome::NetworkError, {}, "UDP receive failed: " + ec.message()};
    }
    auto decoded = decode({buffer.data(), n});
    if (!decoded.message) {
      // Garbage that does not even carry our id is noise, not the server's answer.
      if (!decoded.header || decoded.header->id != query.header.id) continue;
      co_return Attempt{Outcome::BadResponse, {},
                        "undecodable response: " + std::string(decode_error_name(decoded.error))};
    }
    if (auto why = mismatch(*decoded.message, query)) {
      publish(sim::EventKind::DnsAnswer, session, "ignored a datagram that does not match the query: " + *why, 0);
      continue;  // keep waiting: the real answer may still come (RFC 5452 §9.1)
    }
    co_return Attempt{Outcome::Answer, std::move(*decoded.message), {}};
  }
}

awaitable<Resolver::Attempt> Resolver::exchange_tcp(const std::vector<std::uint8_t>& wire, const Message& query,
                                                    int attempt, std::uint64_t session) {
  using Outcome = Attempt::Outcome;
  auto link = std::make_shared<TimedSocket<tcp::socket>>(executor_);
  auto failed = [&link](std::string what, const error_code& ec) {
    return link->expired ? Attempt{Outcome::Timeout, {}, "time-out " + what}
                         : Attempt{Outcome::NetworkError, {}, what + ": " + ec.message()};
  };
  // One deadline for connect, write and read: the whole exchange is bounded.
  link->arm(options_.timeout);
  error_code ec;
  co_await link->socket.async_connect(tcp::endpoint(options_.server.address(), options_.server.port()),
                                      asio::redirect_error(use_awaitable, ec));
  if (ec) co_return failed("connecting over TCP", ec);

  std::string question = describe_question(query);
  publish(sim::EventKind::DnsQuery, session,
          question + (attempt > 1 ? " (TCP, attempt " + std::to_string(attempt) + ")" : " (TCP)"), 0);
  // RFC 1035 §4.2.2: each message is preceded by its length in two octets.
  std::array<std::uint8_t, 2> prefix{static_cast<std::uint8_t>(wire.size() >> 8),
                                     static_cast<std::uint8_t>(wire.size())};
  std::array<asio::const_buffer, 2> out{asio::buffer(prefix), asio::buffer(wire)};
  co_await asio::async_write(link->socket, out, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return failed("sending the query over TCP", ec);

  while (true) {
    std::array<std::uint8_t, 2> length_prefix{};
    co_await asio::async_read(link->socket, asio::buffer(length_prefix), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return failed("reading the TCP answer", ec);
    std::size_t length = static_cast<std::size_t>(length_prefix[0]) << 8 | length_prefix[1];
    if (length < kDnsHeaderSize) {
      co_return Attempt{Outcome::BadResponse, {}, "TCP answer of " + std::to_string(length) + " octets"};
    }
    std::vector<std::uint8_t> body(length);  // at most 65535: the prefix bounds it
    co_await asio::async_read(link->socket, asio::buffer(body), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return failed("reading the TCP answer", ec);
    auto decoded = decode(body);
    if (!decoded.message) {
      co_return Attempt{Outcome::BadResponse, {},
                        "undecodable response: " + std::string(decode_error_name(decoded.error))};
    }
    if (auto why = mismatch(*decoded.message, query)) {
      publish(sim::EventKind::DnsAnswer, session, "ignored a message that does not match the query: " + *why, 0);
      continue;  // RFC 7766 §7: answers on a connection are matched by id; the deadline bounds this
    }
    error_code ignored;
    link->socket.shutdown(tcp::socket::shutdown_both, ignored);
    co_return Attempt{Outcome::Answer, std::move(*decoded.message), {}};
  }
}

awaitable<LookupResult> Resolver::query(DnsName name, std::uint16_t type) {
  if (cache_) {
    if (auto hit = cache_->find(name, type)) {
      // Said on the bus, so a trace shows why the server was not asked (a migration's
      // old MX still receiving).
      Message asked = make_query(name, type, false);
      publish(sim::EventKind::DnsAnswer, next_session_id(),
              describe_answer(hit->response) + " (from the cache of " + describe_question(asked) + ", " +
                  std::to_string(hit->remaining.count()) + " s left)",
              static_cast<int>(hit->response.header.rcode));
      LookupResult cached;
      cached.status = hit->status;
      cached.response = std::move(hit->response);
      cached.error = cached.status == LookupStatus::Ok ? std::string() : std::string(lookup_status_name(cached.status));
      co_return cached;
    }
  }
  LookupResult result = co_await query_server(name, type);
  if (cache_) cache_->store(name, type, result.status, result.response);
  co_return result;
}

awaitable<LookupResult> Resolver::query_server(DnsName name, std::uint16_t type) {
  Message q = make_query(name, type, true);
  std::vector<std::uint8_t> wire = encode(q).wire;
  const std::uint64_t session = next_session_id();
  LookupResult result;
  bool edns_dropped = false;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    Attempt a = co_await exchange_udp(wire, q, attempt, session);
    result.attempts_used = attempt;
    if (a.outcome != Attempt::Outcome::Answer) {
      result.status = a.failure_status();
      result.error = std::move(a.error);
      continue;  // time-outs, bad answers and socket errors are all worth another try
    }
    const Message& response = a.response;
    // RFC 6891 §7: FORMERR without OPT means the server does not know EDNS; ask again
    // without it (once).
    if (response.header.rcode == Rcode::FormErr && !response.edns && q.edns && !edns_dropped &&
        attempt < options_.attempts) {
      publish(sim::EventKind::DnsAnswer, session, describe_answer(response) + " (retrying without EDNS)",
              static_cast<int>(response.header.rcode));
      edns_dropped = true;
      q = make_query(name, type, false);
      wire = encode(q).wire;
      continue;
    }
    if (response.header.tc) {
      // RFC 7766 §5: a truncated answer is repeated over TCP.
      publish(sim::EventKind::DnsAnswer, session, describe_answer(response) + ", retrying over TCP",
              static_cast<int>(response.header.rcode));
      LookupResult over_tcp = co_await tcp_attempts(make_query(name, type, true), session);
      over_tcp.attempts_used += result.attempts_used;
      co_return over_tcp;
    }
    publish(sim::EventKind::DnsAnswer, session, describe_answer(response), static_cast<int>(response.header.rcode));
    result.status = status_of(response, type);
    result.error = result.status == LookupStatus::Ok ? std::string()
                                                     : std::string(lookup_status_name(result.status));
    result.response = std::move(a.response);
    co_return result;
  }
  publish(sim::EventKind::DnsAnswer, session,
          std::string(lookup_status_name(result.status)) + " after " + std::to_string(result.attempts_used) +
              (result.attempts_used == 1 ? " attempt: " : " attempts: ") + result.error,
          0);
  co_return result;
}

awaitable<LookupResult> Resolver::query_tcp(DnsName name, std::uint16_t type) {
  // Over TCP the payload size is moot, but the OPT record still says we speak EDNS.
  co_return co_await tcp_attempts(make_query(name, type, true), next_session_id());
}

awaitable<LookupResult> Resolver::tcp_attempts(Message q, std::uint64_t session) {
  const std::vector<std::uint8_t> wire = encode(q).wire;
  const std::uint16_t type = q.questions.front().type;
  LookupResult result;
  result.via_tcp = true;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    Attempt a = co_await exchange_tcp(wire, q, attempt, session);
    result.attempts_used = attempt;
    if (a.outcome != Attempt::Outcome::Answer) {
      result.status = a.failure_status();
      result.error = std::move(a.error);
      continue;
    }
    publish(sim::EventKind::DnsAnswer, session, describe_answer(a.response),
            static_cast<int>(a.response.header.rcode));
    result.status = status_of(a.response, type);
    result.error = result.status == LookupStatus::Ok ? std::string()
                                                     : std::string(lookup_status_name(result.status));
    result.response = std::move(a.response);
    co_return result;
  }
  publish(sim::EventKind::DnsAnswer, session,
          std::string(lookup_status_name(result.status)) + " over TCP after " +
              std::to_string(result.attempts_used) + (result.attempts_used == 1 ? " attempt: " : " attempts: ") +
              result.error,
          0);
  co_return result;
}

awaitable<std::pair<LookupStatus, std::vector<asio::ip::address>>> Resolver::resolve_addresses(DnsName host) {
  std::vector<asio::ip::address> addresses;
  LookupResult a = co_await query(host, static_cast<std::uint16_t>(RrType::A));
  if (a.status != LookupStatus::Ok && a.status != LookupStatus::NoData) co_return std::pair{a.status, addresses};
  for (const auto& rr : a.response.answers) {
    if (rr.type != static_cast<std::uint16_t>(RrType::A)) continue;  // skip the CNAMEs leading here
    if (auto address = address_of(rr)) addresses.push_back(*address);
  }
  LookupResult aaaa = co_await query(host, static_cast<std::uint16_t>(RrType::AAAA));
  for (const auto& rr : aaaa.response.answers) {
    if (rr.type != static_cast<std::uint16_t>(RrType::AAAA)) continue;
    if (auto address = address_of(rr)) addresses.push_back(*address);
  }
  if (!addresses.empty()) co_return std::pair{LookupStatus::Ok, addresses};
  // Neither gave an address: a failure of the AAAA query says more than A's NODATA.
  LookupStatus status = aaaa.status == LookupStatus::Ok ? LookupStatus::NoData : aaaa.status;
  if (status == LookupStatus::NxDomain) status = LookupStatus::NoData;  // A said the name exists
  co_return std::pair{status, addresses};
}

awaitable<MailRoute> Resolver::resolve_mail_route(DnsName domain) {
  MailRoute route;
  LookupResult mx = co_await query(domain, static_cast<std::uint16_t>(RrType::MX));

  if (mx.status == LookupStatus::NoData) {
    // RFC 5321 §5.1: no MX records, so the domain's own address is an implicit MX of
    // preference 0.
    route.implicit_mx = true;
    auto [status, addresses] = co_await resolve_addresses(domain);
    route.status = status;
    if (status == LookupStatus::Ok) {
      route.hosts.push_back(MailHost{domain, 0, std::move(addresses)});
    } else {
      route.error = "no MX and no address for " + domain.to_string() + ": " + std::string(lookup_status_name(status));
    }
    co_return route;
  }
  if (mx.status != LookupStatus::Ok) {
    route.status = mx.status;
    route.error = "MX look-up for " + domain.to_string() + " failed: " + mx.error;
    co_return route;
  }

  std::vector<const MxData*> records;
  for (const auto& rr : mx.response.answers) {
    if (const auto* data = std::get_if<MxData>(&rr.data)) records.push_back(data);
  }
  // RFC 7505 §3: a single MX "0 ." says the domain accepts no mail at all.
  if (records.size() == 1 && records.front()->exchange.is_root()) {
    route.status = LookupStatus::Ok;
    route.null_mx = true;
    co_return route;
  }
  // A "." among other MX records is a misconfiguration (RFC 7505 §3); it names no host.
  std::erase_if(records, [](const MxData* data) { return data->exchange.is_root(); });
  // RFC 5321 §5.1: lower preference first; equal preferences keep the server's order
  // (the RFC asks for randomisation there; the lab prefers reproducible runs).
  std::stable_sort(records.begin(), records.end(),
                   [](const MxData* a, const MxData* b) { return a->preference < b->preference; });

  std::optional<LookupStatus> temporary_failure;
  std::size_t lookups = 0;
  bool any_address = false;
  for (const MxData* record : records) {
    MailHost host{record->exchange, record->preference, {}};
    for (const auto& rr : mx.response.additional) {
      if (rr.name == host.name) {
        if (auto address = address_of(rr)) host.addresses.push_back(*address);
      }
    }
    if (host.addresses.empty() && lookups < kMaxMailHostLookups) {
      ++lookups;
      auto [status, addresses] = co_await resolve_addresses(host.name);
      host.addresses = std::move(addresses);
      if (host.addresses.empty()) {
        if (is_temporary_failure(status) && !temporary_failure) temporary_failure = status;
        route.error += (route.error.empty() ? "" : "; ") + host.name.to_string() + " has no address (" +
                       std::string(lookup_status_name(status)) + ")";
      }
    }
    any_address = any_address || !host.addresses.empty();
    route.hosts.push_back(std::move(host));
  }
  if (any_address) {
    route.status = LookupStatus::Ok;
  } else {
    route.status = temporary_failure.value_or(LookupStatus::NoData);
    if (route.error.empty()) route.error = "no usable MX host for " + domain.to_string();
  }
  co_return route;
}

}  // namespace mailflow::dns
