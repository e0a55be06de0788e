// The POP3 server: a net::SessionListener of Pop3Sessions that refuses connections over
// the caps with -ERR [SYS/TEMP] instead of the greeting, and ends sessions on shutdown
// without entering UPDATE (Pop3Session::shut_down).
#include "servers/pop3/pop3_server.hpp"

#include <fmt/format.h>

#include "servers/pop3/pop3_session.hpp"

namespace mailflow::pop3 {

using namespace mailflow::net;

Pop3Server::Pop3Server(asio::io_context& io, Pop3ServerConfig config, Pop3Services& services, sim::EventBus* bus)
    : SessionListener(io, listener_config(config, config.implicit_tls ? "POP3S" : "POP3", sim::Protocol::Pop3), bus),
      config_(std::move(config)),
      services_(services) {
  if (!config_.locks) config_.locks = std::make_shared<MaildropLocks>();
}

Pop3Server::~Pop3Server() = default;

std::shared_ptr<Pop3Session> Pop3Server::make_session(tcp::socket socket, std::string client_ip) {
  return std::make_shared<Pop3Session>(*this, std::move(socket), std::move(client_ip));
}

// -ERR [SYS/TEMP] instead of the greeting, naming the client when it alone is over its cap.
std::string Pop3Server::farewell(Refusal why, const std::string& client_ip) {
  std::string text = why == Refusal::TooManyConnections
                         ? "Too many connections, try again later"
                         : fmt::format("Too many connections from {}, try again later", client_ip);
  return make_response(responses::TooManyConnections, std::move(text)).format();
}

}  // namespace mailflow::pop3
