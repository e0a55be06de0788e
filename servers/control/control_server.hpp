// The control API's HTTP server (Boost.Beast, HTTP/1.1 with keep-alive) on a loopback
// address, on the lab's io_context: each connection is one coroutine that reads a request,
// lets ControlApi answer it, and writes the answer. GET /api/events turns the connection
// into a Server-Sent Events stream of the event bus: one `event: <kind>` / `data: <the
// trace file's JSON line>` pair per event, a comment line every 15 s to keep proxies and
// idle time-outs from closing it. A slow reader cannot hold the bus up: past
// kMaxPendingEvents the stream drops events and says so in a comment.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "servers/control/control_api.hpp"
#include "servers/net/asio.hpp"
#include "sim/event_bus.hpp"

namespace mailflow::control {

class ControlServer {
 public:
  static constexpr std::size_t kMaxPendingEvents = 10'000;
  static constexpr std::size_t kMaxBodyBytes = 1 << 20;

  ControlServer(net::asio::io_context& io, Lab& lab, sim::EventBus& bus, net::tcp::endpoint at);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds and listens; throws boost::system::system_error.
  void start();
  // Closes the listener and every connection (on the io thread).
  void stop();
  net::tcp::endpoint endpoint() const { return bound_; }
  std::string url() const;  // "http://127.0.0.1:18025"
  ControlApi& api() { return api_; }

 private:
  struct Connection;
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(std::shared_ptr<Connection> connection);
  net::awaitable<void> stream_events(std::shared_ptr<Connection> connection, std::string journey);

  net::asio::io_context& io_;
  sim::EventBus& bus_;
  ControlApi api_;
  net::tcp::endpoint at_;
  net::tcp::endpoint bound_;
  net::tcp::acceptor acceptor_;
  std::set<std::shared_ptr<Connection>> connections_;
  bool stopping_ = false;
};

}  // namespace mailflow::control
