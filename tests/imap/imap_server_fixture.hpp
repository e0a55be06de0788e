// The IMAP server test fixture: a real socket on 127.0.0.1, a real MaildirStore in a
// temporary directory, a tiny ImapServices, an event bus, and a blocking client.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "servers/imap/imap_server.hpp"
#include "servers/net/asio.hpp"
#include "sim/event_bus.hpp"
#include "sim/maildir_store.hpp"

namespace mailflow::imap::imap_test {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

class TestServices : public ImapServices {
 public:
  explicit TestServices(sim::MaildirStore& store) : store_(store) {
    bob_.address = "bob@beta.test";
    bob_.login = "bob@beta.test";
    bob_.password = "secret";
  }
  const sim::User* authenticate(const std::string& login, const std::string& password) override {
    return login == bob_.login && password == bob_.password ? &bob_ : nullptr;
  }
  std::shared_ptr<sim::Mailbox> mailbox_of(const sim::User& user) override { return store_.open(user.address, user.quota); }

 private:
  sim::MaildirStore& store_;
  sim::User bob_;
};

// A blocking client: send a command, read every line up to its tagged status.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    greeting = line();
  }
  std::string line() {
    asio::read_until(socket_, buffer_, "\r\n");
    std::istream in(&buffer_);
    std::string l;
    std::getline(in, l);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    return l;
  }
  // The whole response, untagged lines included, each ending in "\n".
  std::string command(const std::string& text) {
    std::string tag = "a" + std::to_string(++counter_);
    send(tag + " " + text + "\r\n");
    std::string all;
    while (true) {
      std::string l = line();
      all += l + "\n";
      if (l.rfind(tag + " ", 0) == 0) return all;
    }
  }
  void send(const std::string& raw) { asio::write(socket_, asio::buffer(raw)); }
  std::string greeting;

 private:
  asio::io_context io_;
  tcp::socket socket_;
  asio::streambuf buffer_;
  int counter_ = 0;
};

inline std::string letter(const std::string& subject) {
  return "From: alice@alpha.test\r\nTo: bob@beta.test\r\nSubject: " + subject + "\r\n\r\nHello Bob.\r\n";
}

class ImapServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mailflow-imap-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    store_ = std::make_unique<sim::MaildirStore>(dir_ / "mail");
    services_ = std::make_unique<TestServices>(*store_);
    ImapServerConfig config;
    config.host_name = "mail.beta.test";
    config.address = asio::ip::make_address("127.0.0.1");
    config.allow_plaintext_auth = true;
    server_ = std::make_unique<ImapServer>(io_, config, *services_, &bus_);
    server_->start();
    port_ = server_->endpoint().port();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->stop(); });
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(20ms);
      std::promise<std::size_t> open;
      auto f = open.get_future();
      asio::post(io_, [&] { open.set_value(server_->open_sessions()); });
      if (f.get() == 0) break;
    }
    work_.reset();
    io_.stop();
    thread_.join();
    server_.reset();
    fs::remove_all(dir_);
  }
  void deliver(const std::string& subject) { deliver_bytes(letter(subject)); }
  void deliver_bytes(const std::string& bytes) {
    ASSERT_TRUE(mailbox()->deliver("INBOX", bytes).stored());
  }
  std::shared_ptr<sim::Mailbox> mailbox() { return store_->open("bob@beta.test", sim::Quota{}); }

  fs::path dir_;
  sim::EventBus bus_;  // declared before the server, so it outlives it
  asio::io_context io_;
  std::unique_ptr<sim::MaildirStore> store_;
  std::unique_ptr<TestServices> services_;
  std::unique_ptr<ImapServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  // Keeps io_.run() going after the last session ended, so TearDown can still post.
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
};


inline bool has(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

// Every event the bus delivers, for tests to inspect after bus.flush().
class EventLog {
 public:
  explicit EventLog(sim::EventBus& bus) : bus_(bus) {
    id_ = bus_.subscribe([this](const sim::Event& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    });
  }
  ~EventLog() { bus_.unsubscribe(id_); }
  std::vector<sim::Event> of(sim::EventKind kind) {
    bus_.flush();
    std::lock_guard lock(mutex_);
    std::vector<sim::Event> out;
    for (const auto& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

 private:
  sim::EventBus& bus_;
  sim::EventBus::SubscriptionId id_ = 0;
  std::mutex mutex_;
  std::vector<sim::Event> events_;
};

}  // namespace mailflow::imap::imap_test
