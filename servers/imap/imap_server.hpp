// The lab's IMAP servers (RFC 3501): 143 with STARTTLS, 993 with implicit TLS (RFC 8314).
// One ImapSession per connection (imap_session.hpp); this file owns the listener, the
// connection caps and the services the sessions call (authentication, the user's Maildir).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>

#include "servers/imap/imap_limits.hpp"
#include "servers/imap/imap_message_cache.hpp"
#include "servers/net/asio.hpp"
#include "servers/net/tcp_listener.hpp"
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
  // Runs APPEND/COPY/MOVE/EXPUNGE's fsync-bound writes off the io thread; null: inline.
  net::asio::thread_pool* durable_writes = nullptr;
};

class ImapSession;

// Listens as a net::SessionListener: start() binds (throws boost::system::system_error),
// stop() sends "* BYE" to every open session, then closes; endpoint(), open_sessions(),
// and for the sessions bus(), stopping() and session_ended() come with it.
class ImapServer : public net::SessionListener<ImapSession> {
 public:
  ImapServer(net::asio::io_context& io, ImapServerConfig config, ImapServices& services, sim::EventBus* bus);
  // Out of line: the sessions' type is complete only there (the listener's virtuals use it).
  ~ImapServer() override;

  const ImapServerConfig& config() const { return config_; }
  // Used by sessions.
  ImapServices& services() { return services_; }
  // Another session changed `folder` of `address`: wake the IDLE sessions on it.
  void mailbox_changed(const std::string& address, const std::string& folder, const ImapSession* by);
  // A login of `address` from `client_ip`: false (and nothing counted) when that user has
  // limits.max_connections_per_user sessions from there already [Dovecot's
  // mail_max_userip_connections]. Each true is matched by one user_logged_out().
  bool user_logged_in(const std::string& address, const std::string& client_ip);
  void user_logged_out(const std::string& address, const std::string& client_ip);
  MessageCache& message_cache() { return message_cache_; }

 private:
  std::shared_ptr<ImapSession> make_session(net::tcp::socket socket, std::string client_ip) override;
  std::string farewell(net::Refusal why, const std::string& client_ip) override;

  ImapServerConfig config_;
  ImapServices& services_;
  std::map<std::pair<std::string, std::string>, std::size_t> per_user_;
  MessageCache message_cache_;  // (address, client IP), none at 0
};

}  // namespace mailflow::imap
