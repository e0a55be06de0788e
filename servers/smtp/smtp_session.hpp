// One SMTP connection, server side, as one C++20 coroutine that reads like the RFC 5321
// dialogue: greet, then read a line → parse → dispatch through the command table → reply.
// Replies are gathered while pipelined commands wait in the input (RFC 2920) and flushed
// before the next read. STARTTLS (RFC 3207) discards what was pipelined in plaintext and
// forgets everything learned before TLS. AUTH PLAIN/LOGIN (RFC 4954) only under TLS.
// Every state change, command, reply and TLS handshake is an event on the bus.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "servers/net/asio.hpp"
#include "servers/net/deadline.hpp"
#include "servers/net/line_buffer.hpp"
#include "servers/smtp/smtp_command.hpp"
#include "servers/smtp/smtp_reply.hpp"
#include "servers/smtp/smtp_server.hpp"

namespace mailflow::smtp {

// Where a session is in the RFC 5321 dialogue (§4.1.4 ordering).
enum class SessionState { Connected, Greeted, MailGiven, RcptGiven, Data, Closing };
std::string_view session_state_name(SessionState s);
// The plain-language phrase the visualizer shows for a state.
std::string_view session_state_phrase(SessionState s);

class SmtpSession : public std::enable_shared_from_this<SmtpSession> {
 public:
  SmtpSession(SmtpServer& server, net::tcp::socket socket, std::string client_ip);

  void start();
  // The server is stopping: answer 421 at the next chance and close.
  void shut_down();

 private:
  using Handler = net::awaitable<void> (SmtpSession::*)(const Command&);
  struct CommandSpec {
    Verb verb;
    Handler handler;
  };
  static const CommandSpec kCommands[];

  net::awaitable<void> run();
  net::awaitable<void> dialogue();
  // The next command line; nullopt when the client went away (or was timed out).
  net::awaitable<std::optional<std::string>> read_line();
  net::awaitable<std::size_t> read_some(std::string& into);
  net::awaitable<void> flush();
  void reply(SmtpReply r);
  void enter_state(SessionState s);
  void publish(sim::EventKind kind, std::string line, int code = 0, std::string status = {});
  void reset_transaction();
  // The relay's announced journey for this connection, else a new one.
  void begin_journey();
  void interrupt(SmtpReply farewell);
  // The fault that fires at `point` for this attempt, if any: one atomic load while the
  // lab has no fault on. `recipient`/`sender` default to the transaction's.
  std::optional<sim::FaultHit> fault_at(sim::FaultPoint point, const std::string& recipient = {},
                                        const std::string* sender = nullptr);
  void fault_fired(const sim::FaultHit& hit, const std::string& effect);
  // The refusal a fault at `point` sends instead of the normal reply (and its event), or
  // false when none fired.
  bool refused_by_fault(sim::FaultPoint point, const std::string& subject, const std::string& recipient,
                        const std::string* sender = nullptr);
  // Before every server handshake (SMTPS, STARTTLS): a TLS fault that fires switches the
  // stream to the faulty certificate or protocol versions (net/tls_faults.hpp).
  void prepare_handshake();
  // The first bytes of the connection (net/mismatch.hpp): a client speaking TLS, HTTP or
  // another mail protocol here gets the event that names its mistake and, for TLS and
  // HTTP, Postfix's answer; true when the session should then end.
  bool diagnose_first_bytes(const std::string& bytes);
  // SMTPS only: what the client sent before the handshake, peeked, so plaintext on 465 is
  // named before the handshake fails on it.
  net::awaitable<void> peek_before_implicit_tls();
  // slow_replies: waits before the gathered replies go out, on a timer (never blocking).
  net::awaitable<void> slow_down();

  net::awaitable<void> on_helo(const Command&);
  net::awaitable<void> on_ehlo(const Command&);
  net::awaitable<void> on_mail(const Command&);
  net::awaitable<void> on_rcpt(const Command&);
  net::awaitable<void> on_data(const Command&);
  net::awaitable<void> on_rset(const Command&);
  net::awaitable<void> on_noop(const Command&);
  net::awaitable<void> on_quit(const Command&);
  net::awaitable<void> on_vrfy(const Command&);
  net::awaitable<void> on_expn(const Command&);
  net::awaitable<void> on_help(const Command&);
  net::awaitable<void> on_starttls(const Command&);
  net::awaitable<void> on_auth(const Command&);
  net::awaitable<void> on_bdat(const Command&);

  net::awaitable<void> auth_plain(std::string initial);
  net::awaitable<void> auth_login(std::string initial);
  net::awaitable<std::optional<std::string>> sasl_response(std::string challenge_base64);
  void finish_auth(const std::string& login, const std::string& password);
  net::awaitable<std::optional<std::string>> read_message_body();
  std::string received_header() const;

  bool is_submission() const { return config_.role != SmtpRole::Mx; }
  bool auth_allowed_here() const { return is_submission() && (tls_active_ || config_.allow_plaintext_auth); }

  SmtpServer& server_;
  const SmtpServerConfig& config_;
  net::asio::ssl::stream<net::tcp::socket> stream_;
  std::shared_ptr<net::Deadline> deadline_;
  net::LineBuffer input_;
  std::string output_;
  std::string client_ip_;
  std::string peer_;
  std::uint64_t id_;

  SessionState state_ = SessionState::Connected;
  bool tls_active_ = false;
  std::string tls_description_;
  bool esmtp_ = false;
  std::string helo_;
  const sim::User* user_ = nullptr;
  std::string sender_;
  bool smtputf8_ = false;
  std::vector<std::string> recipients_;
  std::string journey_;  // of the transaction in progress, "" outside one
  std::size_t errors_ = 0;
  std::size_t auth_failures_ = 0;
  std::optional<SmtpReply> farewell_;  // set by interrupt(): sent before closing
  bool quit_ = false;
  std::size_t pending_replies_ = 0;  // replies in output_, for slow_replies
  net::asio::steady_timer pause_;    // slow_replies; interrupt() cancels it
  bool no_service_ = false;
  bool first_read_done_ = false;  // diagnose_first_bytes looks at the first read only          // service_unavailable 554: only QUIT is answered in kind
};

}  // namespace mailflow::smtp
