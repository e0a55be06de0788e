// The lab's POP3 servers (RFC 1939): the mail counter where the recipient's devices
// collect their letters from the INBOX of the users' Maildirs.
//   POP3 (port 110): plaintext, STLS (RFC 2595) to encrypt; logins need TLS first unless
//     the world allows plaintext authentication.
//   POP3S (port 995, RFC 8314 §3.3): the same over implicit TLS.
// One Pop3Session per connection (pop3_session.hpp); this file owns the listener, the
// connection caps, the maildrop locks and the lab services the sessions call.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>

#include "servers/net/asio.hpp"
#include "servers/net/tcp_listener.hpp"
#include "servers/pop3/pop3_codes.hpp"
#include "servers/pop3/pop3_limits.hpp"
#include "servers/pop3/pop3_maildrop.hpp"
#include "sim/event_bus.hpp"
#include "sim/maildir_store.hpp"
#include "sim/world.hpp"

namespace mailflow::pop3 {

// What the lab provides to POP3 sessions: users and their mailboxes.
class Pop3Services {
 public:
  virtual ~Pop3Services() = default;
  // USER/PASS and AUTH PLAIN: the user who logs in with login/password, or nullptr.
  virtual const sim::User* authenticate(const std::string& login, const std::string& password) = 0;
  // APOP: the user with this login (the session checks the digest against the
  // password), or nullptr.
  virtual const sim::User* find_user(const std::string& login) = 0;
  // The user's mailbox; its INBOX is the maildrop. Throws std::exception when it cannot
  // be opened (the session answers -ERR [SYS/PERM]).
  virtual std::shared_ptr<sim::Mailbox> mailbox(const sim::User& user) = 0;
};

struct Pop3ServerConfig {
  bool implicit_tls = false;  // POP3S: the TLS handshake comes before the greeting
  std::string host_name;      // "mail.beta.test": greeting, APOP timestamp, events
  net::asio::ip::address address;
  std::uint16_t port = 0;
  Pop3Limits limits;
  std::shared_ptr<net::asio::ssl::context> tls;  // null: no STLS (and no POP3S)
  bool allow_plaintext_auth = false;             // world setting for demos
  // Shared by every POP3 server of a lab so that [IN-USE] holds across ports and hosts;
  // null: the server makes its own.
  std::shared_ptr<MaildropLocks> locks;
};

class Pop3Session;

// Listens as a net::SessionListener: start() binds (throws boost::system::system_error),
// stop() sends -ERR [SYS/TEMP] to every open session (deleting nothing), then closes;
// endpoint(), open_sessions(), and for the sessions bus() and session_ended() come with it.
class Pop3Server : public net::SessionListener<Pop3Session> {
 public:
  Pop3Server(net::asio::io_context& io, Pop3ServerConfig config, Pop3Services& services, sim::EventBus* bus);
  // Out of line: the sessions' type is complete only there (the listener's virtuals use it).
  ~Pop3Server() override;

  const Pop3ServerConfig& config() const { return config_; }
  // Used by sessions.
  Pop3Services& services() { return services_; }
  MaildropLocks& locks() { return *config_.locks; }

 private:
  std::shared_ptr<Pop3Session> make_session(net::tcp::socket socket, std::string client_ip) override;
  std::string farewell(net::Refusal why, const std::string& client_ip) override;

  Pop3ServerConfig config_;
  Pop3Services& services_;
};

}  // namespace mailflow::pop3
