// The listening side of the lab's TCP servers (SMTP, POP3, IMAP), after the acceptor loop
// of Asio's cpp20 coroutine examples: bind, announce "listening" on the bus, accept until
// stopped, and turn away what the connection caps do not allow with a last line
// (farewell.hpp), as Postfix's smtpd_client_connection_count_limit and Dovecot's
// mail_max_userip_connections do. A server derives from SessionListener<ItsSession> and
// says only how to make a session and how to word a refusal:
//
//   class Pop3Server : public net::SessionListener<Pop3Session> {
//     std::shared_ptr<Pop3Session> make_session(tcp::socket socket, std::string client_ip) override;
//     std::string farewell(net::Refusal why, const std::string& client_ip) override;
//   };
//
// One io thread runs a listener and its sessions; nothing here locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "servers/net/asio.hpp"
#include "sim/event_bus.hpp"
#include "sim/fault.hpp"

namespace mailflow::net {

struct ListenerConfig {
  tcp::endpoint endpoint;  // where to bind; port 0 picks a free one (tests)
  std::size_t max_connections = 0;             // open sessions at most, all clients together
  std::size_t max_connections_per_client = 0;  // open sessions at most from one client IP
  // For the "listening" event: "<service> listening on <address>:<port>" from host_name.
  std::string host_name;
  std::string service;  // "SMTP (MX)", "POP3S", "IMAP"
  sim::Protocol protocol = sim::Protocol::Lab;
};

// The listening part of a server's configuration: SmtpServerConfig, Pop3ServerConfig and
// ImapServerConfig name their address, port, host name and caps alike.
template <class ServerConfig>
ListenerConfig listener_config(const ServerConfig& config, std::string service, sim::Protocol protocol) {
  return {.endpoint = {config.address, config.port},
          .max_connections = config.limits.max_connections,
          .max_connections_per_client = config.limits.max_connections_per_client,
          .host_name = config.host_name,
          .service = std::move(service),
          .protocol = protocol};
}

// Which cap turned a connection away, so the server can say which in its farewell.
enum class Refusal { TooManyConnections, TooManyFromClient };

// Accepts connections and counts them by client; what a connection becomes is left to
// the class below. Holds its io_context by reference: stop (or destroy) the listener
// before the io_context goes.
class TcpListener {
 public:
  virtual ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Binds and listens, publishes the "listening" event, and starts accepting.
  // Throws boost::system::system_error when the address cannot be bound.
  void start();
  // Stops accepting and has every open session shut down (each says goodbye in its
  // protocol, then closes); idempotent.
  void stop();
  bool stopping() const { return stopping_; }

  // The lab's faults at the connect point (server_down, firewall_drop) for this listener's
  // host, and the lab time since the lab started for the triggers' windows. Before start().
  void set_faults(sim::FaultSet* faults, std::function<std::chrono::milliseconds()> lab_time);
  // The faults changed: an unconditional server_down (trigger always, no filters) closes
  // the listening socket, so the kernel itself refuses connections (RST to the SYN,
  // ECONNREFUSED at the client) exactly as when no server runs; when it goes off the
  // socket is opened again on the same address and port. On the io thread.
  void faults_changed();

  tcp::endpoint endpoint() const { return bound_; }
  std::size_t open_connections() const { return open_; }
  sim::EventBus* bus() { return bus_; }

 protected:
  TcpListener(asio::io_context& io, ListenerConfig config, sim::EventBus* bus);
  // A connection start_session() was given is over: frees its place under the caps.
  void connection_ended(const std::string& client_ip);

 private:
  // A connection the caps allowed, already counted. Called from the accept loop, so it
  // must not block.
  virtual void start_session(tcp::socket socket, std::string client_ip) = 0;
  virtual void shut_down_sessions() = 0;
  // The last line for a client the caps turn away (a whole protocol line with its CRLF),
  // or empty to close without a word (a client expecting a TLS handshake cannot read it).
  virtual std::string farewell(Refusal why, const std::string& client_ip) = 0;

  awaitable<void> accept_loop();
  void refuse(tcp::socket socket, Refusal why, const std::string& client_ip);
  void open_acceptor(const tcp::endpoint& endpoint);
  // A connect fault fired for this connection; true when it took the connection.
  bool connect_fault(tcp::socket& socket, const std::string& client_ip);
  awaitable<void> hold_silently(std::shared_ptr<tcp::socket> socket, std::chrono::milliseconds limit);
  void publish(sim::EventKind kind, std::string peer, std::string line);

  asio::io_context& io_;
  ListenerConfig config_;
  sim::EventBus* bus_;
  tcp::acceptor acceptor_;
  std::size_t open_ = 0;
  std::map<std::string, std::size_t> per_client_;  // open connections by client IP, none at 0
  bool stopping_ = false;
  tcp::endpoint bound_;  // where start() bound, kept so server_down can reopen there
  sim::FaultSet* faults_ = nullptr;
  std::function<std::chrono::milliseconds()> lab_time_;
  bool down_ = false;  // server_down closed the listening socket
  std::set<std::shared_ptr<tcp::socket>> held_;  // firewall_drop: connections kept silent
};

// A TcpListener that keeps the sessions it started, so stop() can reach them all and the
// server can find them (IMAP IDLE). Session needs start() and shut_down(), and calls
// session_ended() exactly once, when its connection is closed.
template <class Session>
class SessionListener : public TcpListener {
 public:
  std::size_t open_sessions() const { return sessions_.size(); }
  const std::set<std::shared_ptr<Session>>& sessions() const { return sessions_; }

  void session_ended(const std::shared_ptr<Session>& session, const std::string& client_ip) {
    sessions_.erase(session);
    connection_ended(client_ip);
  }

 protected:
  using TcpListener::TcpListener;

 private:
  // The session for a connection the caps allowed, not started yet.
  virtual std::shared_ptr<Session> make_session(tcp::socket socket, std::string client_ip) = 0;

  void start_session(tcp::socket socket, std::string client_ip) override {
    auto session = make_session(std::move(socket), std::move(client_ip));
    sessions_.insert(session);
    session->start();
  }
  void shut_down_sessions() override {
    // A copy: a session may end, and leave the set, while it is told to shut down.
    for (const auto& session : std::set(sessions_)) session->shut_down();
  }

  std::set<std::shared_ptr<Session>> sessions_;
};

}  // namespace mailflow::net
