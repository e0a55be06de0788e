// The accept loop and the connection caps (see tcp_listener.hpp).
#include "servers/net/tcp_listener.hpp"

#include <chrono>

#include <fmt/format.h>

#include "servers/net/farewell.hpp"

namespace mailflow::net {

TcpListener::TcpListener(asio::io_context& io, ListenerConfig config, sim::EventBus* bus)
    : io_(io), config_(std::move(config)), bus_(bus), acceptor_(io) {}

TcpListener::~TcpListener() {
  // The accept loop resumes with operation_aborted and leaves without touching *this.
  error_code ignored;
  acceptor_.close(ignored);
}

void TcpListener::open_acceptor(const tcp::endpoint& ep) {
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  bound_ = acceptor_.local_endpoint();
}

void TcpListener::publish(sim::EventKind kind, std::string peer, std::string line) {
  if (!bus_) return;
  sim::Event e;
  e.host = config_.host_name;
  e.peer = std::move(peer);
  e.protocol = config_.protocol;
  e.kind = kind;
  e.line = std::move(line);
  bus_->publish(std::move(e));
}

void TcpListener::start() {
  open_acceptor(config_.endpoint);
  publish(sim::EventKind::Listening, endpoint_text(bound_), fmt::format("{} listening on {}", config_.service, endpoint_text(bound_)));
  asio::co_spawn(io_, accept_loop(), asio::detached);
  faults_changed();
}

void TcpListener::stop() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (const auto& socket : std::set(held_)) socket->close(ignored);
  shut_down_sessions();
}

void TcpListener::set_faults(sim::FaultSet* faults, std::function<std::chrono::milliseconds()> lab_time) {
  faults_ = faults;
  lab_time_ = std::move(lab_time);
}

void TcpListener::faults_changed() {
  if (stopping_ || !faults_) return;
  const auto down_by = faults_->unconditional(sim::FaultKind::ServerDown, config_.host_name);
  const bool down = down_by.has_value();
  if (down == down_) return;
  const std::string where = endpoint_text(bound_);
  if (down) {
    error_code ignored;
    acceptor_.close(ignored);  // the accept loop ends with operation_aborted
    down_ = true;
    publish(sim::EventKind::Fault, where,
            fmt::format("fault '{}' (server_down): {} stopped listening on {}; connections are refused", *down_by,
                        config_.service, where));
    return;
  }
  try {
    open_acceptor(bound_);
  } catch (const boost::system::system_error& e) {
    publish(sim::EventKind::Error, where, fmt::format("{} cannot listen again on {}: {}", config_.service, where, e.what()));
    return;
  }
  down_ = false;
  publish(sim::EventKind::Listening, where, fmt::format("{} listening again on {} (server_down is off)", config_.service, where));
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

bool TcpListener::connect_fault(tcp::socket& socket, const std::string& client_ip) {
  sim::FaultAttempt attempt;
  attempt.client = client_ip;
  if (lab_time_) attempt.since_start = lab_time_();
  auto hit = faults_->check(sim::FaultPoint::Connect, config_.host_name, attempt);
  if (!hit) return false;
  error_code ec;
  const std::string peer = endpoint_text(socket.remote_endpoint(ec));
  if (hit->kind == sim::FaultKind::ServerDown) {
    // A server_down for some attempts only (first N, a client filter) cannot close the
    // listening socket for just those: the connection is reset (SO_LINGER 0 sends RST)
    // before a byte is said, which clients report as "connection reset" and treat, like
    // "refused", as a host to try again later or skip for the next MX.
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
    publish(sim::EventKind::Fault, peer, fmt::format("fault '{}' (server_down): connection reset before the greeting", hit->name));
    return true;
  }
  if (hit->kind == sim::FaultKind::FirewallDrop) {
    // Without root nothing on loopback can drop a SYN, so the handshake completes; the
    // honest rest of a firewall that drops packets is silence: no byte ever comes back,
    // and the client's greeting time-out fires. Held until the client gives up, or
    // params.delay (default 5 minutes) has passed.
    auto held = std::make_shared<tcp::socket>(std::move(socket));
    held_.insert(held);
    const auto limit = hit->params.delay.value_or(std::chrono::minutes(5));
    publish(sim::EventKind::Fault, peer, fmt::format("fault '{}' (firewall_drop): the connection gets no answer", hit->name));
    asio::co_spawn(io_, hold_silently(held, limit), asio::detached);
    return true;
  }
  return false;
}

awaitable<void> TcpListener::hold_silently(std::shared_ptr<tcp::socket> socket, std::chrono::milliseconds limit) {
  asio::steady_timer limit_timer(io_, limit);
  auto on_limit = [socket](const error_code& ec) {
    if (ec) return;
    error_code ignored;
    socket->close(ignored);
  };
  limit_timer.async_wait(on_limit);
  char sink[4096];
  error_code ec;
  while (socket->is_open() && !ec) {
    co_await socket->async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
  }
  limit_timer.cancel();
  error_code ignored;
  socket->close(ignored);
  // After stop() the listener may be gone only once the io_context is; it outlives us here.
  held_.erase(socket);
}

void TcpListener::connection_ended(const std::string& client_ip) {
  --open_;
  if (auto it = per_client_.find(client_ip); it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

awaitable<void> TcpListener::accept_loop() {
  while (acceptor_.is_open()) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    // Check ec first: after the destructor's close, *this is gone.
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // EMFILE / ENFILE: back off instead of spinning (RELIABILITY.md, Asio specifics).
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    std::string client_ip = socket.remote_endpoint(ec).address().to_string();
    if (ec) continue;  // the client already left
    if (faults_ && faults_->any_enabled() && connect_fault(socket, client_ip)) continue;
    // Every protocol here is a dialogue of small writes: without TCP_NODELAY, Nagle holds
    // a reply written right after another (the TLS session tickets, then the greeting)
    // until the client's delayed ACK, some 40 ms a round.
    socket.set_option(tcp::no_delay(true), ec);
    auto here = per_client_.find(client_ip);
    const std::size_t from_client = here == per_client_.end() ? 0 : here->second;
    if (open_ >= config_.max_connections) {
      refuse(std::move(socket), Refusal::TooManyConnections, client_ip);
    } else if (from_client >= config_.max_connections_per_client) {
      refuse(std::move(socket), Refusal::TooManyFromClient, client_ip);
    } else {
      ++open_;
      ++per_client_[client_ip];
      start_session(std::move(socket), std::move(client_ip));
    }
  }
}

void TcpListener::refuse(tcp::socket socket, Refusal why, const std::string& client_ip) {
  // A coroutine of its own: a client that does not read must not hold up the accept loop.
  asio::co_spawn(io_, send_farewell_and_close(std::move(socket), farewell(why, client_ip)), asio::detached);
}

}  // namespace mailflow::net
