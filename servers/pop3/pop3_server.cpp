// The POP3 listener: accepts connections, enforces the connection caps (-ERR [SYS/TEMP]
// instead of the greeting) and ends sessions on shutdown without entering UPDATE.
#include "servers/pop3/pop3_server.hpp"

#include <fmt/format.h>

#include "servers/net/farewell.hpp"
#include "servers/pop3/pop3_session.hpp"

namespace mailflow::pop3 {

using namespace mailflow::net;

Pop3Server::Pop3Server(asio::io_context& io, Pop3ServerConfig config, Pop3Services& services, sim::EventBus* bus)
    : io_(io), config_(std::move(config)), services_(services), bus_(bus), acceptor_(io) {
  if (!config_.locks) config_.locks = std::make_shared<MaildropLocks>();
}

Pop3Server::~Pop3Server() {
  error_code ignored;
  acceptor_.close(ignored);
}

void Pop3Server::start() {
  tcp::endpoint ep(config_.address, config_.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  if (bus_) {
    sim::Event e;
    e.host = config_.host_name;
    e.peer = endpoint_text(acceptor_.local_endpoint());
    e.protocol = sim::Protocol::Pop3;
    e.kind = sim::EventKind::Listening;
    e.line = fmt::format("{} listening on {}", config_.implicit_tls ? "POP3S" : "POP3", e.peer);
    bus_->publish(std::move(e));
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void Pop3Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (const auto& session : std::set(sessions_)) session->shut_down();
}

void Pop3Server::session_ended(const std::shared_ptr<Pop3Session>& session, const std::string& client_ip) {
  sessions_.erase(session);
  if (auto it = per_client_.find(client_ip); it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

awaitable<void> Pop3Server::accept_loop() {
  while (acceptor_.is_open()) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // EMFILE / ENFILE: back off instead of spinning (RELIABILITY.md, Asio specifics).
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    std::string client_ip = socket.remote_endpoint(ec).address().to_string();
    if (ec) continue;
    bool too_many = sessions_.size() >= config_.limits.max_connections;
    bool too_many_here = per_client_[client_ip] >= config_.limits.max_connections_per_client;
    if (too_many || too_many_here) {
      std::string text = too_many ? "Too many connections, try again later"
                                  : fmt::format("Too many connections from {}, try again later", client_ip);
      asio::co_spawn(io_, net::send_farewell_and_close(std::move(socket), make_response(responses::TooManyConnections, text).format()), asio::detached);
      if (per_client_[client_ip] == 0) per_client_.erase(client_ip);
      continue;
    }
    ++per_client_[client_ip];
    auto session = std::make_shared<Pop3Session>(*this, std::move(socket), client_ip);
    sessions_.insert(session);
    session->start();
  }
}

}  // namespace mailflow::pop3
