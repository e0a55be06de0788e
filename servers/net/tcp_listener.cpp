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

void TcpListener::start() {
  const tcp::endpoint& ep = config_.endpoint;
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  if (bus_) {
    sim::Event e;
    e.host = config_.host_name;
    e.peer = endpoint_text(acceptor_.local_endpoint());
    e.protocol = config_.protocol;
    e.kind = sim::EventKind::Listening;
    e.line = fmt::format("{} listening on {}", config_.service, e.peer);
    bus_->publish(std::move(e));
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void TcpListener::stop() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  shut_down_sessions();
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
