// The IMAP listener: accepts connections, enforces the connection caps ("* BYE" before
// the greeting, RFC 3501 §7.1.5) and stops sessions with "* BYE" on shutdown.
#include "servers/imap/imap_server.hpp"

#include <fmt/format.h>

#include "servers/imap/imap_session.hpp"
#include "servers/net/farewell.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

ImapServer::ImapServer(asio::io_context& io, ImapServerConfig config, ImapServices& services, sim::EventBus* bus)
    : io_(io), config_(std::move(config)), services_(services), bus_(bus), acceptor_(io) {}

ImapServer::~ImapServer() {
  error_code ignored;
  acceptor_.close(ignored);
}

void ImapServer::start() {
  tcp::endpoint ep(config_.address, config_.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  if (bus_) {
    sim::Event e;
    e.host = config_.host_name;
    e.peer = endpoint_text(acceptor_.local_endpoint());
    e.protocol = sim::Protocol::Imap;
    e.kind = sim::EventKind::Listening;
    e.line = fmt::format("IMAP{} listening on {}", config_.implicit_tls ? "S" : "", e.peer);
    bus_->publish(std::move(e));
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void ImapServer::stop() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (const auto& session : std::set(sessions_)) session->shut_down();
}

void ImapServer::session_ended(const std::shared_ptr<ImapSession>& session, const std::string& client_ip) {
  sessions_.erase(session);
  if (auto it = per_client_.find(client_ip); it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

void ImapServer::mailbox_changed(const std::string& address, const std::string& folder, const ImapSession* by) {
  for (const auto& session : sessions_) {
    if (session.get() != by) session->notify_change(address, folder);
  }
}

awaitable<void> ImapServer::accept_loop() {
  while (acceptor_.is_open()) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    std::string client_ip = socket.remote_endpoint(ec).address().to_string();
    if (ec) continue;
    if (sessions_.size() >= config_.limits.max_connections ||
        per_client_[client_ip] >= config_.limits.max_connections_per_client) {
      // With implicit TLS the client cannot read plaintext; closing is all it gets.
      asio::co_spawn(io_, net::send_farewell_and_close(std::move(socket), config_.implicit_tls ? std::string()
                                                    : "* BYE [UNAVAILABLE] Too many connections\r\n"),
                     asio::detached);
      continue;
    }
    ++per_client_[client_ip];
    auto session = std::make_shared<ImapSession>(*this, std::move(socket), client_ip);
    sessions_.insert(session);
    session->start();
  }
}

}  // namespace mailflow::imap
