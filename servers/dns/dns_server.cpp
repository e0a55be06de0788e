// The DNS server's sockets: one UDP receive loop and a TCP listener with one coroutine per
// connection (2-octet length framing, RFC 1035 §4.2.2), all on one io_context.
#include "servers/dns/dns_server.hpp"

#include <array>

#include <fmt/format.h>

#include "servers/dns/dns_faults.hpp"
#include "servers/net/deadline.hpp"
#include "servers/net/session_id.hpp"

namespace mailflow::dns {

using namespace mailflow::net;

std::string DnsLimits::verify() const {
  if (udp_max_payload < 512 || udp_max_payload > 65535) return "udp_max_payload must be between 512 and 65535";
  if (max_tcp_connections == 0) return "max_tcp_connections must be at least 1";
  if (tcp_idle_timeout.count() <= 0) return "tcp_idle_timeout must be positive";
  if (max_tcp_queries_per_connection == 0) return "max_tcp_queries_per_connection must be at least 1";
  return {};
}

std::string describe_question(const Message& query) {
  if (query.questions.empty()) return "(no question)";
  const auto& q = query.questions.front();
  std::string type(rr_type_name(q.type));
  if (type == "TYPE") type += std::to_string(q.type);
  return q.name.to_string() + (q.klass == kClassIn ? " IN " : " CLASS" + std::to_string(q.klass) + " ") + type;
}

std::string describe_answer(const Message& response) {
  std::string line(rcode_name(response.header.rcode));
  if (response.header.tc) line += " (truncated)";
  if (!response.answers.empty()) {
    line += " " + std::to_string(response.answers.size()) + (response.answers.size() == 1 ? " answer:" : " answers:");
    for (std::size_t i = 0; i < response.answers.size(); ++i) {
      line += (i ? "; " : " ") + to_presentation(response.answers[i]);
    }
  } else if (!response.authority.empty() && response.header.rcode == Rcode::NoError) {
    line += " no records of that type (NODATA)";
  }
  return line;
}

class DnsServer::TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(DnsServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), deadline_(std::make_shared<Deadline>(socket_.get_executor())) {
    error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : endpoint_text(remote);
  }

  void start() {
    auto self = shared_from_this();
    auto on_expire = [self] { self->close(); };
    asio::co_spawn(socket_.get_executor(), Deadline::watch(deadline_, std::move(on_expire)), asio::detached);
    asio::co_spawn(socket_.get_executor(), run(), asio::detached);
  }

  void close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    deadline_->cancel();
  }

  const std::string& peer() const { return peer_; }
  std::uint64_t id() const { return id_; }

 private:
  awaitable<void> run() {
    auto self = shared_from_this();
    server_.publish(sim::EventKind::Connect, peer_, id_, "TCP connection", 0);
    try {
      for (std::size_t served = 0; served < server_.limits_.max_tcp_queries_per_connection; ++served) {
        deadline_->arm(server_.limits_.tcp_idle_timeout);
        std::array<std::uint8_t, 2> length_prefix{};
        co_await asio::async_read(socket_, asio::buffer(length_prefix), use_awaitable);
        std::size_t length = static_cast<std::size_t>(length_prefix[0]) << 8 | length_prefix[1];
        std::vector<std::uint8_t> query(length);  // at most 65535: the prefix bounds it
        co_await asio::async_read(socket_, asio::buffer(query), use_awaitable);
        ++server_.stats_.tcp_queries;
        auto reply = server_.handle(query, peer_, id_, Transport::Tcp);
        if (!reply) continue;
        std::array<std::uint8_t, 2> reply_prefix{static_cast<std::uint8_t>(reply->size() >> 8),
                                                 static_cast<std::uint8_t>(reply->size())};
        std::array<asio::const_buffer, 2> buffers{asio::buffer(reply_prefix), asio::buffer(*reply)};
        co_await asio::async_write(socket_, buffers, use_awaitable);
      }
    } catch (const boost::system::system_error&) {
      // end of stream, reset, or the deadline closed the socket: all normal ends here
    } catch (const std::exception& e) {
      server_.publish(sim::EventKind::Error, peer_, id_, std::string("TCP session failed: ") + e.what(), 0);
    }
    server_.publish(sim::EventKind::Disconnect, peer_, id_,
                    deadline_->expired() ? "TCP connection closed (idle time-out)" : "TCP connection closed", 0);
    close();
    server_.tcp_sessions_.erase(self);
  }

  DnsServer& server_;
  tcp::socket socket_;
  std::shared_ptr<Deadline> deadline_;
  std::string peer_;
  std::uint64_t id_ = next_session_id();
};

DnsServer::DnsServer(asio::io_context& io, std::shared_ptr<const Authority> authority, sim::EventBus* bus,
                     std::string host_name, asio::ip::address address, std::uint16_t port, DnsLimits limits)
    : io_(io),
      authority_(std::move(authority)),
      bus_(bus),
      host_name_(std::move(host_name)),
      address_(address),
      port_(port),
      limits_(limits),
      udp_(io),
      acceptor_(io) {}

DnsServer::~DnsServer() { stop(); }

void DnsServer::start() {
  udp::endpoint udp_ep(address_, port_);
  udp_.open(udp_ep.protocol());
  udp_.set_option(asio::socket_base::reuse_address(true));
  udp_.bind(udp_ep);
  // Bursts of queries from dnsperf and resolvers should queue, not drop.
  error_code ignored;
  udp_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);

  // With port 0 the TCP listener takes the UDP port, so TC fallback reaches the same server.
  tcp::endpoint tcp_ep(address_, udp_.local_endpoint().port());
  acceptor_.open(tcp_ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(tcp_ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);

  std::string where = endpoint_text(udp_.local_endpoint());
  publish(sim::EventKind::Listening, where, 0, "DNS listening on " + where + " (UDP and TCP)", 0);
  asio::co_spawn(io_, udp_loop(), asio::detached);
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void DnsServer::stop() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  bool was_open = udp_.is_open();
  udp_.close(ignored);
  acceptor_.close(ignored);
  for (const auto& session : std::set(tcp_sessions_)) session->close();
  if (was_open) publish(sim::EventKind::Stopped, "", 0, "DNS stopped", 0);
}

void DnsServer::set_authority(std::shared_ptr<const Authority> authority) {
  std::lock_guard lock(authority_mutex_);
  authority_ = std::move(authority);
}

std::shared_ptr<const Authority> DnsServer::authority() const {
  std::lock_guard lock(authority_mutex_);
  return authority_;
}

void DnsServer::publish(sim::EventKind kind, const std::string& peer, std::uint64_t session, std::string line,
                        int code) {
  if (!bus_) return;
  sim::Event e;
  e.host = host_name_;
  e.peer = peer;
  e.session = session;
  e.protocol = sim::Protocol::Dns;
  e.kind = kind;
  e.line = std::move(line);
  e.code = code;
  bus_->publish(std::move(e));
}

void DnsServer::set_faults(sim::FaultSet* faults, std::function<std::chrono::milliseconds()> lab_time) {
  faults_ = faults;
  lab_time_ = std::move(lab_time);
}

bool DnsServer::apply_faults(const Authority& authority, const Message& query, Message& response,
                             const std::string& peer, std::uint64_t session) {
  // Only questions we would answer (not REFUSED, FORMERR, NOTIMP) meet a fault.
  if (query.questions.size() != 1 || (response.header.rcode != Rcode::NoError && response.header.rcode != Rcode::NxDomain)) {
    return true;
  }
  const Question& question = query.questions.front();
  sim::FaultAttempt attempt;
  attempt.client = peer.substr(0, peer.rfind(':'));
  if (lab_time_) attempt.since_start = lab_time_();
  auto hit = faults_->check(sim::FaultPoint::DnsQuery, host_name_, attempt, question.name.key());
  if (!hit) return true;
  const DnsFaultEffect effect = apply_dns_fault(*hit, authority, question, response);
  if (effect == DnsFaultEffect::None) return true;
  const auto& info = sim::fault_info(hit->kind);
  publish(sim::EventKind::Fault, peer, session,
          fmt::format("fault '{}' ({}) for {}: {}", hit->name, info.name, describe_question(query),
                      effect == DnsFaultEffect::Silence ? std::string("no answer sent") : describe_answer(response)),
          static_cast<int>(response.header.rcode));
  return effect != DnsFaultEffect::Silence;
}

std::optional<std::vector<std::uint8_t>> DnsServer::handle(std::span<const std::uint8_t> query,
                                                           const std::string& peer, std::uint64_t session,
                                                           Transport transport) {
  auto decoded = decode(query);
  auto zones = authority();
  Answer answer = zones->answer(decoded);
  bool tell = bus_ && bus_->has_subscribers();
  if (answer.drop) {
    ++stats_.dropped;
    if (tell) {
      publish(sim::EventKind::DnsQuery, peer, session,
              decoded.header ? "dropped a response sent to the server" : "dropped a runt packet", 0);
    }
    return std::nullopt;
  }
  if (!decoded.message) ++stats_.malformed;
  const Message* query_message = decoded.message ? &*decoded.message : nullptr;
  if (query_message && faults_ && faults_->any_enabled() &&
      !apply_faults(*zones, *query_message, answer.response, peer, session)) {
    // dns_timeout: the query is seen (and shown), the answer never leaves.
    if (tell) {
      publish(sim::EventKind::DnsQuery, peer, session,
              describe_question(*query_message) + (transport == Transport::Udp ? " (UDP)" : " (TCP)"), 0);
    }
    return std::nullopt;
  }
  std::size_t limit = transport == Transport::Udp ? udp_response_limit(query_message, limits_.udp_max_payload) : 65535;
  auto encoded = encode(answer.response, limit);
  if (encoded.truncated) ++stats_.truncated;
  if (tell) {
    std::string via = transport == Transport::Udp ? " (UDP)" : " (TCP)";
    publish(sim::EventKind::DnsQuery, peer, session,
            (query_message ? describe_question(*query_message)
                           : "malformed query: " + std::string(decode_error_name(decoded.error))) + via,
            0);
    Message shown = answer.response;
    shown.header.tc = encoded.truncated;
    publish(sim::EventKind::DnsAnswer, peer, session, describe_answer(shown),
            static_cast<int>(answer.response.header.rcode));
  }
  return std::move(encoded.wire);
}

awaitable<void> DnsServer::udp_loop() {
  std::vector<std::uint8_t> buffer(65536);
  udp::endpoint peer;
  while (udp_.is_open()) {
    error_code ec;
    std::size_t n = co_await udp_.async_receive_from(asio::buffer(buffer), peer, asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !udp_.is_open()) break;
    if (ec) continue;  // ICMP errors from an earlier send surface here; keep serving
    ++stats_.udp_queries;
    try {
      // The peer's text is for events and the faults' client filter; skipped when neither asks.
      auto reply = handle({buffer.data(), n}, bus_ || faults_ ? endpoint_text(peer) : std::string(), 0, Transport::Udp);
      if (reply) co_await udp_.async_send_to(asio::buffer(*reply), peer, asio::redirect_error(use_awaitable, ec));
    } catch (const std::exception& e) {
      publish(sim::EventKind::Error, endpoint_text(peer), 0, std::string("query failed: ") + e.what(), 0);
    }
  }
}

awaitable<void> DnsServer::accept_loop() {
  while (acceptor_.is_open()) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // EMFILE / ENFILE: back off instead of spinning (RELIABILITY.md, Asio specifics).
      asio::steady_timer pause(io_, limits_.accept_backoff);
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (tcp_sessions_.size() >= limits_.max_tcp_connections) {
      ++stats_.tcp_refused;
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto session = std::make_shared<TcpSession>(*this, std::move(socket));
    tcp_sessions_.insert(session);
    session->start();
  }
}

}  // namespace mailflow::dns
