// The POP3 server session: the dialogue loop, reading and writing with deadlines, STLS,
// and the command table. The handlers are in pop3_session_auth.cpp (AUTHORIZATION) and
// pop3_session_commands.cpp (TRANSACTION and UPDATE).
#include "servers/pop3/pop3_session.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "servers/net/mismatch.hpp"
#include "servers/net/session_id.hpp"
#include "servers/net/session_io.hpp"
#include "servers/net/tls.hpp"
#include "servers/pop3/pop3_text.hpp"
#include "sim/event.hpp"

namespace mailflow::pop3 {

using namespace mailflow::net;

std::string_view pop3_state_name(Pop3State s) {
  switch (s) {
    case Pop3State::Authorization: return "authorization";
    case Pop3State::Transaction: return "transaction";
    case Pop3State::Update: return "update";
  }
  return "?";
}

std::string_view pop3_state_phrase(Pop3State s) {
  switch (s) {
    case Pop3State::Authorization: return "waiting for the client to log in";
    case Pop3State::Transaction: return "the mailbox is open: the client lists, downloads and marks letters";
    case Pop3State::Update: return "removing the letters marked for deletion and saying goodbye";
  }
  return "?";
}

// RFC 1939 §4 (AUTHORIZATION), §5 (TRANSACTION), §7 (optional commands); RFC 2449 §5
// (CAPA in both), RFC 2595 §4 (STLS only in AUTHORIZATION), RFC 5034 §4 (AUTH).
const Pop3Session::CommandSpec Pop3Session::kCommands[] = {
    {Verb::Capa, &Pop3Session::on_capa, kInAuthorization | kInTransaction, kNoFlags},
    {Verb::Stls, &Pop3Session::on_stls, kInAuthorization, kNoFlags},
    {Verb::User, &Pop3Session::on_user, kInAuthorization, kPlaintextLogin},
    {Verb::Pass, &Pop3Session::on_pass, kInAuthorization, kPlaintextLogin},
    {Verb::Apop, &Pop3Session::on_apop, kInAuthorization, kNoFlags},
    {Verb::Auth, &Pop3Session::on_auth, kInAuthorization, kPlaintextLogin},
    {Verb::Stat, &Pop3Session::on_stat, kInTransaction, kNoFlags},
    {Verb::List, &Pop3Session::on_list, kInTransaction, kNoFlags},
    {Verb::Uidl, &Pop3Session::on_uidl, kInTransaction, kNoFlags},
    {Verb::Retr, &Pop3Session::on_retr, kInTransaction, kNoFlags},
    {Verb::Top, &Pop3Session::on_top, kInTransaction, kNoFlags},
    {Verb::Dele, &Pop3Session::on_dele, kInTransaction, kNoFlags},
    {Verb::Rset, &Pop3Session::on_rset, kInTransaction, kNoFlags},
    {Verb::Noop, &Pop3Session::on_noop, kInTransaction, kNoFlags},
    {Verb::Quit, &Pop3Session::on_quit, kInAuthorization | kInTransaction, kNoFlags},
};

namespace {

// Above this much pending output a session writes before it reads on, so a client that
// pipelines many RETRs never makes us hold many messages at once.
constexpr std::size_t kFlushThreshold = 64 * 1024;

}  // namespace

Pop3Session::Pop3Session(Pop3Server& server, tcp::socket socket, std::string client_ip)
    : server_(server),
      config_(server.config()),
      stream_(std::move(socket), session_tls_context(config_.tls)),
      deadline_(std::make_shared<Deadline>(stream_.get_executor())),
      input_(config_.limits.command_line),
      client_ip_(std::move(client_ip)),
      peer_(peer_text(stream_.next_layer(), client_ip_)),
      id_(next_session_id()) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  timestamp_ = apop_timestamp(static_cast<long>(::getpid()), id_, seconds.count(), config_.host_name);
}

void Pop3Session::start() {
  auto self = shared_from_this();
  auto on_expire = [self] {
    // RFC 1939 §3 autologout: no UPDATE. The RFC lets the server close silently; like
    // Dovecot we say why first, so the student sees it.
    self->interrupt(make_response(responses::IdleTimeout));
  };
  asio::co_spawn(stream_.get_executor(), Deadline::watch(deadline_, std::move(on_expire)), asio::detached);
  asio::co_spawn(stream_.get_executor(), run(), asio::detached);
}

void Pop3Session::shut_down() { interrupt(make_response(responses::ShuttingDown)); }

void Pop3Session::interrupt(Pop3Response farewell) {
  if (!farewell_) farewell_ = std::move(farewell);
  error_code ignored;
  stream_.next_layer().cancel(ignored);
}

void Pop3Session::publish(sim::EventKind kind, std::string line, std::string status, std::string journey) {
  auto* bus = server_.bus();
  if (!bus || !bus->has_subscribers()) return;
  sim::Event e;
  e.host = config_.host_name;
  e.peer = peer_;
  e.session = id_;
  e.protocol = sim::Protocol::Pop3;
  e.kind = kind;
  e.line = std::move(line);
  e.status = std::move(status);
  e.journey = std::move(journey);
  bus->publish(std::move(e));
}

void Pop3Session::enter_state(Pop3State s) {
  if (s == state_) return;
  state_ = s;
  publish(sim::EventKind::State, fmt::format("{}: {}", pop3_state_name(s), pop3_state_phrase(s)));
}

void Pop3Session::respond(Pop3Response r) {
  publish(sim::EventKind::Reply, r.status_line(), r.code);
  output_ += r.format();
}

void Pop3Session::respond_multiline(Pop3Response r, std::string body) {
  respond(std::move(r));
  output_ += body;
}

void Pop3Session::bad_command(Pop3Response r) {
  respond(std::move(r));
  if (++bad_commands_ >= config_.limits.max_bad_commands && !quit_) {
    respond(make_response(responses::TooManyBadCommands));
    quit_ = true;
  }
}

awaitable<void> Pop3Session::write(const std::string& bytes) {
  deadline_->arm(config_.limits.idle_timeout);
  co_await write_all(stream_, tls_active_, bytes);
}

awaitable<void> Pop3Session::flush() {
  if (output_.empty()) co_return;
  std::string out;
  out.swap(output_);
  co_await write(out);
}

awaitable<void> Pop3Session::read_some() {
  // An interrupt that arrived while no read was pending still ends the dialogue here.
  if (farewell_) throw boost::system::system_error(asio::error::operation_aborted);
  char chunk[8192];
  deadline_->arm(config_.limits.idle_timeout);
  std::size_t n = co_await net::read_some(stream_, tls_active_, asio::buffer(chunk));
  if (!first_read_done_) diagnose_first_bytes(std::string_view(chunk, n));
  input_.append(std::string_view(chunk, n));
}

void Pop3Session::diagnose_first_bytes(std::string_view bytes) {
  first_read_done_ = true;
  error_code ec;
  const auto port = stream_.next_layer().local_endpoint(ec).port();
  const auto mismatch = net::classify_first_bytes(bytes, net::PortProtocol::Pop3, config_.implicit_tls);
  if (mismatch == net::Mismatch::None) return;
  publish(sim::EventKind::Error, net::describe_mismatch(mismatch, net::PortProtocol::Pop3, port, bytes));
}

awaitable<void> Pop3Session::peek_before_implicit_tls() {
  // A TLS client speaks first; a plaintext one that speaks (CAPA, a1 LOGIN, GET) is named
  // here, then the handshake fails on its bytes. Peeking leaves them for the handshake.
  char first[64];
  const std::size_t n =
      co_await stream_.next_layer().async_receive(asio::buffer(first), tcp::socket::message_peek, use_awaitable);
  diagnose_first_bytes(std::string_view(first, n));
}

awaitable<std::optional<std::string>> Pop3Session::read_line() {
  while (true) {
    auto next = input_.next_line();
    if (next.status == LineBuffer::Status::Line) co_return std::move(next.line);
    if (next.status == LineBuffer::Status::TooLong) {
      // RFC 2449 §4: a command line is at most 255 octets with its CRLF.
      bad_command(make_response(responses::LineTooLong));
      if (quit_) co_return std::nullopt;
      continue;
    }
    // Nothing complete is waiting: answer what the pipeline asked, then read.
    co_await flush();
    co_await read_some();
  }
}

awaitable<void> Pop3Session::start_tls() {
  deadline_->arm(config_.limits.idle_timeout);
  if (!first_read_done_) co_await peek_before_implicit_tls();
  co_await stream_.async_handshake(asio::ssl::stream_base::server, use_awaitable);
  tls_active_ = true;
  publish(sim::EventKind::Tls, describe_tls(stream_.native_handle()));
}

awaitable<void> Pop3Session::run() {
  auto self = shared_from_this();
  publish(sim::EventKind::Connect,
          fmt::format("connection to {} ({})", config_.host_name, config_.implicit_tls ? "POP3S" : "POP3"));
  // EOF, a reset or our own cancel (time-out, shutdown) is an ordinary end of the session.
  const DialogueEnd ending = co_await run_dialogue(dialogue());
  std::string end = ending.reason;
  if (ending.failed) {
    publish(sim::EventKind::Error, end);
    if (!farewell_) farewell_ = make_response(responses::LocalError);
  }
  if (farewell_) {
    // Say why we close, bounded by a short deadline of its own.
    try {
      output_.clear();
      respond(*farewell_);
      std::string out;
      out.swap(output_);
      deadline_->arm(std::chrono::seconds(2));
      co_await write(out);
    } catch (const std::exception&) {
    }
    end = "closed by the server: " + farewell_->status_line();
  }
  if (state_ == Pop3State::Transaction) end += "; no UPDATE, nothing deleted";  // RFC 1939 §6
  close_connection(stream_);
  deadline_->cancel();
  lease_ = {};
  publish(sim::EventKind::Disconnect, end);
  server_.session_ended(self, client_ip_);
}

awaitable<void> Pop3Session::dialogue() {
  if (config_.implicit_tls) co_await start_tls();  // RFC 8314 §3.3: TLS before the greeting
  // RFC 1939 §7: the greeting carries the APOP timestamp.
  respond(make_response(responses::Greeting, fmt::format("{} POP3 mailflow ready {}", config_.host_name, timestamp_)));
  publish(sim::EventKind::State,
          fmt::format("{}: {}", pop3_state_name(Pop3State::Authorization), pop3_state_phrase(Pop3State::Authorization)));
  while (!quit_) {
    auto line = co_await read_line();
    if (!line) break;
    co_await dispatch(*line);
    if (output_.size() > kFlushThreshold) co_await flush();
  }
  co_await flush();
}

awaitable<void> Pop3Session::dispatch(const std::string& line) {
  publish(sim::EventKind::Command, sim::mask_credentials(line));
  Command command = parse_command(line);
  if (command.error == CommandError::UnknownCommand) {
    bad_command(make_response(responses::UnknownCommand));
    co_return;
  }
  const CommandSpec* spec = nullptr;
  for (const auto& c : kCommands) {
    if (c.verb == command.verb) spec = &c;
  }
  unsigned here = state_ == Pop3State::Authorization ? kInAuthorization : kInTransaction;
  if (!spec || !(spec->states & here)) {
    bad_command(make_response(responses::WrongState));
    co_return;
  }
  if (command.error == CommandError::BadArguments) {
    bad_command(make_response(responses::BadArguments, fmt::format("Syntax: {}", command.syntax)));
    co_return;
  }
  if ((spec->flags & kPlaintextLogin) && !plaintext_login_allowed()) {
    // RFC 2595 §4 / RFC 3206 §4: a password must not cross the wire unencrypted.
    respond(make_response(responses::PlaintextDisallowed));
    co_return;
  }
  co_await (this->*(spec->handler))(command);
}

}  // namespace mailflow::pop3
