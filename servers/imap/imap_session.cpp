// The IMAP server session: the dialogue loop, reading lines and literals with deadlines,
// the command table and the selected folder's snapshot. Handlers are in
// imap_session_auth.cpp, imap_session_mailbox.cpp and imap_session_messages.cpp.
#include "servers/imap/imap_session.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_string.hpp"
#include "servers/net/mismatch.hpp"
#include "servers/net/session_id.hpp"
#include "servers/net/tls.hpp"
#include "sim/event.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

namespace {

constexpr int bit(ImapState s) { return 1 << static_cast<int>(s); }
constexpr int kAny = bit(ImapState::NotAuthenticated) | bit(ImapState::Authenticated) | bit(ImapState::Selected);
constexpr int kNotAuth = bit(ImapState::NotAuthenticated);
constexpr int kAuth = bit(ImapState::Authenticated) | bit(ImapState::Selected);
constexpr int kSel = bit(ImapState::Selected);

asio::ssl::context& plain_context() {
  static asio::ssl::context context(asio::ssl::context::tls_server);
  return context;
}

}  // namespace

std::string_view imap_state_name(ImapState s) {
  switch (s) {
    case ImapState::NotAuthenticated: return "not authenticated";
    case ImapState::Authenticated: return "authenticated";
    case ImapState::Selected: return "selected";
    case ImapState::Logout: return "logout";
  }
  return "?";
}

const ImapSession::CommandSpec ImapSession::kCommands[] = {
    {CommandName::Capability, &ImapSession::on_capability, kAny},
    {CommandName::Noop, &ImapSession::on_noop, kAny},
    {CommandName::Logout, &ImapSession::on_logout, kAny},
    {CommandName::StartTls, &ImapSession::on_starttls, kNotAuth},
    {CommandName::Login, &ImapSession::on_login, kNotAuth},
    {CommandName::Authenticate, &ImapSession::on_authenticate, kNotAuth},
    {CommandName::Id, &ImapSession::on_id, kAny},
    {CommandName::Enable, &ImapSession::on_enable, kAuth},
    {CommandName::Namespace, &ImapSession::on_namespace, kAuth},
    {CommandName::Idle, &ImapSession::on_idle, kAuth},
    {CommandName::Select, &ImapSession::on_select, kAuth},
    {CommandName::Examine, &ImapSession::on_select, kAuth},
    {CommandName::List, &ImapSession::on_list, kAuth},
    {CommandName::Lsub, &ImapSession::on_list, kAuth},
    {CommandName::Status, &ImapSession::on_status, kAuth},
    {CommandName::Create, &ImapSession::on_create, kAuth},
    {CommandName::Delete, &ImapSession::on_delete, kAuth},
    {CommandName::Rename, &ImapSession::on_rename, kAuth},
    {CommandName::Subscribe, &ImapSession::on_subscribe, kAuth},
    {CommandName::Unsubscribe, &ImapSession::on_subscribe, kAuth},
    {CommandName::Append, &ImapSession::on_append, kAuth},
    {CommandName::Check, &ImapSession::on_noop, kSel},
    {CommandName::Close, &ImapSession::on_close, kSel},
    {CommandName::Unselect, &ImapSession::on_close, kSel},
    {CommandName::Expunge, &ImapSession::on_expunge, kSel},
    {CommandName::Fetch, &ImapSession::on_fetch, kSel},
    {CommandName::Store, &ImapSession::on_store, kSel},
    {CommandName::Search, &ImapSession::on_search, kSel},
    {CommandName::Copy, &ImapSession::on_copy, kSel},
    {CommandName::Move, &ImapSession::on_copy, kSel},
};

ImapSession::ImapSession(ImapServer& server, tcp::socket socket, std::string client_ip)
    : server_(server),
      config_(server.config()),
      stream_(std::move(socket), config_.tls ? *config_.tls : plain_context()),
      deadline_(std::make_shared<Deadline>(stream_.get_executor())),
      input_(config_.limits.line_length + 2),
      reader_(config_.limits),
      client_ip_(std::move(client_ip)),
      id_(next_session_id()) {
  error_code ec;
  auto remote = stream_.next_layer().remote_endpoint(ec);
  peer_ = ec ? client_ip_ : endpoint_text(remote);
}

void ImapSession::start() {
  auto self = shared_from_this();
  auto on_expire = [self] {
    // RFC 3501 §5.4: the autologout timer.
    if (!self->farewell_) self->farewell_ = "* BYE Autologout; idle for too long\r\n";
    error_code ignored;
    self->stream_.next_layer().cancel(ignored);
  };
  asio::co_spawn(stream_.get_executor(), Deadline::watch(deadline_, std::move(on_expire)), asio::detached);
  asio::co_spawn(stream_.get_executor(), run(), asio::detached);
}

void ImapSession::shut_down() {
  if (!farewell_) farewell_ = "* BYE Server shutting down\r\n";
  error_code ignored;
  stream_.next_layer().cancel(ignored);
}

void ImapSession::notify_change(const std::string& address, const std::string& folder) {
  if (user_ && user_->address == address && folder == folder_) change_pending_ = true;
}

void ImapSession::changed() {
  if (user_ && !folder_.empty()) server_.mailbox_changed(user_->address, folder_, this);
}

void ImapSession::publish(sim::EventKind kind, std::string line, std::string journey) {
  auto* bus = server_.bus();
  if (!bus || !bus->has_subscribers()) return;
  sim::Event e;
  e.host = config_.host_name;
  e.peer = peer_;
  e.session = id_;
  e.journey = std::move(journey);
  e.protocol = sim::Protocol::Imap;
  e.kind = kind;
  e.line = std::move(line);
  bus->publish(std::move(e));
}

std::string ImapSession::capability() const {
  std::string caps = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT SPECIAL-USE";
  caps += fmt::format(" APPENDLIMIT={}", config_.limits.max_append_bytes);
  if (state_ == ImapState::NotAuthenticated) {
    if (config_.tls && !tls_active_) caps += " STARTTLS";
    if (login_allowed()) {
      caps += " AUTH=PLAIN";
    } else {
      caps += " LOGINDISABLED";
    }
  }
  return caps;
}

void ImapSession::untagged(std::string text) {
  std::string line = "* " + std::move(text);
  publish(sim::EventKind::Reply, line.substr(0, 200));
  output_ += line;
  output_ += "\r\n";
}

void ImapSession::tagged(const Command& c, std::string_view status, std::string text) {
  std::string line = fmt::format("{} {} {}", c.tag, status, text);
  publish(sim::EventKind::Reply, line);
  output_ += line;
  output_ += "\r\n";
}

void ImapSession::bad(std::string_view tag, std::string text) {
  std::string line = fmt::format("{} BAD {}", tag.empty() ? "*" : tag, text);
  publish(sim::EventKind::Reply, line);
  output_ += line;
  output_ += "\r\n";
  if (++bad_commands_ >= config_.limits.max_bad_commands) {
    output_ += "* BYE Too many invalid commands\r\n";
    logout_ = true;
  }
}

awaitable<void> ImapSession::flush() {
  if (output_.empty()) co_return;
  std::string out;
  out.swap(output_);
  deadline_->arm(config_.limits.command_timeout);
  if (tls_active_) {
    co_await asio::async_write(stream_, asio::buffer(out), use_awaitable);
  } else {
    co_await asio::async_write(stream_.next_layer(), asio::buffer(out), use_awaitable);
  }
}

awaitable<void> ImapSession::read_some() {
  if (farewell_) throw boost::system::system_error(asio::error::operation_aborted);
  char chunk[16384];
  deadline_->arm(state_ == ImapState::NotAuthenticated ? config_.limits.login_timeout : config_.limits.idle_timeout);
  std::size_t n = 0;
  if (tls_active_) {
    n = co_await stream_.async_read_some(asio::buffer(chunk), use_awaitable);
  } else {
    n = co_await stream_.next_layer().async_read_some(asio::buffer(chunk), use_awaitable);
  }
  if (!first_read_done_) diagnose_first_bytes(std::string_view(chunk, n));
  input_.append(std::string_view(chunk, n));
}

void ImapSession::diagnose_first_bytes(std::string_view bytes) {
  first_read_done_ = true;
  error_code ec;
  const auto port = stream_.next_layer().local_endpoint(ec).port();
  const auto mismatch = net::classify_first_bytes(bytes, net::PortProtocol::Imap, config_.implicit_tls);
  if (mismatch == net::Mismatch::None) return;
  publish(sim::EventKind::Error, net::describe_mismatch(mismatch, net::PortProtocol::Imap, port, bytes));
}

awaitable<void> ImapSession::peek_before_implicit_tls() {
  // A TLS client speaks first; a plaintext one that speaks (CAPA, a1 LOGIN, GET) is named
  // here, then the handshake fails on its bytes. Peeking leaves them for the handshake.
  char first[64];
  const std::size_t n =
      co_await stream_.next_layer().async_receive(asio::buffer(first), tcp::socket::message_peek, use_awaitable);
  diagnose_first_bytes(std::string_view(first, n));
}

awaitable<std::optional<std::string>> ImapSession::read_line() {
  while (true) {
    auto next = input_.next_line();
    if (next.status == LineBuffer::Status::Line) co_return std::move(next.line);
    if (next.status == LineBuffer::Status::TooLong) co_return std::nullopt;  // caller answers BAD
    co_await flush();
    co_await read_some();
  }
}

awaitable<std::string> ImapSession::read_bytes(std::size_t n) {
  while (input_.pending().empty()) {
    co_await flush();
    co_await read_some();
  }
  std::size_t take = std::min(n, input_.pending().size());
  std::string out(input_.pending().substr(0, take));
  input_.consume(take);
  co_return out;
}

awaitable<void> ImapSession::handshake() {
  deadline_->arm(config_.limits.command_timeout);
  if (!first_read_done_) co_await peek_before_implicit_tls();
  co_await stream_.async_handshake(asio::ssl::stream_base::server, use_awaitable);
  tls_active_ = true;
  publish(sim::EventKind::Tls, describe_tls(stream_.native_handle()));
}

awaitable<void> ImapSession::run() {
  auto self = shared_from_this();
  publish(sim::EventKind::Connect, fmt::format("connection to {} (IMAP{})", config_.host_name,
                                               config_.implicit_tls ? "S" : ""));
  std::string end = "connection closed";
  try {
    co_await dialogue();
  } catch (const boost::system::system_error& e) {
    if (!farewell_) end = "connection lost: " + e.code().message();
  } catch (const std::exception& e) {
    end = std::string("session failed: ") + e.what();
    publish(sim::EventKind::Error, end);
    if (!farewell_) farewell_ = "* BYE [SERVERBUG] Internal error\r\n";
  }
  if (farewell_) {
    try {
      output_ = *farewell_;
      deadline_->arm(std::chrono::seconds(2));
      if (tls_active_) {
        co_await asio::async_write(stream_, asio::buffer(output_), use_awaitable);
      } else {
        co_await asio::async_write(stream_.next_layer(), asio::buffer(output_), use_awaitable);
      }
    } catch (const std::exception&) {
    }
    end = "closed by the server: " + farewell_->substr(0, farewell_->size() - 2);
  }
  error_code ignored;
  stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
  deadline_->cancel();
  publish(sim::EventKind::Disconnect, end);
  if (user_) server_.user_logged_out(user_->address, client_ip_);
  server_.session_ended(self, client_ip_);
}

awaitable<void> ImapSession::dialogue() {
  using Kind = CommandReader::Step::Kind;
  if (config_.implicit_tls && config_.tls) co_await handshake();
  untagged(fmt::format("OK [CAPABILITY {}] {} IMAP4rev1 mailflow ready", capability(), config_.host_name));
  while (!logout_) {
    reader_.reset();
    auto line = co_await read_line();
    if (!line) {
      bad("*", "Command line too long");
      continue;
    }
    auto step = reader_.add_line(*line);
    while (step.kind == Kind::NeedLiteral || step.kind == Kind::NeedLine) {
      if (step.kind == Kind::NeedLiteral) {
        if (step.synchronizing) {
          output_ += "+ Ready for literal data\r\n";
          co_await flush();
        }
        std::string bytes = co_await read_bytes(step.literal_size);
        step = reader_.add_literal(bytes);
      } else {
        auto rest = co_await read_line();
        if (!rest) {
          step.kind = Kind::LineTooLong;
          break;
        }
        step = reader_.add_line(*rest);
      }
    }
    if (step.kind == Kind::LiteralTooLarge || step.kind == Kind::CommandTooLarge) {
      std::string tag(reader_.tag().empty() ? "*" : reader_.tag());
      output_ += fmt::format("{} NO {} Literal or command too large\r\n", tag, format_code(codes::TooBig));
      if (step.must_close) {
        farewell_ = "* BYE Refused literal already on its way\r\n";
        break;
      }
      continue;
    }
    if (step.kind == Kind::LineTooLong) {
      bad(reader_.tag(), "Command line too long");
      continue;
    }
    auto parsed = parse_command(reader_.text(), config_.limits);
    std::string shown = reader_.text().substr(0, 200);
    if (parsed.command && (parsed.command->name == CommandName::Login ||
                           parsed.command->name == CommandName::Authenticate)) {
      shown = parsed.command->tag + " " + std::string(command_name(parsed.command->name)) + " ***";
    }
    publish(sim::EventKind::Command, shown);
    if (!parsed.command) {
      bad(parsed.tag, (parsed.code ? format_code(*parsed.code) + " " : std::string()) + parsed.error);
      continue;
    }
    const Command& command = *parsed.command;
    const CommandSpec* spec = nullptr;
    for (const auto& c : kCommands) {
      if (c.name == command.name) spec = &c;
    }
    if (!spec) {
      bad(command.tag, "Command not implemented");
      continue;
    }
    if (!(spec->states & bit(state_))) {
      bad(command.tag, fmt::format("{} not allowed in the {} state", command_name(command.name),
                                   imap_state_name(state_)));
      continue;
    }
    keywords_reloaded_ = false;
    co_await (this->*(spec->handler))(command);
  }
  co_await flush();
}

}  // namespace mailflow::imap
