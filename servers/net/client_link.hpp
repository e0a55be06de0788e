// One connection of a line-oriented mail client (the lab's simulated POP3 and IMAP readers)
// to a server: connect, a TLS handshake in place (implicit TLS at once, or after STLS /
// STARTTLS), bounded line reads and raw reads (IMAP literals), writes, and events. Every
// operation arms a per-operation deadline first (deadline.hpp); when it passes the socket
// is closed and the operation fails as Timeout. The protocol dialogue lives with each
// client (pop3_client.cpp, imap_client.cpp); this is only the wire under it.
//
// The server is treated as hostile (RELIABILITY.md): lines and raw reads are bounded, and
// whatever cannot be read ends the dialogue with a LinkFailure that says why.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "servers/net/asio.hpp"
#include "servers/net/deadline.hpp"
#include "servers/net/line_buffer.hpp"
#include "servers/net/mail_reader.hpp"
#include "servers/net/tls.hpp"
#include "sim/event.hpp"
#include "sim/event_bus.hpp"

namespace mailflow::net {

// Why the link cannot go on; the client turns it into the result's outcome.
struct LinkFailure : std::runtime_error {
  LinkFailure(ReaderOutcome o, const std::string& why) : std::runtime_error(why), outcome(o) {}
  ReaderOutcome outcome;
};

class ClientLink : public std::enable_shared_from_this<ClientLink> {
 public:
  // protocol: what the events say (Pop3 or Imap). max_line: octets per line, CRLF included.
  ClientLink(asio::any_io_executor executor, tcp::endpoint server, const ReaderOptions& options, sim::Protocol protocol,
             std::size_t max_line);

  // Starts the deadline's watcher; call once, right after construction.
  void start_deadline();

  awaitable<void> connect();
  // The handshake, verifying the certificate against options.tls_server_name when
  // options.verify_certificate. Discards plaintext input first (RFC 2595 §4, CVE-2011-0411).
  awaitable<void> start_tls();

  // The next line without its CRLF; waiting_for names it in errors ("the greeting").
  awaitable<std::string> read_line(std::chrono::milliseconds timeout, std::string_view waiting_for);
  // Exactly n raw octets (an IMAP literal), whatever lines they hold.
  awaitable<std::string> read_exact(std::size_t n, std::chrono::milliseconds timeout, std::string_view waiting_for);
  // line plus CRLF; the event shows `shown` (the masked command) instead when given.
  awaitable<void> write_line(std::string_view line, std::chrono::milliseconds timeout, std::string_view shown = {});

  // An event with host = options.host_name and peer = the server.
  void publish(sim::EventKind kind, std::string line, std::string journey = {});
  // The dialogue is over: close, stop the watcher, a Disconnect event saying how it ended.
  void finish(std::string how);

  bool tls() const { return tls_; }
  const std::string& peer() const { return peer_; }

 private:
  static awaitable<void> watch(std::shared_ptr<Deadline> deadline, std::weak_ptr<ClientLink> weak_link);
  awaitable<void> read_some(std::chrono::milliseconds timeout, std::string_view waiting_for);
  void close();

  const ReaderOptions& options_;
  tcp::endpoint server_;
  sim::Protocol protocol_;
  TlsStream stream_;
  std::shared_ptr<Deadline> deadline_;
  LineBuffer input_;
  std::string peer_;
  std::uint64_t session_;
  bool tls_ = false;
};

}  // namespace mailflow::net
