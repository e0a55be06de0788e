// The AUTHORIZATION state's commands (RFC 1939 §4 and §7, RFC 2449 §5, RFC 2595 §4,
// RFC 5034 §4): CAPA, STLS, USER/PASS, APOP and AUTH PLAIN, and the login that locks the
// maildrop and takes the snapshot of its messages. Each handler starts with its grammar
// line; the dispatcher has checked the state, the arguments and the TLS requirement.
#include <fmt/format.h>

#include "servers/pop3/pop3_session.hpp"
#include "servers/pop3/pop3_text.hpp"
#include "servers/smtp/sasl.hpp"
#include "sim/ascii.hpp"

namespace mailflow::pop3 {

using namespace mailflow::net;

// capa = "CAPA" CRLF (RFC 2449 §5)
awaitable<void> Pop3Session::on_capa(const Command&) {
  CapabilityOptions options;
  options.stls = config_.tls && !tls_active_;
  options.plaintext_login = plaintext_login_allowed();
  options.login_delay = config_.limits.login_delay;
  respond_multiline(make_response(responses::CapabilityList), dot_stuff_lines(capabilities(options)));
  co_return;
}

// stls = "STLS" CRLF (RFC 2595 §4)
awaitable<void> Pop3Session::on_stls(const Command&) {
  if (!config_.tls) {
    respond(make_response(responses::TlsNotAvailable));
    co_return;
  }
  if (tls_active_) {
    respond(make_response(responses::TlsAlreadyActive));
    co_return;
  }
  respond(make_response(responses::BeginTls));
  co_await flush();
  // RFC 2595 §4 / CVE-2011-0411: what the client pipelined after STLS in plaintext is
  // thrown away, and "the server MUST discard any knowledge obtained from the client,
  // such as the argument to the USER command".
  if (input_.size() > 0) publish(sim::EventKind::Error, fmt::format("discarded {} octets pipelined after STLS", input_.size()));
  input_.clear();
  user_name_.clear();
  co_await start_tls();
}

// user = "USER" SP name CRLF (RFC 1939 §7)
awaitable<void> Pop3Session::on_user(const Command& c) {
  // The name is only remembered: saying here whether it exists would help guessers.
  user_name_ = c.arguments.front();
  respond(make_response(responses::SendPassword));
  co_return;
}

// pass = "PASS" SP string CRLF (RFC 1939 §7)
awaitable<void> Pop3Session::on_pass(const Command& c) {
  if (user_name_.empty()) {
    respond(make_response(responses::UserFirst));
    co_return;
  }
  std::string login_name = std::exchange(user_name_, {});
  if (const sim::User* user = server_.services().authenticate(login_name, c.arguments.front())) {
    login(*user, "USER/PASS");
  } else {
    login_failed(login_name, "USER/PASS");
  }
  co_return;
}

// apop = "APOP" SP name SP digest CRLF (RFC 1939 §7): digest = MD5(timestamp + password)
awaitable<void> Pop3Session::on_apop(const Command& c) {
  // APOP never sends the password, so it is allowed before TLS (MD5 is weak, but the
  // lab shows it as RFC 1939 describes it).
  const std::string& name = c.arguments[0];
  const sim::User* user = server_.services().find_user(name);
  if (user && apop_matches(timestamp_, user->password, c.arguments[1])) {
    login(*user, "APOP");
  } else {
    login_failed(name, "APOP");
  }
  co_return;
}

// auth = "AUTH" SP sasl-mech [SP initial-response] CRLF (RFC 5034 §4)
awaitable<void> Pop3Session::on_auth(const Command& c) {
  if (c.arguments.empty()) {
    // The pre-RFC 5034 form (RFC 1734 clients, Dovecot): list the mechanisms.
    respond_multiline(make_response(responses::MechanismList), dot_stuff_lines({"PLAIN"}));
    co_return;
  }
  if (!sim::ascii_iequals(c.arguments[0], "PLAIN")) {
    respond(make_response(responses::UnknownMechanism));
    co_return;
  }
  std::string response;
  if (c.arguments.size() == 2) {
    response = c.arguments[1];
  } else {
    // RFC 5034 §4: "+" SP challenge; PLAIN's challenge is empty. The answer may be longer
    // than a command line.
    output_ += kSaslContinuation;
    publish(sim::EventKind::Reply, "+ ");
    input_.set_max_line(config_.limits.auth_line);
    auto line = co_await read_line();
    input_.set_max_line(config_.limits.command_line);
    if (!line) co_return;
    publish(sim::EventKind::Command, "****");
    if (smtp::is_sasl_cancel(*line)) {  // RFC 5034 §4: "*" cancels the exchange
      respond(make_response(responses::AuthCancelled));
      co_return;
    }
    response = *line;
  }
  auto credentials = smtp::decode_sasl_plain(response);
  if (!credentials) {
    respond(make_response(responses::AuthUndecodable));
    co_return;
  }
  // RFC 4616 §2: acting as another user (an authzid that differs) is not offered.
  const sim::User* user = nullptr;
  if (credentials->authzid.empty() || credentials->authzid == credentials->authcid) {
    user = server_.services().authenticate(credentials->authcid, credentials->password);
  }
  if (user) {
    login(*user, "AUTH PLAIN");
  } else {
    login_failed(credentials->authcid, "AUTH PLAIN");
  }
}

void Pop3Session::login_failed(const std::string& login_name, std::string_view method) {
  publish(sim::EventKind::Auth, fmt::format("{} login failed for {}", method, login_name), "AUTH");
  respond(make_response(responses::AuthFailed));
  if (++auth_failures_ >= config_.limits.max_auth_failures && !quit_) {
    respond(make_response(responses::TooManyAuthFailures));
    quit_ = true;
  }
}

// The credentials were right: RFC 1939 §4 "the POP3 server then acquires an exclusive-
// access lock on the maildrop" and the session enters TRANSACTION; if the lock or the
// maildrop cannot be had, the session stays in AUTHORIZATION.
void Pop3Session::login(const sim::User& user, std::string_view method) {
  auto now = std::chrono::steady_clock::now();
  if (auto wait = server_.locks().login_delay_left(user.address, config_.limits.login_delay, now)) {
    publish(sim::EventKind::Auth, fmt::format("{} logged in too soon again ({} s to wait)", user.login, wait->count()),
            "LOGIN-DELAY");
    respond(make_response(responses::LoginDelay, fmt::format("Logging in too often; wait {} seconds", wait->count())));
    return;
  }
  auto lease = server_.locks().try_lock(user.address);
  if (!lease) {
    publish(sim::EventKind::Auth, fmt::format("{} refused: the maildrop is in use by another session", user.login),
            "IN-USE");
    respond(make_response(responses::InUse));
    return;
  }
  std::shared_ptr<sim::Mailbox> mailbox;
  try {
    mailbox = server_.services().mailbox(user);
  } catch (const std::exception& e) {
    publish(sim::EventKind::Error, fmt::format("cannot open the mailbox of {}: {}", user.address, e.what()));
    respond(make_response(responses::MaildropBroken));
    return;
  }
  // RFC 1939 §5: the message numbers are fixed for the session from here.
  auto listed = mailbox->list("INBOX");
  auto status = mailbox->status("INBOX");
  if (!listed.ok() || !status.ok()) {
    publish(sim::EventKind::Error, fmt::format("cannot list the INBOX of {}: {}", user.address,
                                               listed.ok() ? status.error : listed.error));
    respond(make_response(responses::MaildropUnavailable));
    return;
  }
  std::vector<DropMessage> messages;
  messages.reserve(listed.value.size());
  for (const auto& info : listed.value) {
    DropMessage m;
    m.uid = info.uid;
    m.size = info.size;
    m.unique_id = unique_id(status.value.uidvalidity, info.uid);
    messages.push_back(std::move(m));
  }
  drop_ = Maildrop(std::move(messages));
  lease_ = std::move(lease);
  mailbox_ = std::move(mailbox);
  user_ = &user;
  server_.locks().note_login(user.address, now);
  publish(sim::EventKind::Auth, fmt::format("{} logged in as {} ({} messages)", method, user.login, drop_.count()));
  respond(make_response(responses::LoggedIn, fmt::format("Logged in: {} has {} messages ({} octets)", user.address,
                                                          drop_.count(), drop_.octets())));
  enter_state(Pop3State::Transaction);
}

}  // namespace mailflow::pop3
