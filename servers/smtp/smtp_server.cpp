// The SMTP listener: accepts connections, enforces the connection caps (421 4.7.0, as
// Postfix's smtpd_client_connection_count_limit) and stops sessions with 421 on shutdown.
#include "servers/smtp/smtp_server.hpp"

#include <fmt/format.h>

#include "servers/net/farewell.hpp"
#include "servers/smtp/smtp_codes.hpp"
#include "servers/smtp/smtp_session.hpp"

namespace mailflow::smtp {

using namespace mailflow::net;

std::string_view role_name(SmtpRole role) {
  switch (role) {
    case SmtpRole::Mx: return "MX";
    case SmtpRole::Submission: return "submission";
    case SmtpRole::Smtps: return "SMTPS";
  }
  return "?";
}

SmtpServer::SmtpServer(asio::io_context& io, SmtpServerConfig config, SmtpServices& services, sim::EventBus* bus)
    : io_(io), config_(std::move(config)), services_(services), bus_(bus), acceptor_(io) {}

SmtpServer::~SmtpServer() {
  error_code ignored;
  acceptor_.close(ignored);
}

void SmtpServer::start() {
  tcp::endpoint ep(config_.address, config_.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  if (bus_) {
    sim::Event e;
    e.host = config_.host_name;
    e.peer = endpoint_text(acceptor_.local_endpoint());
    e.protocol = sim::Protocol::Smtp;
    e.kind = sim::EventKind::Listening;
    e.line = fmt::format("SMTP ({}) listening on {}", role_name(config_.role), e.peer);
    bus_->publish(std::move(e));
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void SmtpServer::stop() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (const auto& session : std::set(sessions_)) session->shut_down();
}

void SmtpServer::session_ended(const std::shared_ptr<SmtpSession>& session, const std::string& client_ip) {
  sessions_.erase(session);
  if (auto it = per_client_.find(client_ip); it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

awaitable<void> SmtpServer::accept_loop() {
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
    if (sessions_.size() >= config_.limits.max_connections) {
      asio::co_spawn(io_, net::send_farewell_and_close(std::move(socket), make_reply(replies::TooManyConnections,
                                                               fmt::format("{} Error: too many connections", config_.host_name)).format()),
                     asio::detached);
      continue;
    }
    if (per_client_[client_ip] >= config_.limits.max_connections_per_client) {
      asio::co_spawn(io_, net::send_farewell_and_close(std::move(socket), make_reply(replies::TooManyConnections,
                                                               fmt::format("{} Error: too many connections from {}",
                                                                           config_.host_name, client_ip)).format()),
                     asio::detached);
      continue;
    }
    ++per_client_[client_ip];
    auto session = std::make_shared<SmtpSession>(*this, std::move(socket), client_ip);
    sessions_.insert(session);
    session->start();
  }
}

}  // namespace mailflow::smtp
