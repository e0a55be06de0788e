// The wire under the lab's simulated POP3 and IMAP readers: see client_link.hpp.
#include "servers/net/client_link.hpp"

#include <fmt/format.h>

#include "servers/net/session_id.hpp"

// GCC 12 takes the operator new / operator delete pair of Asio's coroutine frames for a
// mismatch (-Wmismatched-new-delete); the pair is Asio's own.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::net {

using std::chrono::milliseconds;

namespace {

// A link configured for plaintext still needs a context to build its stream type.
ssl::context& plaintext_context() {
  static ssl::context context(ssl::context::tls_client);
  return context;
}

}  // namespace

ClientLink::ClientLink(asio::any_io_executor executor, tcp::endpoint server, const ReaderOptions& options,
                       sim::Protocol protocol, std::size_t max_line)
    : options_(options),
      server_(server),
      protocol_(protocol),
      stream_(tcp::socket(executor), options.tls_context ? *options.tls_context : plaintext_context()),
      deadline_(std::make_shared<Deadline>(executor)),
      input_(max_line),
      peer_(endpoint_text(server)),
      session_(next_session_id()) {}

void ClientLink::start_deadline() {
  asio::co_spawn(stream_.get_executor(), watch(deadline_, weak_from_this()), asio::detached);
}

// The watcher holds the Deadline but only a weak link: a deadline passing after the fetch
// finds nothing to close.
awaitable<void> ClientLink::watch(std::shared_ptr<Deadline> deadline, std::weak_ptr<ClientLink> weak_link) {
  auto close_link = [weak_link] {
    if (auto link = weak_link.lock()) link->close();
  };
  co_await Deadline::watch(std::move(deadline), close_link);  // named: GCC 12 mishandles a lambda temporary here
}

awaitable<void> ClientLink::connect() {
  std::string name = options_.tls_server_name.empty() ? peer_ : options_.tls_server_name + " " + peer_;
  publish(sim::EventKind::Connect, "connecting to " + name);
  deadline_->arm(options_.timeouts.connect);
  error_code ec;
  co_await stream_.next_layer().async_connect(server_, asio::redirect_error(use_awaitable, ec));
  if (!ec) co_return;
  if (deadline_->expired()) throw LinkFailure(ReaderOutcome::Timeout, "timed out connecting to " + peer_);
  if (ec == asio::error::connection_refused) throw LinkFailure(ReaderOutcome::ConnectFailed, "connection refused");
  throw LinkFailure(ReaderOutcome::ConnectFailed, "cannot connect to " + peer_ + ": " + ec.message());
}

awaitable<void> ClientLink::start_tls() {
  if (!options_.tls_context) throw LinkFailure(ReaderOutcome::TlsFailed, "TLS is wanted but no TLS context was given");
  try {
    prepare_client_stream(stream_, options_.tls_server_name, options_.verify_certificate);
  } catch (const std::exception& e) {
    throw LinkFailure(ReaderOutcome::TlsFailed, std::string("cannot prepare TLS: ") + e.what());
  }
  input_.clear();
  deadline_->arm(options_.timeouts.reply);
  error_code ec;
  co_await stream_.async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
  PeerVerification peer = peer_verification(stream_.native_handle());
  if (ec) {
    std::string why = deadline_->expired() ? "timed out in the TLS handshake" : "TLS handshake failed: " + ec.message();
    if (peer.presented && !peer.verified) why += " (certificate: " + peer.reason + ")";
    publish(sim::EventKind::Tls, why);
    throw LinkFailure(ReaderOutcome::TlsFailed, why);
  }
  tls_ = true;
  std::string certificate = peer.verified ? "verified" : "not verified: " + peer.reason;
  publish(sim::EventKind::Tls,
          fmt::format("{}; certificate {} {}", describe_tls(stream_.native_handle()), peer.subject, certificate));
}

awaitable<std::string> ClientLink::read_line(milliseconds timeout, std::string_view waiting_for) {
  while (true) {
    auto next = input_.next_line();
    if (next.status == LineBuffer::Status::Line) co_return std::move(next.line);
    if (next.status == LineBuffer::Status::TooLong) {
      throw LinkFailure(ReaderOutcome::ProtocolError,
                        fmt::format("a line longer than {} octets while waiting for {}", input_.max_line(), waiting_for));
    }
    co_await read_some(timeout, waiting_for);
  }
}

awaitable<std::string> ClientLink::read_exact(std::size_t n, milliseconds timeout, std::string_view waiting_for) {
  std::string bytes;
  bytes.reserve(n);
  while (bytes.size() < n) {
    std::string_view pending = input_.pending();
    std::size_t take = std::min(pending.size(), n - bytes.size());
    bytes.append(pending.substr(0, take));
    input_.consume(take);
    if (bytes.size() < n) co_await read_some(timeout, waiting_for);
  }
  co_return bytes;
}

awaitable<void> ClientLink::write_line(std::string_view line, milliseconds timeout, std::string_view shown) {
  std::string masked = shown.empty() ? sim::mask_credentials(line) : std::string(shown);
  publish(sim::EventKind::Command, masked);
  std::string wire = std::string(line) + "\r\n";
  error_code ec;
  deadline_->arm(timeout);
  if (tls_) {
    co_await asio::async_write(stream_, asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
  } else {
    co_await asio::async_write(stream_.next_layer(), asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
  }
  if (!ec) co_return;
  if (deadline_->expired()) throw LinkFailure(ReaderOutcome::Timeout, "timed out sending " + masked);
  throw LinkFailure(ReaderOutcome::ProtocolError, fmt::format("connection lost sending {}: {}", masked, ec.message()));
}

awaitable<void> ClientLink::read_some(milliseconds timeout, std::string_view waiting_for) {
  char chunk[16 * 1024];
  error_code ec;
  deadline_->arm(timeout);
  std::size_t n = tls_ ? co_await stream_.async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec))
                       : co_await stream_.next_layer().async_read_some(asio::buffer(chunk),
                                                                       asio::redirect_error(use_awaitable, ec));
  if (ec) {
    if (deadline_->expired()) throw LinkFailure(ReaderOutcome::Timeout, fmt::format("timed out waiting for {}", waiting_for));
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      throw LinkFailure(ReaderOutcome::ProtocolError,
                        fmt::format("the server closed the connection while we waited for {}", waiting_for));
    }
    throw LinkFailure(ReaderOutcome::ProtocolError,
                      fmt::format("connection lost while waiting for {}: {}", waiting_for, ec.message()));
  }
  input_.append(std::string_view(chunk, n));
}

void ClientLink::publish(sim::EventKind kind, std::string line, std::string journey) {
  if (!options_.bus || !options_.bus->has_subscribers()) return;
  sim::Event e;
  e.journey = std::move(journey);
  e.host = options_.host_name;
  e.peer = peer_;
  e.session = session_;
  e.protocol = protocol_;
  e.kind = kind;
  e.line = std::move(line);
  options_.bus->publish(std::move(e));
}

void ClientLink::close() {
  error_code ignored;
  stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

void ClientLink::finish(std::string how) {
  close();
  deadline_->cancel();
  publish(sim::EventKind::Disconnect, std::move(how));
}

}  // namespace mailflow::net
