// The IMAP server: a net::SessionListener of ImapSessions that refuses connections over
// the caps with "* BYE" before the greeting (RFC 3501 §7.1.5), stops sessions with
// "* BYE" on shutdown (ImapSession::shut_down) and tells IDLE sessions of changes.
#include "servers/imap/imap_server.hpp"

#include "servers/imap/imap_session.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

ImapServer::ImapServer(asio::io_context& io, ImapServerConfig config, ImapServices& services, sim::EventBus* bus)
    : SessionListener(io, listener_config(config, config.implicit_tls ? "IMAPS" : "IMAP", sim::Protocol::Imap), bus),
      config_(std::move(config)),
      services_(services) {}

ImapServer::~ImapServer() = default;

std::shared_ptr<ImapSession> ImapServer::make_session(tcp::socket socket, std::string client_ip) {
  return std::make_shared<ImapSession>(*this, std::move(socket), std::move(client_ip));
}

std::string ImapServer::farewell(Refusal, const std::string&) {
  // With implicit TLS the client cannot read plaintext; closing is all it gets.
  return config_.implicit_tls ? std::string() : "* BYE [UNAVAILABLE] Too many connections\r\n";
}

bool ImapServer::user_logged_in(const std::string& address, const std::string& client_ip) {
  auto& open = per_user_[{address, client_ip}];
  if (open >= config_.limits.max_connections_per_user) {
    if (open == 0) per_user_.erase({address, client_ip});
    return false;
  }
  ++open;
  return true;
}

void ImapServer::user_logged_out(const std::string& address, const std::string& client_ip) {
  auto it = per_user_.find({address, client_ip});
  if (it != per_user_.end() && --it->second == 0) per_user_.erase(it);
}

void ImapServer::mailbox_changed(const std::string& address, const std::string& folder, const ImapSession* by) {
  for (const auto& session : sessions()) {
    if (session.get() != by) session->notify_change(address, folder);
  }
}

}  // namespace mailflow::imap
