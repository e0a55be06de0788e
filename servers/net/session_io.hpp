// Stream I/O for a server session (SMTP, POP3; IMAP may follow). A session's stream starts
// in plaintext and may turn to TLS in place (STARTTLS, STLS, or implicit TLS right after
// accept), so until its handshake reads and writes go to the TCP socket beneath the TLS
// layer; the session's tls_active flag says which. The deadline stays with the session,
// which arms its Deadline (deadline.hpp) before each call: the time allowed differs by
// call (the idle time-out, or a short one for a farewell).
//
//   deadline_->arm(config_.limits.idle_timeout);
//   std::size_t n = co_await net::read_some(stream_, tls_active_, asio::buffer(chunk));
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "servers/net/asio.hpp"
#include "servers/net/tls.hpp"

namespace mailflow::net {

// The context to build a session's TlsStream with: the server's, or, for a server that
// offers no TLS, one that is never used (the stream type needs a context all the same).
ssl::context& session_tls_context(const std::shared_ptr<ssl::context>& server_context);

// "127.0.0.1:54321" for the peer of socket; fallback when the peer has gone already.
std::string peer_text(const tcp::socket& socket, const std::string& fallback);

// What the peer sent next, at most buffer's size. Throws boost::system::system_error on
// EOF, reset, or cancellation (a deadline or a shutdown closes or cancels the socket).
awaitable<std::size_t> read_some(TlsStream& stream, bool tls_active, asio::mutable_buffer buffer);

// All of bytes; throws boost::system::system_error as read_some does.
awaitable<void> write_all(TlsStream& stream, bool tls_active, std::string_view bytes);

// Shuts the connection down both ways and closes it, ignoring errors (the peer may have
// gone). No TLS close_notify: the lab's servers end sessions the way they always have.
void close_connection(TlsStream& stream);

// How a session's dialogue ended, for its Disconnect event.
struct DialogueEnd {
  // "connection closed"; "connection lost: <reason>" for EOF, a reset or the session's own
  // cancel; "session failed: <what>" for any other exception.
  std::string reason;
  bool failed = false;  // the last case: a fault of ours, the session should say so
};

// Runs dialogue to its end and says how it ended, so the session's closing code (farewell,
// close, Disconnect event) runs in every case.
awaitable<DialogueEnd> run_dialogue(awaitable<void> dialogue);

}  // namespace mailflow::net
