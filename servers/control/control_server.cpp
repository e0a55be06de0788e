#include "servers/control/control_server.hpp"

#include <chrono>
#include <deque>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "sim/event.hpp"

// GCC 12 takes the operator new / operator delete pair of Asio's coroutine frames for a
// mismatch (-Wmismatched-new-delete); the pair is Asio's own.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::control {

namespace beast = boost::beast;
namespace http = beast::http;
using net::awaitable;
using net::use_awaitable;

namespace {
constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr auto kKeepAliveComment = std::chrono::seconds(15);
}  // namespace

// One client connection, and its event queue while it is an event stream.
struct ControlServer::Connection {
  explicit Connection(net::tcp::socket socket) : stream(std::move(socket)), wake(stream.get_executor()) {}
  beast::tcp_stream stream;
  // Event stream: filled on the io thread (posted from the bus thread), drained by the
  // connection's coroutine, which sleeps on `wake` until there is something to write.
  net::asio::steady_timer wake;
  std::deque<std::string> pending;
  std::size_t dropped = 0;
  bool closed = false;
};

ControlServer::ControlServer(net::asio::io_context& io, Lab& lab, sim::EventBus& bus, net::tcp::endpoint at)
    : io_(io), bus_(bus), api_(lab), at_(at), acceptor_(io) {}

ControlServer::~ControlServer() = default;

void ControlServer::start() {
  acceptor_.open(at_.protocol());
  acceptor_.set_option(net::tcp::acceptor::reuse_address(true));
  acceptor_.bind(at_);
  acceptor_.listen();
  bound_ = acceptor_.local_endpoint();
  net::asio::co_spawn(io_, accept_loop(), net::asio::detached);
}

void ControlServer::stop() {
  net::asio::post(io_, [this] {
    stopping_ = true;
    net::error_code ignored;
    acceptor_.close(ignored);
    for (const auto& c : connections_) {
      c->closed = true;
      c->wake.cancel();
      c->stream.socket().shutdown(net::tcp::socket::shutdown_both, ignored);
      c->stream.close();
    }
  });
}

std::string ControlServer::url() const { return fmt::format("http://{}", net::endpoint_text(bound_)); }

awaitable<void> ControlServer::accept_loop() {
  while (!stopping_) {
    net::error_code ec;
    net::tcp::socket socket = co_await acceptor_.async_accept(net::asio::redirect_error(use_awaitable, ec));
    if (ec == net::asio::error::operation_aborted || stopping_) co_return;
    if (ec) {
      // EMFILE and the like: wait a moment rather than spin.
      net::asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(net::asio::redirect_error(use_awaitable, ec));
      continue;
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    connections_.insert(connection);
    net::asio::co_spawn(io_, serve(connection), net::asio::detached);
  }
}

awaitable<void> ControlServer::serve(std::shared_ptr<Connection> c) {
  beast::flat_buffer buffer;
  try {
    while (!c->closed) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBodyBytes);
      c->stream.expires_after(kRequestTimeout);
      net::error_code ec;
      co_await http::async_read(c->stream, buffer, parser, net::asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::end_of_stream || ec == net::asio::error::eof || c->closed) break;
      http::response<http::string_body> res;
      Response answer;
      const auto& req = parser.get();
      if (ec) {
        answer = error_response(ec == http::error::body_limit ? 413 : 400, fmt::format("bad request: {}", ec.message()));
      } else {
        Request request{std::string(req.method_string()), std::string(req.target()), req.body()};
        try {
          answer = co_await api_.handle(request);
        } catch (const boost::system::system_error&) {
          throw;
        } catch (const std::exception& e) {
          answer = error_response(500, fmt::format("internal error: {}", e.what()));
        }
      }
      if (answer.event_stream && !ec) {
        // The stream's body ends when the connection does (RFC 9112 §6.3), so no length.
        c->stream.expires_never();
        static constexpr std::string_view kHead =
            "HTTP/1.1 200 OK\r\nServer: mailflow-control\r\nContent-Type: text/event-stream\r\n"
            "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
        co_await net::asio::async_write(c->stream.socket(), net::asio::buffer(kHead), use_awaitable);
        co_await stream_events(c, answer.stream_journey);
        break;
      }
      res.version(11);
      res.result(static_cast<http::status>(answer.status));
      res.set(http::field::server, "mailflow-control");
      res.set(http::field::content_type, answer.content_type);
      res.keep_alive(!ec && req.keep_alive());
      res.body() = std::move(answer.body);
      res.prepare_payload();
      c->stream.expires_after(kRequestTimeout);
      co_await http::async_write(c->stream, res, use_awaitable);
      if (!res.keep_alive()) break;
    }
  } catch (const boost::system::system_error&) {
    // The client went away or timed out: nothing to answer.
  }
  net::error_code ignored;
  c->stream.socket().shutdown(net::tcp::socket::shutdown_both, ignored);
  c->stream.close();
  connections_.erase(c);
}

awaitable<void> ControlServer::stream_events(std::shared_ptr<Connection> c, std::string journey) {
  std::weak_ptr<Connection> weak = c;
  auto on_event = [this, weak, journey](const sim::Event& e) {
    if (!journey.empty() && e.journey != journey) return;
    std::string text = fmt::format("event: {}\ndata: {}\n\n", sim::event_kind_name(e.kind), sim::to_json_line(e));
    net::asio::post(io_, [weak, text = std::move(text)]() mutable {
      auto connection = weak.lock();
      if (!connection || connection->closed) return;
      if (connection->pending.size() >= kMaxPendingEvents) {
        ++connection->dropped;
        return;
      }
      connection->pending.push_back(std::move(text));
      connection->wake.cancel();
    });
  };
  const auto subscription = bus_.subscribe(on_event);
  try {
    std::string out = ": mailflow event stream\n\n";
    while (!c->closed) {
      if (c->dropped) {
        out += fmt::format(": {} events dropped (the stream was read too slowly)\n\n", c->dropped);
        c->dropped = 0;
      }
      while (!c->pending.empty()) {
        out += c->pending.front();
        c->pending.pop_front();
      }
      if (!out.empty()) {
        co_await net::asio::async_write(c->stream.socket(), net::asio::buffer(out), use_awaitable);
        out.clear();
        continue;  // more may have come while writing
      }
      c->wake.expires_after(kKeepAliveComment);
      net::error_code ec;
      co_await c->wake.async_wait(net::asio::redirect_error(use_awaitable, ec));
      if (!ec) out = ": keep-alive\n\n";  // the timer ran out: nothing happened for a while
    }
  } catch (const boost::system::system_error&) {
    // The reader went away.
  }
  bus_.unsubscribe(subscription);
}

}  // namespace mailflow::control
