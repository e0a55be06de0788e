// One POP3 connection, server side, as one C++20 coroutine that reads like the RFC 1939
// dialogue: greet (with the APOP timestamp), then read a line → parse → dispatch through
// the command table → respond. Responses are gathered while pipelined commands wait in
// the input (RFC 2449 §6.6 PIPELINING) and flushed before the next read.
// States (RFC 1939 §3): AUTHORIZATION until a login succeeds and the maildrop is locked,
// TRANSACTION while the client reads and marks messages, UPDATE after QUIT, where the
// deletions are applied. A session that ends any other way deletes nothing.
// STLS (RFC 2595 §4) discards what was pipelined in plaintext and forgets the USER name.
// Every state change, command, response line, TLS handshake, login, download and deletion
// is an event on the bus, with the message's journey id where there is one.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl.hpp>

#include "servers/net/asio.hpp"
#include "servers/net/deadline.hpp"
#include "servers/net/line_buffer.hpp"
#include "servers/pop3/pop3_codes.hpp"
#include "servers/pop3/pop3_command.hpp"
#include "servers/pop3/pop3_maildrop.hpp"
#include "servers/pop3/pop3_server.hpp"

namespace mailflow::pop3 {

// RFC 1939 §3: the session's states.
enum class Pop3State { Authorization, Transaction, Update };
std::string_view pop3_state_name(Pop3State s);
// The plain-language phrase the visualizer shows for a state.
std::string_view pop3_state_phrase(Pop3State s);

class Pop3Session : public std::enable_shared_from_this<Pop3Session> {
 public:
  Pop3Session(Pop3Server& server, net::tcp::socket socket, std::string client_ip);

  void start();
  // The server is stopping: -ERR [SYS/TEMP] at the next chance and close (no UPDATE).
  void shut_down();

 private:
  using Handler = net::awaitable<void> (Pop3Session::*)(const Command&);
  // Which states allow a command, and what it needs besides.
  enum StateMask : unsigned { kInAuthorization = 1, kInTransaction = 2 };
  enum Flags : unsigned { kNoFlags = 0, kPlaintextLogin = 1 };  // refused before TLS unless allowed
  struct CommandSpec {
    Verb verb;
    Handler handler;
    unsigned states;
    unsigned flags;
  };
  static const CommandSpec kCommands[];

  // --- the dialogue and its I/O (pop3_session.cpp) ---------------------------------------
  net::awaitable<void> run();
  net::awaitable<void> dialogue();
  net::awaitable<void> dispatch(const std::string& line);
  // The next command line; nullopt when the session must end.
  net::awaitable<std::optional<std::string>> read_line();
  net::awaitable<void> read_some();
  net::awaitable<void> write(const std::string& bytes);
  net::awaitable<void> flush();
  net::awaitable<void> start_tls();
  // The first bytes of the connection (net/mismatch.hpp): a client speaking TLS, HTTP or
  // another protocol here gets an event naming its mistake. Only the first read looks.
  void diagnose_first_bytes(std::string_view bytes);
  // Implicit TLS: peeks at what the client sent before the handshake reads it.
  net::awaitable<void> peek_before_implicit_tls();
  void respond(Pop3Response r);
  // A multi-line response: the status line, then body (already dot-stuffed).
  void respond_multiline(Pop3Response r, std::string body);
  // An unknown, malformed or out-of-state command; closes after max_bad_commands.
  void bad_command(Pop3Response r);
  void enter_state(Pop3State s);
  void publish(sim::EventKind kind, std::string line, std::string status = {}, std::string journey = {});
  void interrupt(Pop3Response farewell);
  bool plaintext_login_allowed() const { return tls_active_ || config_.allow_plaintext_auth; }

  // --- AUTHORIZATION (pop3_session_auth.cpp) -----------------------------------------------
  net::awaitable<void> on_capa(const Command&);
  net::awaitable<void> on_stls(const Command&);
  net::awaitable<void> on_user(const Command&);
  net::awaitable<void> on_pass(const Command&);
  net::awaitable<void> on_apop(const Command&);
  net::awaitable<void> on_auth(const Command&);
  void login(const sim::User& user, std::string_view method);
  void login_failed(const std::string& login, std::string_view method);

  // --- TRANSACTION and UPDATE (pop3_session_commands.cpp) ------------------------------------
  net::awaitable<void> on_stat(const Command&);
  net::awaitable<void> on_list(const Command&);
  net::awaitable<void> on_uidl(const Command&);
  net::awaitable<void> on_retr(const Command&);
  net::awaitable<void> on_top(const Command&);
  net::awaitable<void> on_dele(const Command&);
  net::awaitable<void> on_rset(const Command&);
  net::awaitable<void> on_noop(const Command&);
  net::awaitable<void> on_quit(const Command&);
  void listing(const Command& c, Pop3Response header, std::string (*value)(const DropMessage&));
  // The message a command names, or nullptr after answering why not.
  DropMessage* message_for(const std::string& number_text);
  // RETR (body_lines empty) and TOP.
  net::awaitable<void> fetch(const std::string& number_text, std::optional<std::uint64_t> body_lines);
  // RFC 1939 §6: removes the messages marked as deleted; the response for QUIT.
  Pop3Response update();
  std::string journey_of(DropMessage& m);

  Pop3Server& server_;
  const Pop3ServerConfig& config_;
  net::asio::ssl::stream<net::tcp::socket> stream_;
  std::shared_ptr<net::Deadline> deadline_;
  net::LineBuffer input_;
  std::string output_;
  std::string client_ip_;
  std::string peer_;
  std::uint64_t id_;
  std::string timestamp_;  // APOP: the greeting's <pid.counter.seconds@host>

  Pop3State state_ = Pop3State::Authorization;
  bool tls_active_ = false;
  std::string user_name_;  // USER's argument, waiting for PASS
  const sim::User* user_ = nullptr;
  std::shared_ptr<sim::Mailbox> mailbox_;
  MaildropLocks::Lease lease_;
  Maildrop drop_;
  std::size_t bad_commands_ = 0;
  std::size_t auth_failures_ = 0;
  std::optional<Pop3Response> farewell_;  // set by interrupt(): sent before closing
  bool quit_ = false;
  bool first_read_done_ = false;  // diagnose_first_bytes has looked
};

}  // namespace mailflow::pop3
