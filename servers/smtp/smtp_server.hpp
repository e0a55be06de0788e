// The lab's SMTP servers (RFC 5321), in the three roles a provider runs:
//   MX (port 25): accepts mail for the domains whose MX names this host, stores it in the
//     recipients' Maildirs; never relays (554 5.7.1 Relay access denied).
//   Submission (587, RFC 6409): STARTTLS, then AUTH, then mail from the user's own address
//     only; accepted mail goes to this host's queue and on through DNS.
//   SMTPS (465, RFC 8314): submission over implicit TLS.
// One SmtpSession per connection (smtp_session.hpp); this file owns the listener, the
// connection caps and the lab services the sessions call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>

#include "servers/net/asio.hpp"
#include "servers/net/tcp_listener.hpp"
#include "servers/net/tls_faults.hpp"
#include "servers/smtp/journey_registry.hpp"
#include "servers/smtp/smtp_limits.hpp"
#include "servers/smtp/smtp_reply.hpp"
#include "sim/event_bus.hpp"
#include "sim/fault.hpp"
#include "sim/world.hpp"

namespace mailflow::smtp {

enum class SmtpRole { Mx, Submission, Smtps };
std::string_view role_name(SmtpRole role);  // "MX", "submission", "SMTPS"

// What the lab does with a message a session accepted. Implemented by the lab (local
// delivery into Maildirs, the outbound queue); sessions only call these.
struct AcceptedMessage {
  std::string sender;                   // reverse path, "" for <>
  std::vector<std::string> recipients;  // forward paths as accepted at RCPT
  std::string message;                  // CRLF text, with this hop's Received header on top
  std::string journey;                  // the session's journey id (announced or new)
  std::string client;                   // "smtp.alpha.test [127.10.1.1]"
};

struct AcceptResult {
  SmtpReply reply;       // what the session answers after the final dot
  std::string journey;   // the journey id the message travels under from here
  std::string queue_id;  // for the event
};

class SmtpServices {
 public:
  virtual ~SmtpServices() = default;
  // RCPT on an MX: nullopt when the recipient is fine, else the refusal to send.
  virtual std::optional<SmtpReply> check_local_recipient(const std::string& host, const std::string& recipient) = 0;
  // The user who logs in with login/password, or nullptr.
  virtual const sim::User* authenticate(const std::string& login, const std::string& password) = 0;
  // MX: deliver into Maildirs. Submission: enqueue for relay. Durable before it returns.
  // Called from a thread of SmtpServerConfig::durable_writes when set, concurrently.
  virtual AcceptResult accept(const std::string& host, SmtpRole role, AcceptedMessage message) = 0;
  // "mx.beta.test" for an address of the world, else "unknown" (a lab-local reverse DNS).
  virtual std::string reverse_name(const std::string& address) = 0;
  // A fresh journey id for a transaction no relay announced (a client from outside).
  virtual std::string new_journey_id() = 0;
};

struct SmtpServerConfig {
  SmtpRole role = SmtpRole::Mx;
  std::string host_name;  // "mx.beta.test": banner, EHLO, Received
  net::asio::ip::address address;
  std::uint16_t port = 0;
  SmtpLimits limits;
  std::shared_ptr<net::asio::ssl::context> tls;  // null: no STARTTLS (and no SMTPS)
  bool allow_plaintext_auth = false;             // world setting for demos
  // SmtpServices::accept (durable writes) runs on this pool, off the io thread, so many
  // sessions' fsyncs overlap and share group commits. Null: on the io thread.
  net::asio::thread_pool* durable_writes = nullptr;
  // Connections the lab's relays announced with their journey; null: every transaction
  // starts a new journey.
  const JourneyRegistry* journeys = nullptr;
  // The lab's faults (sim/fault.hpp), asked at the greeting, MAIL, RCPT, DATA and before
  // each reply (smtp_faults.hpp); null: no faults. lab_time says how much lab time has
  // passed since the lab started, for the triggers' windows (zero when unset).
  sim::FaultSet* faults = nullptr;
  std::function<std::chrono::milliseconds()> lab_time;
  // The certificates the TLS certificate faults present (net/tls_faults.hpp); null: those
  // faults leave the good certificate in place.
  net::TlsFaultCertificates* tls_faults = nullptr;
};

class SmtpSession;

// Listens as a net::SessionListener: start() binds (throws boost::system::system_error),
// stop() answers 421 to every open session, then closes; endpoint(), open_sessions(),
// and for the sessions bus(), stopping() and session_ended() come with it.
class SmtpServer : public net::SessionListener<SmtpSession> {
 public:
  SmtpServer(net::asio::io_context& io, SmtpServerConfig config, SmtpServices& services, sim::EventBus* bus);
  // Out of line: the sessions' type is complete only there (the listener's virtuals use it).
  ~SmtpServer() override;

  const SmtpServerConfig& config() const { return config_; }
  // Used by sessions.
  SmtpServices& services() { return services_; }

 private:
  std::shared_ptr<SmtpSession> make_session(net::tcp::socket socket, std::string client_ip) override;
  std::string farewell(net::Refusal why, const std::string& client_ip) override;

  SmtpServerConfig config_;
  SmtpServices& services_;
};

}  // namespace mailflow::smtp
