// The SMTP session's TLS faults and its diagnosis of clients speaking the wrong thing
// (net/tls_faults.hpp, net/mismatch.hpp). Both act once per connection (per handshake),
// before the dialogue proper, so the command loop pays nothing for them.
#include <fmt/format.h>

#include "servers/net/mismatch.hpp"
#include "servers/net/tls_faults.hpp"
#include "servers/smtp/smtp_codes.hpp"
#include "servers/smtp/smtp_faults.hpp"
#include "servers/smtp/smtp_session.hpp"

namespace mailflow::smtp {

using namespace mailflow::net;

void SmtpSession::prepare_handshake() {
  auto hit = fault_at(sim::FaultPoint::TlsHandshake);
  if (!hit || !is_handshake_fault(hit->kind)) return;
  try {
    error_code ec;
    const std::string address = config_.address.to_string(ec);
    fault_fired(*hit, apply_handshake_fault(stream_, hit->kind, config_.tls_faults, config_.host_name, address));
  } catch (const std::exception& e) {
    publish(sim::EventKind::Error, fmt::format("fault '{}' cannot act: {}", hit->name, e.what()));
  }
}

bool SmtpSession::diagnose_first_bytes(const std::string& bytes) {
  error_code ec;
  const auto port = stream_.next_layer().local_endpoint(ec).port();
  const bool implicit = config_.role == SmtpRole::Smtps;
  const Mismatch mismatch = classify_first_bytes(bytes, PortProtocol::Smtp, implicit);
  if (mismatch == Mismatch::None) return false;
  publish(sim::EventKind::Error, describe_mismatch(mismatch, PortProtocol::Smtp, port, bytes));
  switch (mismatch) {
    case Mismatch::TlsOnPlaintext:
      // Postfix reads the ClientHello as a command line and answers it as garbage; the
      // client, expecting a ServerHello, reports "wrong version number". Nothing useful
      // can follow, so the session ends here instead of waiting for the error limit.
      reply(make_reply(replies::SyntaxError, "Error: bad syntax"));
      return true;
    case Mismatch::Http:
      reply(make_reply(replies::HttpRefused));
      return true;
    default:
      return false;  // other mail protocols' commands get the ordinary 500 5.5.1
  }
}

awaitable<void> SmtpSession::peek_before_implicit_tls() {
  // A TLS client speaks first here; a plaintext one either speaks (EHLO, GET) and then the
  // handshake fails on its bytes, or waits for a greeting that never comes until the idle
  // time-out. Peeking leaves the bytes for the handshake to read.
  char first[64];
  deadline_->arm(config_.limits.idle_timeout);
  const std::size_t n =
      co_await stream_.next_layer().async_receive(asio::buffer(first), tcp::socket::message_peek, use_awaitable);
  first_read_done_ = true;
  diagnose_first_bytes(std::string(first, n));
}

}  // namespace mailflow::smtp
