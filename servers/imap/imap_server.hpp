// The lab's IMAP servers (RFC 3501): 143 with STARTTLS, 993 with implicit TLS (RFC 8314).
// One ImapSession per connection (imap_session.hpp); this file owns the listener, the
// connection caps and the services the sessions call (authentication, the user's Maildir).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/ssl.hpp>

#include "servers/imap/imap_limits.hpp"
#include "servers/net/asio.hpp"
#include "sim/event_bus.hpp"
#include "sim/maildir_store.hpp"
#include "sim/world.hpp"

namespace mailflow::imap {

// What the lab provides to IMAP sessions; sessions only call these.
class ImapServices {
 public:
  virtual ~ImapServices() = default;
  // The user who logs in with login/password, or nullptr.
  virtual const sim::User* authenticate(const std::string& login, const std::string& password) = 0;
  // The user's Maildir (shared by every session of the user); throws on I/O failure.
  virtual std::shared_ptr<sim::Mailbox> mailbox_of(const sim::User& user) = 0;
};

struct ImapServerConfig {
  std::string host_name;  // "imap.beta.test": greeting, events
  net::asio::ip::address address;
  std::uint16_t port = 0;
  ImapLimits limits;
  std::shared_ptr<net::asio::ssl::context> tls;  // null: no STARTTLS (and no implicit TLS)
  bool implicit_tls = false;                     // 993: handshake before the greeting
  bool allow_plaintext_auth = false;             // world setting for demos
};

class ImapSession;

class ImapServer {
 public:
  ImapServer(net::asio::io_context& io, ImapServerConfig config, ImapServices& services, sim::EventBus* bus);
  ~ImapServer();

  void start();  // binds; throws boost::system::system_error
  void stop();   // "* BYE" to every open session, then close

  const ImapServerConfig& config() const { return config_; }
  net::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  std::size_t open_sessions() const { return sessions_.size(); }

  // Used by sessions.
  ImapServices& services() { return services_; }
  sim::EventBus* bus() { return bus_; }
  void session_ended(const std::shared_ptr<ImapSession>& session, const std::string& client_ip);
  bool stopping() const { return stopping_; }
  // Another session changed `folder` of `address`: wake the IDLE sessions on it.
  void mailbox_changed(const std::string& address, const std::string& folder, const ImapSession* by);

 private:
  net::awaitable<void> accept_loop();

  net::asio::io_context& io_;
  ImapServerConfig config_;
  ImapServices& services_;
  sim::EventBus* bus_;
  net::tcp::acceptor acceptor_;
  std::set<std::shared_ptr<ImapSession>> sessions_;
  std::map<std::string, std::size_t> per_client_;
  bool stopping_ = false;
};

}  // namespace mailflow::imap
