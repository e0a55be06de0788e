// The SMTP server: a net::SessionListener of SmtpSessions that words its refusals as
// Postfix's smtpd_client_connection_count_limit does (421 4.7.0) and stops sessions with
// 421 on shutdown (SmtpSession::shut_down).
#include "servers/smtp/smtp_server.hpp"

#include <fmt/format.h>

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
    : SessionListener(io, listener_config(config, fmt::format("SMTP ({})", role_name(config.role)), sim::Protocol::Smtp),
                      bus),
      config_(std::move(config)),
      services_(services) {}

SmtpServer::~SmtpServer() = default;

std::shared_ptr<SmtpSession> SmtpServer::make_session(tcp::socket socket, std::string client_ip) {
  return std::make_shared<SmtpSession>(*this, std::move(socket), std::move(client_ip));
}

// 421 4.7.0 instead of the greeting, naming the client when it alone is over its cap.
std::string SmtpServer::farewell(Refusal why, const std::string& client_ip) {
  std::string text = why == Refusal::TooManyConnections
                         ? fmt::format("{} Error: too many connections", config_.host_name)
                         : fmt::format("{} Error: too many connections from {}", config_.host_name, client_ip);
  return make_reply(replies::TooManyConnections, std::move(text)).format();
}

}  // namespace mailflow::smtp
