// Sends a last line to a client the server will not serve (over a connection cap, shutting
// down) and closes: the client learns why instead of seeing a bare close. Two seconds at
// most, so a client that does not read cannot hold the socket. net::TcpListener sends it
// for every TCP server.
#pragma once

#include <chrono>
#include <string>

#include "servers/net/asio.hpp"

namespace mailflow::net {

inline awaitable<void> send_farewell_and_close(tcp::socket socket, std::string wire) {
  error_code ec;
  asio::steady_timer guard(socket.get_executor(), std::chrono::seconds(2));
  guard.async_wait([&socket](const error_code& e) {
    if (!e) socket.close();
  });
  co_await asio::async_write(socket, asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
  guard.cancel();
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace mailflow::net
