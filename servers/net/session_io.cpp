// Stream I/O for server sessions (see session_io.hpp).
#include "servers/net/session_io.hpp"

#include <exception>

namespace mailflow::net {

ssl::context& session_tls_context(const std::shared_ptr<ssl::context>& server_context) {
  static ssl::context unused(ssl::context::tls_server);
  return server_context ? *server_context : unused;
}

std::string peer_text(const tcp::socket& socket, const std::string& fallback) {
  error_code ec;
  auto remote = socket.remote_endpoint(ec);
  return ec ? fallback : endpoint_text(remote);
}

awaitable<std::size_t> read_some(TlsStream& stream, bool tls_active, asio::mutable_buffer buffer) {
  if (tls_active) co_return co_await stream.async_read_some(buffer, use_awaitable);
  co_return co_await stream.next_layer().async_read_some(buffer, use_awaitable);
}

awaitable<void> write_all(TlsStream& stream, bool tls_active, std::string_view bytes) {
  if (tls_active) {
    co_await asio::async_write(stream, asio::buffer(bytes), use_awaitable);
  } else {
    co_await asio::async_write(stream.next_layer(), asio::buffer(bytes), use_awaitable);
  }
}

void close_connection(TlsStream& stream) {
  error_code ignored;
  stream.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream.next_layer().close(ignored);
}

awaitable<DialogueEnd> run_dialogue(awaitable<void> dialogue) {
  DialogueEnd end{"connection closed"};
  // C++20 allows no co_await in a handler, so the handlers only note how it ended.
  try {
    co_await std::move(dialogue);
  } catch (const boost::system::system_error& e) {
    end.reason = "connection lost: " + e.code().message();
  } catch (const std::exception& e) {
    end.reason = std::string("session failed: ") + e.what();
    end.failed = true;
  }
  co_return end;
}

}  // namespace mailflow::net
