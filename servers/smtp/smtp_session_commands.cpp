// The SMTP command handlers (RFC 5321 §4.1.1, RFC 3207, RFC 4954, RFC 1870, RFC 6531).
// Each starts with its ABNF line, checks (state, role, syntax) before it acts, and answers
// with a reply from the catalogue in smtp_codes.hpp.
#include <fmt/format.h>

#include "servers/net/blocking.hpp"
#include "servers/net/tls.hpp"
#include "servers/smtp/message_headers.hpp"
#include "servers/smtp/sasl.hpp"
#include "servers/smtp/smtp_address.hpp"
#include "servers/smtp/smtp_codes.hpp"
#include "servers/smtp/smtp_data.hpp"
#include "servers/smtp/smtp_faults.hpp"
#include "servers/smtp/smtp_session.hpp"
#include "sim/ascii.hpp"

namespace mailflow::smtp {

using namespace mailflow::net;

namespace {

using sim::ascii_iequals;

std::string first_word(std::string_view text) { return std::string(text.substr(0, text.find(' '))); }

}  // namespace

// helo = "HELO" SP Domain CRLF
awaitable<void> SmtpSession::on_helo(const Command& c) {
  if (c.argument.empty()) {
    reply(make_reply(replies::ParameterSyntax, "Syntax: HELO hostname"));
    co_return;
  }
  reset_transaction();
  helo_ = first_word(c.argument);
  esmtp_ = false;
  reply(make_reply(replies::Ok, config_.host_name));
  enter_state(SessionState::Greeted);
}

// ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
awaitable<void> SmtpSession::on_ehlo(const Command& c) {
  if (c.argument.empty()) {
    reply(make_reply(replies::ParameterSyntax, "Syntax: EHLO hostname"));
    co_return;
  }
  reset_transaction();
  helo_ = first_word(c.argument);
  esmtp_ = true;
  std::string lines = fmt::format("{} Hello {} [{}]\nPIPELINING\nSIZE {}\n8BITMIME\nENHANCEDSTATUSCODES\n",
                                  config_.host_name, helo_, client_ip_, config_.limits.max_message_bytes);
  if (config_.tls && !tls_active_) lines += "STARTTLS\n";
  // RFC 4954 §4 and Postfix's smtpd_tls_auth_only: AUTH is offered only where it is allowed.
  if (auth_allowed_here()) lines += "AUTH PLAIN LOGIN\n";
  lines += "SMTPUTF8";
  SmtpReply ehlo;
  ehlo.code = 250;
  std::size_t start = 0;
  while (start <= lines.size()) {
    auto end = lines.find('\n', start);
    ehlo.lines.push_back(lines.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  reply(std::move(ehlo));
  enter_state(SessionState::Greeted);
}

// mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
awaitable<void> SmtpSession::on_mail(const Command& c) {
  if (state_ == SessionState::Connected) {
    reply(make_reply(replies::BadSequence, "Error: send HELO/EHLO first"));
    co_return;
  }
  if (state_ != SessionState::Greeted) {
    reply(make_reply(replies::BadSequence, "Error: nested MAIL command"));
    co_return;
  }
  if (is_submission() && !user_) {
    // RFC 6409 §4.3 + RFC 3207 §4: submission needs TLS first, then authentication.
    if (!tls_active_ && !config_.allow_plaintext_auth) {
      reply(make_reply(replies::StartTlsFirst));
    } else {
      reply(make_reply(replies::AuthRequired));
    }
    co_return;
  }
  auto parsed = parse_mail_from(c.argument, esmtp_);
  if (!parsed.path) {
    switch (parsed.error) {
      case PathError::BadMailbox:
        reply(make_reply(is_submission() ? replies::BadMailboxSyntax : replies::BadAddressSyntax,
                         fmt::format("<{}>: Sender address rejected: {}", c.argument, parsed.detail)));
        break;
      case PathError::BadParameter: reply(make_reply(replies::ParameterNotRecognized, parsed.detail)); break;
      default: reply(make_reply(replies::ParameterSyntax, "Syntax: MAIL FROM:<address>")); break;
    }
    co_return;
  }
  const Path& path = *parsed.path;
  for (const auto& [keyword, value] : path.params) {
    bool known = keyword == "SIZE" || keyword == "BODY" || (keyword == "SMTPUTF8" && esmtp_);
    if (!known || !esmtp_) {
      reply(make_reply(replies::ParameterNotRecognized, fmt::format("Unsupported option: {}", keyword)));
      co_return;
    }
  }
  // RFC 1870 §6: a declared size over our limit is refused at MAIL.
  if (auto size = size_param(path); size && *size > config_.limits.max_message_bytes) {
    reply(make_reply(replies::MessageTooBig, "Message size exceeds fixed limit"));
    co_return;
  }
  if (is_submission() && !ascii_iequals(path.mailbox, user_->address)) {
    reply(make_reply(replies::SenderNotOwned,
                     fmt::format("<{}>: Sender address rejected: not owned by user {}", path.mailbox, user_->login)));
    co_return;
  }
  // bad_sender, unauthorized_sender: the lab's faults refuse the sender here.
  if (auto hit = fault_at(sim::FaultPoint::MailFrom, "", &path.mailbox)) {
    std::optional<SmtpReply> refusal;
    if (hit->kind == sim::FaultKind::StarttlsRequired) {
      // An MX with Postfix's smtpd_tls_security_level=encrypt takes no mail in the clear
      // (RFC 3207 §4: 530 until STARTTLS); under TLS it lets MAIL through.
      if (!tls_active_) refusal = make_reply(replies::StartTlsFirst);
    } else {
      refusal = fault_reply(*hit, config_.host_name, path.mailbox);
    }
    if (refusal) {
      fault_fired(*hit, refusal->summary());
      reply(std::move(*refusal));
      co_return;
    }
  }
  sender_ = path.mailbox;
  smtputf8_ = param(path, "SMTPUTF8").has_value();
  reply(make_reply(replies::SenderOk));
  enter_state(SessionState::MailGiven);
}

// rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] CRLF
awaitable<void> SmtpSession::on_rcpt(const Command& c) {
  if (state_ != SessionState::MailGiven && state_ != SessionState::RcptGiven) {
    reply(make_reply(replies::BadSequence, "Error: need MAIL command"));
    co_return;
  }
  // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; past our limit, 452.
  if (recipients_.size() >= config_.limits.max_recipients) {
    reply(make_reply(replies::TooManyRecipients));
    co_return;
  }
  auto parsed = parse_rcpt_to(c.argument, esmtp_);
  if (!parsed.path) {
    switch (parsed.error) {
      case PathError::BadMailbox:
        reply(make_reply(replies::BadAddressSyntax, fmt::format("<{}>: Recipient address rejected: {}", c.argument, parsed.detail)));
        break;
      case PathError::BadParameter: reply(make_reply(replies::ParameterNotRecognized, parsed.detail)); break;
      default: reply(make_reply(replies::ParameterSyntax, "Syntax: RCPT TO:<address>")); break;
    }
    co_return;
  }
  if (!parsed.path->params.empty()) {
    reply(make_reply(replies::ParameterNotRecognized, fmt::format("Unsupported option: {}", parsed.path->params.front().first)));
    co_return;
  }
  const std::string& recipient = parsed.path->mailbox;
  // greylisting, unknown_user, user_not_local, mailbox_full(_temporary), relay_denied: a
  // fault answers before the lab's own recipient check, as a policy service would.
  if (refused_by_fault(sim::FaultPoint::RcptTo, recipient, recipient)) co_return;
  if (!is_submission()) {
    if (auto refusal = server_.services().check_local_recipient(config_.host_name, recipient)) {
      reply(std::move(*refusal));
      co_return;
    }
  }
  recipients_.push_back(recipient);
  reply(make_reply(replies::RecipientOk));
  enter_state(SessionState::RcptGiven);
}

// data = "DATA" CRLF
awaitable<void> SmtpSession::on_data(const Command& c) {
  if (!c.argument.empty()) {
    reply(make_reply(replies::ParameterSyntax, "Syntax: DATA"));
    co_return;
  }
  if (state_ == SessionState::MailGiven) {
    reply(make_reply(replies::NoValidRecipients));
    co_return;
  }
  if (state_ != SessionState::RcptGiven) {
    reply(make_reply(replies::BadSequence, "Error: need RCPT command"));
    co_return;
  }
  reply(make_reply(replies::StartMailInput));
  enter_state(SessionState::Data);
  co_await flush();
  // One question per transaction, for its first recipient (a trigger's recipient filter).
  auto fault = fault_at(sim::FaultPoint::Data, recipients_.front());
  if (fault && fault->kind == sim::FaultKind::DisconnectInData) {
    // The line goes dead while the message flows: take what has arrived of it, then close
    // without a reply. Nothing is stored (RELIABILITY.md, the ledger); the client must
    // send the whole message again later.
    if (input_.size() == 0) {
      std::string chunk;
      co_await read_some(chunk);
    }
    fault_fired(*fault, "connection dropped in the middle of DATA, no reply");
    input_.clear();
    reset_transaction();
    quit_ = true;
    co_return;
  }
  auto body = co_await read_message_body();
  // policy_rejection, message_too_large: a content check after the final dot refuses it.
  std::optional<SmtpReply> refusal = fault ? fault_reply(*fault, config_.host_name, "") : std::nullopt;
  if (body && refusal) {
    fault_fired(*fault, refusal->summary());
    publish(sim::EventKind::Rejected, refusal->summary(), refusal->code, refusal->enhanced);
    reply(std::move(*refusal));
    body.reset();
  }
  if (body) {
    AcceptedMessage accepted;
    accepted.sender = sender_;
    accepted.recipients = recipients_;
    accepted.journey = journey_;
    accepted.client = fmt::format("{} [{}]", server_.services().reverse_name(client_ip_), client_ip_);
    std::string message = std::move(*body);
    if (is_submission()) {
      // RFC 6409 §8: the submission server may add a missing Message-ID and Date.
      message = add_submission_headers(message, config_.host_name, fmt::format("{}.{}", id_, recipients_.size()),
                                       std::chrono::system_clock::now());
    }
    accepted.message = received_header() + message;
    auto accept = [&] { return server_.services().accept(config_.host_name, config_.role, std::move(accepted)); };
    AcceptResult result = co_await net::run_blocking(config_.durable_writes, accept);
    if (result.reply.positive()) {
      publish(sim::EventKind::Queued, fmt::format("message from <{}> for {} recipient(s) accepted as {}", sender_,
                                                  recipients_.size(), result.queue_id));
    } else {
      publish(sim::EventKind::Rejected, result.reply.summary(), result.reply.code, result.reply.enhanced);
    }
    reply(std::move(result.reply));
  }
  reset_transaction();
}

// Reads the message after 354 up to <CRLF>.<CRLF> (RFC 5321 §4.1.1.4) and answers the
// errors found in it; nullopt when it must not be accepted.
awaitable<std::optional<std::string>> SmtpSession::read_message_body() {
  DataReader reader(config_.limits.max_message_bytes, config_.limits.text_line);
  input_.consume(reader.feed(input_.pending()));
  while (!reader.done()) {
    std::string chunk;
    co_await read_some(chunk);
    std::size_t used = reader.feed(chunk);
    // What follows the final dot is the next pipelined command (RFC 2920 §3.1).
    if (used < chunk.size()) input_.append(std::string_view(chunk).substr(used));
  }
  if (reader.too_big()) {
    reply(make_reply(replies::MessageTooBig, "Error: message file too big"));
    co_return std::nullopt;
  }
  if (reader.line_too_long()) {
    reply(make_reply(replies::LineTooLong, "Error: line too long in message text"));
    co_return std::nullopt;
  }
  if (reader.bare_newline() && config_.limits.reject_bare_newlines) {
    // Bare CR or LF is how SMTP smuggling hides a second message (CVE-2023-51764).
    reply(make_reply(replies::BareNewlineRejected));
    co_return std::nullopt;
  }
  co_return reader.take_message();
}

std::string SmtpSession::received_header() const {
  ReceivedInfo info;
  info.helo = helo_;
  info.client_address = client_ip_;
  info.client_host = server_.services().reverse_name(client_ip_);
  info.by_host = config_.host_name;
  info.protocol = esmtp_ ? std::string("ESMTP") + (tls_active_ ? "S" : "") + (user_ ? "A" : "") : "SMTP";
  info.tls = tls_description_;
  if (user_) info.authenticated_sender = user_->address;
  info.id = fmt::format("S{}", id_);
  if (recipients_.size() == 1) info.for_recipient = recipients_.front();
  info.when = std::chrono::system_clock::now();
  return smtp::received_header(info);
}

awaitable<void> SmtpSession::on_rset(const Command&) {
  reset_transaction();
  reply(make_reply(replies::Ok));
  co_return;
}

awaitable<void> SmtpSession::on_noop(const Command&) {
  reply(make_reply(replies::Ok));
  co_return;
}

awaitable<void> SmtpSession::on_quit(const Command&) {
  reply(make_reply(replies::Bye));
  enter_state(SessionState::Closing);
  quit_ = true;
  co_return;
}

// RFC 5321 §3.5.3: a server that will not verify says 252 and accepts mail anyway.
awaitable<void> SmtpSession::on_vrfy(const Command&) {
  reply(make_reply(replies::CannotVerify));
  co_return;
}

awaitable<void> SmtpSession::on_expn(const Command&) {
  reply(make_reply(replies::NotImplemented, "Error: EXPN is not supported"));
  co_return;
}

awaitable<void> SmtpSession::on_help(const Command&) {
  reply(make_reply(replies::Help));
  co_return;
}

awaitable<void> SmtpSession::on_bdat(const Command&) {
  reply(make_reply(replies::NotImplemented, "Error: CHUNKING is not offered"));
  co_return;
}

// starttls = "STARTTLS" CRLF (RFC 3207 §4)
awaitable<void> SmtpSession::on_starttls(const Command& c) {
  if (!config_.tls) {
    reply(make_reply(replies::TlsNotAvailable));
    co_return;
  }
  if (tls_active_) {
    reply(make_reply(replies::BadSequence, "Error: TLS already active"));
    co_return;
  }
  if (!c.argument.empty()) {
    reply(make_reply(replies::ParameterSyntax, "Syntax: STARTTLS"));
    co_return;
  }
  reply(make_reply(replies::TlsGoAhead));
  co_await flush();
  // RFC 3207 §4.2 / CVE-2011-0411: plaintext pipelined after STARTTLS is thrown away, and
  // everything learned before TLS is forgotten.
  if (input_.size() > 0) publish(sim::EventKind::Error, fmt::format("discarded {} octets pipelined after STARTTLS", input_.size()));
  input_.clear();
  prepare_handshake();
  deadline_->arm(config_.limits.idle_timeout);
  co_await stream_.async_handshake(asio::ssl::stream_base::server, use_awaitable);
  tls_active_ = true;
  tls_description_ = describe_tls(stream_.native_handle());
  publish(sim::EventKind::Tls, tls_description_);
  reset_transaction();
  helo_.clear();
  esmtp_ = false;
  user_ = nullptr;
  enter_state(SessionState::Connected);
}

// auth = "AUTH" SP sasl-mech [SP initial-response] CRLF (RFC 4954 §4)
awaitable<void> SmtpSession::on_auth(const Command& c) {
  if (!is_submission()) {
    reply(make_reply(replies::BadSequence, "Error: authentication not enabled"));
    co_return;
  }
  if (!tls_active_ && !config_.allow_plaintext_auth) {
    reply(make_reply(replies::StartTlsFirst));
    co_return;
  }
  if (state_ == SessionState::Connected) {
    reply(make_reply(replies::BadSequence, "Error: send HELO/EHLO first"));
    co_return;
  }
  if (user_) {
    reply(make_reply(replies::BadSequence, "Error: already authenticated"));
    co_return;
  }
  if (state_ != SessionState::Greeted) {
    reply(make_reply(replies::BadSequence, "Error: MAIL transaction in progress"));
    co_return;
  }
  std::string mechanism = first_word(c.argument);
  std::string initial = c.argument.size() > mechanism.size() ? c.argument.substr(mechanism.size() + 1) : "";
  if (ascii_iequals(mechanism, "PLAIN")) {
    co_await auth_plain(initial);
  } else if (ascii_iequals(mechanism, "LOGIN")) {
    co_await auth_login(initial);
  } else {
    reply(make_reply(replies::UnknownAuthMechanism));
  }
}

awaitable<std::optional<std::string>> SmtpSession::sasl_response(std::string challenge_base64) {
  SmtpReply challenge;
  challenge.code = 334;
  challenge.lines = {std::move(challenge_base64)};
  reply(std::move(challenge));
  auto line = co_await read_line();
  if (!line) co_return std::nullopt;
  publish(sim::EventKind::Command, "****");
  if (*line == "*") {  // RFC 4954 §4: the client cancels
    reply(make_reply(replies::AuthCancelled));
    co_return std::nullopt;
  }
  co_return line;
}

awaitable<void> SmtpSession::auth_plain(std::string initial) {
  if (initial.empty()) {
    auto response = co_await sasl_response("");
    if (!response) co_return;
    initial = *response;
  }
  if (initial == "=") initial.clear();
  auto credentials = decode_sasl_plain(initial);
  if (!credentials) {
    reply(make_reply(replies::AuthResponseUndecodable));
    co_return;
  }
  finish_auth(credentials->authcid, credentials->password);
}

awaitable<void> SmtpSession::auth_login(std::string initial) {
  std::optional<std::string> user_b64 = initial;
  if (initial.empty()) user_b64 = co_await sasl_response(std::string(kLoginUsernameChallenge));
  if (!user_b64) co_return;
  auto password_b64 = co_await sasl_response(std::string(kLoginPasswordChallenge));
  if (!password_b64) co_return;
  auto login = base64_decode(*user_b64);
  auto password = base64_decode(*password_b64);
  if (!login || !password) {
    reply(make_reply(replies::AuthResponseUndecodable));
    co_return;
  }
  finish_auth(*login, *password);
}

void SmtpSession::finish_auth(const std::string& login, const std::string& password) {
  const sim::User* user = server_.services().authenticate(login, password);
  if (!user) {
    publish(sim::EventKind::Auth, fmt::format("authentication failed for {}", login), 535, "5.7.8");
    reply(make_reply(replies::AuthFailed));
    if (++auth_failures_ >= config_.limits.max_auth_failures && !quit_) {
      reply(make_reply(replies::TooManyErrors, fmt::format("{} Error: too many failed logins", config_.host_name)));
      quit_ = true;
    }
    return;
  }
  user_ = user;
  publish(sim::EventKind::Auth, fmt::format("authenticated as {}", user->login), 235, "2.7.0");
  reply(make_reply(replies::AuthSucceeded));
}

}  // namespace mailflow::smtp
