// IMAP commands of any state and of login: CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN,
// AUTHENTICATE PLAIN (RFC 4616, with SASL-IR RFC 4959), ID (RFC 2971), ENABLE (RFC 5161),
// NAMESPACE (RFC 2342), IDLE (RFC 2177).
#include <fmt/format.h>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_session.hpp"
#include "servers/imap/imap_string.hpp"
#include "servers/smtp/sasl.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

awaitable<void> ImapSession::on_capability(const Command& c) {
  untagged("CAPABILITY " + capability());
  tagged(c, "OK", "CAPABILITY completed");
  co_return;
}

awaitable<void> ImapSession::on_noop(const Command& c) {
  // The client's poll for news: list the folder even if its stamp did not move, in case
  // another program changed it within one tick of the file system's clock.
  sync(true, true);
  tagged(c, "OK", fmt::format("{} completed", command_name(c.name)));
  co_return;
}

awaitable<void> ImapSession::on_logout(const Command& c) {
  untagged("BYE Logging out");
  tagged(c, "OK", "LOGOUT completed");
  state_ = ImapState::Logout;
  logout_ = true;
  co_return;
}

awaitable<void> ImapSession::on_starttls(const Command& c) {
  if (!config_.tls || tls_active_) {
    tagged(c, "NO", "STARTTLS not available");
    co_return;
  }
  tagged(c, "OK", "Begin TLS negotiation now");
  co_await flush();
  // RFC 2595 §3.1 / CVE-2011-0411: nothing pipelined in plaintext is obeyed.
  input_.clear();
  co_await handshake();
}

void ImapSession::finish_login(const Command& c, const std::string& login, const std::string& password) {
  const sim::User* user = server_.services().authenticate(login, password);
  if (!user) {
    publish(sim::EventKind::Auth, fmt::format("login failed for {}", login));
    tagged(c, "NO", format_code(codes::AuthenticationFailed) + " Authentication failed");
    if (++auth_failures_ >= config_.limits.max_auth_failures) {
      output_ += "* BYE Too many failed logins\r\n";
      logout_ = true;
    }
    return;
  }
  if (!server_.user_logged_in(user->address, client_ip_)) {
    publish(sim::EventKind::Auth, fmt::format("login of {} refused: {} sessions from {} already", user->address,
                                              config_.limits.max_connections_per_user, client_ip_));
    tagged(c, "NO", format_code(codes::Limit) + " Too many connections for this user from this address");
    return;
  }
  try {
    mailbox_ = server_.services().mailbox_of(*user);
  } catch (const std::exception& e) {
    server_.user_logged_out(user->address, client_ip_);
    publish(sim::EventKind::Error, fmt::format("mailbox of {} unavailable: {}", user->address, e.what()));
    tagged(c, "NO", format_code(codes::Unavailable) + " Mailbox unavailable");
    return;
  }
  user_ = user;
  state_ = ImapState::Authenticated;
  publish(sim::EventKind::Auth, fmt::format("{} logged in", user->address));
  tagged(c, "OK", fmt::format("{} Logged in", format_code(codes::Capability, capability())));
}

awaitable<void> ImapSession::on_login(const Command& c) {
  if (!login_allowed()) {
    tagged(c, "NO", format_code(codes::PrivacyRequired) + " LOGINDISABLED: use STARTTLS first");
    co_return;
  }
  const auto& args = std::get<LoginArgs>(c.args);
  finish_login(c, args.user, args.password);
}

awaitable<void> ImapSession::on_authenticate(const Command& c) {
  const auto& args = std::get<AuthenticateArgs>(c.args);
  if (args.mechanism != "PLAIN") {
    tagged(c, "NO", "Unsupported authentication mechanism");
    co_return;
  }
  if (!login_allowed()) {
    tagged(c, "NO", format_code(codes::PrivacyRequired) + " Use STARTTLS first");
    co_return;
  }
  std::string response;
  if (args.initial_response) {
    response = *args.initial_response == "=" ? std::string() : *args.initial_response;
  } else {
    output_ += "+ \r\n";
    co_await flush();
    auto line = co_await read_line();
    if (!line) {
      bad(c.tag, "Response too long");
      co_return;
    }
    response = *line;
  }
  if (response == "*") {
    bad(c.tag, "Authentication cancelled");
    co_return;
  }
  auto credentials = smtp::decode_sasl_plain(response);
  if (!credentials) {
    bad(c.tag, "Invalid SASL PLAIN response");
    co_return;
  }
  if (!credentials->authzid.empty() && credentials->authzid != credentials->authcid) {
    tagged(c, "NO", format_code(codes::AuthorizationFailed) + " Cannot act as another user");
    co_return;
  }
  finish_login(c, credentials->authcid, credentials->password);
}

awaitable<void> ImapSession::on_id(const Command& c) {
  untagged("ID (\"name\" \"mailflow\" \"vendor\" \"mailflow lab\")");
  tagged(c, "OK", "ID completed");
  co_return;
}

awaitable<void> ImapSession::on_enable(const Command& c) {
  // Nothing this server offers needs enabling (no CONDSTORE, no UTF8=ACCEPT yet).
  untagged("ENABLED");
  tagged(c, "OK", "ENABLE completed");
  co_return;
}

awaitable<void> ImapSession::on_namespace(const Command& c) {
  untagged("NAMESPACE ((\"\" \".\")) NIL NIL");
  tagged(c, "OK", "NAMESPACE completed");
  co_return;
}

awaitable<void> ImapSession::on_idle(const Command& c) {
  // RFC 2177: report changes while waiting for DONE. The socket is polled, never cancelled
  // mid-read (a TLS stream cannot be), so a change reaches the client within ~250 ms.
  output_ += "+ idling\r\n";
  co_await flush();
  idling_ = true;
  auto started = std::chrono::steady_clock::now();
  asio::steady_timer tick(stream_.get_executor());
  while (true) {
    auto next = input_.next_line();
    if (next.status == LineBuffer::Status::Line) {
      idling_ = false;
      if (is_idle_done(next.line)) {
        tagged(c, "OK", "IDLE terminated");
      } else {
        bad(c.tag, "Expected DONE");
      }
      co_return;
    }
    if (farewell_) throw boost::system::system_error(asio::error::operation_aborted);
    error_code ec;
    std::size_t available = stream_.next_layer().available(ec);
    if (ec) throw boost::system::system_error(ec);
    if (available > 0 || (tls_active_ && SSL_pending(stream_.native_handle()) > 0)) {
      co_await read_some();
      continue;
    }
    if (std::chrono::steady_clock::now() - started > config_.limits.idle_timeout) {
      farewell_ = "* BYE Autologout; idle for too long\r\n";
      throw boost::system::system_error(asio::error::timed_out);
    }
    sync(true);
    co_await flush();
    deadline_->arm(config_.limits.idle_timeout);
    tick.expires_after(std::chrono::milliseconds(change_pending_ ? 0 : 250));
    co_await tick.async_wait(redirect_error(use_awaitable, ec));
  }
}

}  // namespace mailflow::imap
