// The SMTP server session: the dialogue loop, reading and writing with deadlines, and the
// command table. The command handlers are in smtp_session_commands.cpp.
#include "servers/smtp/smtp_session.hpp"

#include <fmt/format.h>

#include "servers/net/session_id.hpp"
#include "servers/net/session_io.hpp"
#include "servers/net/tls.hpp"
#include "servers/smtp/smtp_codes.hpp"
#include "servers/smtp/smtp_faults.hpp"
#include "sim/event.hpp"

namespace mailflow::smtp {

using namespace mailflow::net;

std::string_view session_state_name(SessionState s) {
  switch (s) {
    case SessionState::Connected: return "connected";
    case SessionState::Greeted: return "greeted";
    case SessionState::MailGiven: return "mail";
    case SessionState::RcptGiven: return "rcpt";
    case SessionState::Data: return "data";
    case SessionState::Closing: return "closing";
  }
  return "?";
}

std::string_view session_state_phrase(SessionState s) {
  switch (s) {
    case SessionState::Connected: return "waiting for the client to say hello";
    case SessionState::Greeted: return "waiting for the sender (MAIL FROM)";
    case SessionState::MailGiven: return "waiting for the recipient (RCPT TO)";
    case SessionState::RcptGiven: return "waiting for more recipients or the message (DATA)";
    case SessionState::Data: return "receiving the message";
    case SessionState::Closing: return "saying goodbye";
  }
  return "?";
}

const SmtpSession::CommandSpec SmtpSession::kCommands[] = {
    {Verb::Helo, &SmtpSession::on_helo},         {Verb::Ehlo, &SmtpSession::on_ehlo},
    {Verb::Mail, &SmtpSession::on_mail},         {Verb::Rcpt, &SmtpSession::on_rcpt},
    {Verb::Data, &SmtpSession::on_data},         {Verb::Rset, &SmtpSession::on_rset},
    {Verb::Noop, &SmtpSession::on_noop},         {Verb::Quit, &SmtpSession::on_quit},
    {Verb::Vrfy, &SmtpSession::on_vrfy},         {Verb::Expn, &SmtpSession::on_expn},
    {Verb::Help, &SmtpSession::on_help},         {Verb::StartTls, &SmtpSession::on_starttls},
    {Verb::Auth, &SmtpSession::on_auth},         {Verb::Bdat, &SmtpSession::on_bdat},
};

SmtpSession::SmtpSession(SmtpServer& server, tcp::socket socket, std::string client_ip)
    : server_(server),
      config_(server.config()),
      stream_(std::move(socket), session_tls_context(config_.tls)),
      deadline_(std::make_shared<Deadline>(stream_.get_executor())),
      input_(config_.limits.command_line),
      client_ip_(std::move(client_ip)),
      peer_(peer_text(stream_.next_layer(), client_ip_)),
      id_(next_session_id()),
      pause_(stream_.get_executor()) {}

void SmtpSession::start() {
  auto self = shared_from_this();
  auto on_expire = [self] {
    // Idle time-out (RFC 5321 §4.5.3.2.7): cancel the read; the dialogue answers 421.
    self->interrupt(make_reply(replies::IdleTimeout, fmt::format("{} Error: timeout exceeded", self->config_.host_name)));
  };
  asio::co_spawn(stream_.get_executor(), Deadline::watch(deadline_, std::move(on_expire)), asio::detached);
  asio::co_spawn(stream_.get_executor(), run(), asio::detached);
}

void SmtpSession::shut_down() {
  interrupt(make_reply(replies::ShuttingDown, fmt::format("{} Service shutting down", config_.host_name)));
}

void SmtpSession::interrupt(SmtpReply farewell) {
  if (!farewell_) farewell_ = std::move(farewell);
  error_code ignored;
  stream_.next_layer().cancel(ignored);
  pause_.cancel();
}

std::optional<sim::FaultHit> SmtpSession::fault_at(sim::FaultPoint point, const std::string& recipient,
                                                   const std::string* sender) {
  sim::FaultSet* faults = config_.faults;
  if (!faults || !faults->any_enabled()) return std::nullopt;
  sim::FaultAttempt attempt;
  attempt.recipient = recipient;
  attempt.sender = sender ? *sender : sender_;
  attempt.client = client_ip_;
  if (config_.lab_time) attempt.since_start = config_.lab_time();
  return faults->check(point, config_.host_name, attempt);
}

void SmtpSession::fault_fired(const sim::FaultHit& hit, const std::string& effect) {
  publish(sim::EventKind::Fault, describe_fault(hit, effect));
}

bool SmtpSession::refused_by_fault(sim::FaultPoint point, const std::string& subject, const std::string& recipient,
                                   const std::string* sender) {
  auto hit = fault_at(point, recipient, sender);
  if (!hit) return false;
  auto refusal = fault_reply(*hit, config_.host_name, subject);
  if (!refusal) return false;  // a kind this point does not answer with a reply
  fault_fired(*hit, refusal->summary());
  reply(std::move(*refusal));
  return true;
}

awaitable<void> SmtpSession::slow_down() {
  auto hit = fault_at(sim::FaultPoint::Reply);
  if (!hit || hit->kind != sim::FaultKind::SlowReplies || !hit->params.delay) co_return;
  // A tarpit waits before every reply; replies gathered from a pipeline wait in turn.
  const auto wait = *hit->params.delay * static_cast<long>(std::max<std::size_t>(pending_replies_, 1));
  fault_fired(*hit, fmt::format("{} ms before the next {} reply(ies)", wait.count(), pending_replies_));
  pause_.expires_after(wait);
  error_code ec;
  co_await pause_.async_wait(asio::redirect_error(use_awaitable, ec));
  if (farewell_) throw boost::system::system_error(asio::error::operation_aborted);
}

void SmtpSession::publish(sim::EventKind kind, std::string line, int code, std::string status) {
  auto* bus = server_.bus();
  if (!bus || !bus->has_subscribers()) return;
  sim::Event e;
  e.host = config_.host_name;
  e.peer = peer_;
  e.session = id_;
  e.journey = journey_;
  e.protocol = sim::Protocol::Smtp;
  e.kind = kind;
  e.line = std::move(line);
  e.code = code;
  e.status = std::move(status);
  bus->publish(std::move(e));
}

void SmtpSession::enter_state(SessionState s) {
  if (s == state_) return;
  state_ = s;
  publish(sim::EventKind::State, fmt::format("{}: {}", session_state_name(s), session_state_phrase(s)));
}

void SmtpSession::reply(SmtpReply r) {
  publish(sim::EventKind::Reply, r.summary(), r.code, r.enhanced);
  if (r.permanent() && ++errors_ >= config_.limits.max_errors && !quit_) {
    output_ += r.format();
    r = make_reply(replies::TooManyErrors, fmt::format("{} Error: too many errors", config_.host_name));
    publish(sim::EventKind::Reply, r.summary(), r.code, r.enhanced);
    quit_ = true;
  }
  output_ += r.format();
  ++pending_replies_;
}

void SmtpSession::begin_journey() {
  const JourneyRegistry* journeys = config_.journeys;
  auto announced = journeys ? journeys->lookup(peer_) : std::nullopt;
  journey_ = announced ? *announced : server_.services().new_journey_id();
}

void SmtpSession::reset_transaction() {
  journey_.clear();
  sender_.clear();
  recipients_.clear();
  smtputf8_ = false;
  if (state_ == SessionState::MailGiven || state_ == SessionState::RcptGiven || state_ == SessionState::Data) {
    enter_state(SessionState::Greeted);
  }
}

awaitable<void> SmtpSession::flush() {
  if (output_.empty()) co_return;
  co_await slow_down();
  pending_replies_ = 0;
  std::string out;
  out.swap(output_);
  deadline_->arm(config_.limits.idle_timeout);
  co_await write_all(stream_, tls_active_, out);
}

awaitable<std::size_t> SmtpSession::read_some(std::string& into) {
  // An interrupt that arrived while no read was pending still ends the dialogue here.
  if (farewell_) throw boost::system::system_error(asio::error::operation_aborted);
  char chunk[8192];
  deadline_->arm(config_.limits.idle_timeout);
  std::size_t n = co_await net::read_some(stream_, tls_active_, asio::buffer(chunk));
  into.assign(chunk, n);
  co_return n;
}

awaitable<std::optional<std::string>> SmtpSession::read_line() {
  while (true) {
    auto next = input_.next_line();
    if (next.status == LineBuffer::Status::Line) co_return std::move(next.line);
    if (next.status == LineBuffer::Status::TooLong) {
      // RFC 5321 §4.5.3.1.4: a command line is at most 512 octets.
      reply(make_reply(replies::LineTooLong));
      if (quit_) co_return std::nullopt;
      continue;
    }
    // Nothing complete is waiting: answer what the pipeline asked, then read (RFC 2920).
    co_await flush();
    std::string chunk;
    co_await read_some(chunk);
    if (!first_read_done_) {
      first_read_done_ = true;
      if (diagnose_first_bytes(chunk)) {
        quit_ = true;
        co_return std::nullopt;
      }
    }
    input_.append(chunk);
  }
}

awaitable<void> SmtpSession::run() {
  auto self = shared_from_this();
  publish(sim::EventKind::Connect, fmt::format("connection to {} ({})", config_.host_name, role_name(config_.role)));
  // EOF, a reset or our own cancel (time-out, shutdown) is an ordinary end of the session.
  const DialogueEnd ending = co_await run_dialogue(dialogue());
  std::string end = ending.reason;
  if (ending.failed) {
    publish(sim::EventKind::Error, end);
    if (!farewell_) farewell_ = make_reply(replies::LocalError);
  }
  if (farewell_) {
    // Say why we close (421), bounded by a short deadline of its own.
    try {
      output_.clear();
      reply(*farewell_);
      deadline_->arm(std::chrono::seconds(2));
      co_await write_all(stream_, tls_active_, output_);
    } catch (const std::exception&) {
    }
    end = "closed by the server: " + farewell_->summary();
  }
  close_connection(stream_);
  deadline_->cancel();
  publish(sim::EventKind::Disconnect, end);
  server_.session_ended(self, client_ip_);
}

awaitable<void> SmtpSession::dialogue() {
  if (config_.role == SmtpRole::Smtps) {
    // RFC 8314 §3: implicit TLS, the handshake comes before the greeting.
    co_await peek_before_implicit_tls();
    prepare_handshake();
    deadline_->arm(config_.limits.idle_timeout);
    co_await stream_.async_handshake(asio::ssl::stream_base::server, use_awaitable);
    tls_active_ = true;
    tls_description_ = describe_tls(stream_.native_handle());
    publish(sim::EventKind::Tls, tls_description_);
  }
  if (auto hit = fault_at(sim::FaultPoint::Greeting); hit && hit->kind == sim::FaultKind::ServiceUnavailable) {
    // RFC 5321 §3.1: a server that will not serve says so in its greeting: 421 and close
    // (try later), or 554 and then only QUIT is honoured (§3.1, §4.3.2: 503 to the rest).
    SmtpReply refusal = *fault_reply(*hit, config_.host_name, "");
    fault_fired(*hit, refusal.summary());
    reply(std::move(refusal));
    if (permanent_service_refusal(*hit)) {
      no_service_ = true;
    } else {
      quit_ = true;
    }
  } else {
    reply(make_reply(replies::Ready, fmt::format("{} ESMTP mailflow", config_.host_name)));
  }
  enter_state(SessionState::Connected);
  while (!quit_) {
    auto line = co_await read_line();
    if (!line) break;
    Command command = parse_command(*line);
    // A transaction's events carry its journey from the MAIL line on.
    const bool starts_transaction = command.verb == Verb::Mail && journey_.empty();
    if (starts_transaction) begin_journey();
    publish(sim::EventKind::Command, sim::mask_credentials(*line));
    const CommandSpec* spec = nullptr;
    for (const auto& c : kCommands) {
      if (c.verb == command.verb) spec = &c;
    }
    if (!spec) {
      reply(make_reply(replies::UnknownCommand, "Error: command not recognized"));
      continue;
    }
    if (no_service_ && command.verb != Verb::Quit) {
      reply(make_reply(replies::BadSequence, "Error: no SMTP service here"));
      if (starts_transaction) journey_.clear();
      continue;
    }
    co_await (this->*(spec->handler))(command);
    if (starts_transaction && state_ != SessionState::MailGiven) journey_.clear();  // MAIL refused
  }
  co_await flush();
}

}  // namespace mailflow::smtp
