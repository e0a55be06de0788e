// The default world's lab, in process on a port offset of its own and serving on a thread,
// for the tests of the lab's simulated POP3 and IMAP readers: where mail.beta.test
// listens, the lab CA, bob's mailbox to put letters in and count, and one fetch run to
// its end on an io_context of the test's own.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "servers/lab.hpp"
#include "servers/net/mail_reader.hpp"
#include "servers/net/tls.hpp"

namespace mailflow::test {

class ReaderLab {
 public:
  ReaderLab() {
    dir_ = std::filesystem::path(testing::TempDir()) /
           ("reader_" + std::string(testing::UnitTest::GetInstance()->current_test_suite()->name()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::mt19937 pick(std::random_device{}());
    for (int attempt = 0; attempt < 20 && !lab_; ++attempt) {
      sim::World world = sim::default_world();
      world.port_offset = static_cast<std::uint16_t>(20000 + pick() % 40000);
      LabOptions options;
      options.state_dir = dir_;
      options.trace_file.clear();
      auto lab = std::make_unique<Lab>(world, options);
      try {
        lab->start();
        lab_ = std::move(lab);
      } catch (const LabError&) {
        // a port of this offset is taken: try another
      }
    }
    if (!lab_) throw std::runtime_error("no free port offset");
    thread_ = std::thread([this] { lab_->run(); });
  }
  ~ReaderLab() {
    lab_->stop();
    thread_.join();
  }

  net::tcp::endpoint endpoint(sim::Service service) const {
    const sim::World& w = lab_->served_world();
    const sim::Host* h = w.find_host("mail.beta.test");
    return {net::asio::ip::make_address(h->address), w.port_of(*h, service)};
  }

  // bob's account as a reader with `tls` (trusting the lab CA, checking mail.beta.test).
  net::ReaderOptions bob(net::ReaderTls tls) const {
    net::ReaderOptions o;
    o.tls = tls;
    if (tls != net::ReaderTls::None) {
      net::TlsClientOptions client;
      client.ca_file = lab_->ca_file();
      o.tls_context = net::make_client_context(client);
      o.tls_server_name = "mail.beta.test";
    }
    o.login = "bob@beta.test";
    o.password = "bob-secret";
    o.timeouts = {std::chrono::seconds(2), std::chrono::seconds(5), std::chrono::seconds(10)};
    o.bus = &lab_->bus();
    o.host_name = "bob-device";
    return o;
  }

  // A letter in bob's INBOX, as the MX would have stored it (with a journey id).
  // The body's line ".leading dot" is dot-stuffed by a POP3 server on the way.
  static std::string letter(const std::string& journey, const std::string& body = "Hello Bob.\r\n.leading dot\r\n") {
    return "X-Mailflow-Journey: " + journey + "\r\nFrom: <alice@alpha.test>\r\nTo: <bob@beta.test>\r\n"
           "Subject: a letter\r\n\r\n" + body;
  }
  void deliver_to_bob(const std::string& message) { ASSERT_TRUE(bob_mailbox()->deliver("INBOX", message).stored()); }
  std::uint64_t bob_messages() {
    auto status = bob_mailbox()->status("INBOX");
    return status.ok() ? status.value.messages : 999;
  }
  std::uint64_t bob_unseen() {
    auto status = bob_mailbox()->status("INBOX");
    return status.ok() ? status.value.unseen : 999;
  }

  // Runs fetch (pop3::fetch_mail or imap::fetch_mail) to its end.
  template <class Fetch>
  net::ReaderResult run(Fetch fetch, net::tcp::endpoint server, net::ReaderOptions options) {
    net::asio::io_context io;
    std::optional<net::ReaderResult> result;
    auto play = [&]() -> net::awaitable<void> { result = co_await fetch(server, options); };
    net::asio::co_spawn(io, play(), net::asio::detached);
    io.run_for(std::chrono::seconds(30));
    if (!result) ADD_FAILURE() << "the fetch did not finish";
    return result.value_or(net::ReaderResult{});
  }

  Lab& lab() { return *lab_; }

 private:
  std::shared_ptr<sim::Mailbox> bob_mailbox() {
    const sim::User* user = lab_->served_world().find_user_by_address("bob@beta.test");
    return lab_->store().open("bob@beta.test", user->quota);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Lab> lab_;
  std::thread thread_;
};

}  // namespace mailflow::test
