// net::SessionListener with real sockets on 127.0.0.1 (port 0) and a trivial session that
// greets and waits for its client to leave: the caps, their farewells, places freed when
// a session ends, the "listening" event, and stop().
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "servers/net/asio.hpp"
#include "servers/net/tcp_listener.hpp"
#include "sim/event_bus.hpp"

namespace mailflow::net {
namespace {

using namespace std::chrono_literals;

// Greets with "hello", then reads until the client leaves or shut_down() says "bye".
class EchoSession : public std::enable_shared_from_this<EchoSession> {
 public:
  EchoSession(SessionListener<EchoSession>& listener, tcp::socket socket, std::string client_ip)
      : listener_(listener), socket_(std::move(socket)), client_ip_(std::move(client_ip)) {}

  void start() { asio::co_spawn(socket_.get_executor(), run(shared_from_this()), asio::detached); }
  void shut_down() {
    shutting_down_ = true;
    error_code ignored;
    socket_.cancel(ignored);
  }

 private:
  static awaitable<void> run(std::shared_ptr<EchoSession> self) {
    error_code ec;
    co_await asio::async_write(self->socket_, asio::buffer(std::string_view("hello\r\n")),
                               asio::redirect_error(use_awaitable, ec));
    char chunk[256];
    while (!ec) co_await self->socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
    if (self->shutting_down_) {
      co_await asio::async_write(self->socket_, asio::buffer(std::string_view("bye\r\n")),
                                 asio::redirect_error(use_awaitable, ec));
    }
    self->socket_.close(ec);
    self->listener_.session_ended(self, self->client_ip_);
  }

  SessionListener<EchoSession>& listener_;
  tcp::socket socket_;
  std::string client_ip_;
  bool shutting_down_ = false;
};

// Refuses with "busy" lines, or silently.
class EchoListener final : public SessionListener<EchoSession> {
 public:
  EchoListener(asio::io_context& io, const ListenerConfig& config, sim::EventBus* bus, bool silent_refusal)
      : SessionListener(io, config, bus), silent_refusal_(silent_refusal) {}

 private:
  std::shared_ptr<EchoSession> make_session(tcp::socket socket, std::string client_ip) override {
    return std::make_shared<EchoSession>(*this, std::move(socket), std::move(client_ip));
  }
  std::string farewell(Refusal why, const std::string& client_ip) override {
    if (silent_refusal_) return {};
    return why == Refusal::TooManyConnections ? std::string("busy\r\n") : "busy for " + client_ip + "\r\n";
  }

  bool silent_refusal_;
};

// A blocking client on its own io_context.
class Client {
 public:
  explicit Client(std::uint16_t port, const char* from = "127.0.0.1") : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // Everything up to and including the next "\n"; "" at EOF.
  std::string line() {
    error_code ec;
    std::size_t n = asio::read_until(socket_, asio::dynamic_buffer(buffer_), '\n', ec);
    if (ec) return {};
    std::string l = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return l;
  }
  // True when the server closed the connection (after what was already read).
  bool closed_by_server() {
    char c;
    error_code ec;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof;
  }
  void close() { socket_.close(); }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  std::string buffer_;
};

class TcpListenerTest : public ::testing::Test {
 protected:
  void start(std::size_t max_connections, std::size_t max_per_client, bool silent_refusal = false) {
    ListenerConfig config{.endpoint = {asio::ip::make_address("127.0.0.1"), 0},
                          .max_connections = max_connections,
                          .max_connections_per_client = max_per_client,
                          .host_name = "mx.test",
                          .service = "TEST",
                          .protocol = sim::Protocol::Smtp};
    listener_ = std::make_unique<EchoListener>(io_, config, &bus_, silent_refusal);
    listener_->start();
    port_ = listener_->endpoint().port();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] { listener_->stop(); });
    wait_for_open(0);
    work_.reset();
    io_.stop();
    thread_.join();
    listener_.reset();
  }
  // The listener's count, read on its own thread.
  std::size_t open_sessions() {
    std::promise<std::size_t> open;
    auto f = open.get_future();
    asio::post(io_, [&] { open.set_value(listener_->open_sessions()); });
    return f.get();
  }
  bool wait_for_open(std::size_t n) {
    for (int i = 0; i < 250; ++i) {
      if (open_sessions() == n) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  sim::EventBus bus_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<EchoListener> listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(TcpListenerTest, PerClientCapRefusesTheNextConnectionWithTheFarewell) {
  start(10, 2);
  Client first(port_), second(port_);
  EXPECT_EQ(first.line(), "hello\r\n");
  EXPECT_EQ(second.line(), "hello\r\n");
  Client third(port_);
  EXPECT_EQ(third.line(), "busy for 127.0.0.1\r\n");
  EXPECT_TRUE(third.closed_by_server());
  // Another client address has places of its own (all of 127/8 is loopback).
  Client elsewhere(port_, "127.0.0.2");
  EXPECT_EQ(elsewhere.line(), "hello\r\n");
  EXPECT_TRUE(wait_for_open(3));
}

TEST_F(TcpListenerTest, TotalCapRefusesEveryClientWithItsOwnFarewell) {
  start(1, 5);
  Client first(port_);
  EXPECT_EQ(first.line(), "hello\r\n");
  Client second(port_, "127.0.0.2");
  EXPECT_EQ(second.line(), "busy\r\n");
  EXPECT_TRUE(second.closed_by_server());
}

TEST_F(TcpListenerTest, EmptyFarewellClosesWithoutAWord) {
  start(10, 1, /*silent_refusal=*/true);
  Client first(port_);
  EXPECT_EQ(first.line(), "hello\r\n");
  Client second(port_);
  EXPECT_TRUE(second.closed_by_server());
}

TEST_F(TcpListenerTest, AnEndedSessionFreesItsPlace) {
  start(10, 1);
  {
    Client first(port_);
    EXPECT_EQ(first.line(), "hello\r\n");
    ASSERT_TRUE(wait_for_open(1));
  }  // the client leaves; its session ends
  ASSERT_TRUE(wait_for_open(0));
  Client again(port_);
  EXPECT_EQ(again.line(), "hello\r\n");
}

TEST_F(TcpListenerTest, AnnouncesListeningAndStopShutsSessionsDown) {
  std::mutex mutex;
  std::vector<sim::Event> events;
  auto subscription = bus_.subscribe([&](const sim::Event& e) {
    std::lock_guard lock(mutex);
    events.push_back(e);
  });
  start(10, 5);
  Client first(port_);
  EXPECT_EQ(first.line(), "hello\r\n");
  ASSERT_TRUE(wait_for_open(1));
  asio::post(io_, [this] { listener_->stop(); });
  EXPECT_EQ(first.line(), "bye\r\n");
  EXPECT_TRUE(first.closed_by_server());
  EXPECT_TRUE(wait_for_open(0));
  // No longer accepting: the port is closed.
  EXPECT_THROW(Client late(port_), boost::system::system_error);

  bus_.flush();
  bus_.unsubscribe(subscription);
  std::lock_guard lock(mutex);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, sim::EventKind::Listening);
  EXPECT_EQ(events[0].protocol, sim::Protocol::Smtp);
  EXPECT_EQ(events[0].host, "mx.test");
  EXPECT_EQ(events[0].line, "TEST listening on 127.0.0.1:" + std::to_string(port_));
}

}  // namespace
}  // namespace mailflow::net
