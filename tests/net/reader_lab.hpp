// The in-process lab (tests/support/in_process_lab.hpp) for the tests of the lab's
// simulated POP3 and IMAP readers: where mail.beta.test
// listens, the lab CA, bob's mailbox to put letters in and count, and one fetch run to
// its end on an io_context of the test's own.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "servers/lab.hpp"
#include "servers/net/mail_reader.hpp"
#include "servers/net/tls.hpp"
#include "tests/support/in_process_lab.hpp"

namespace mailflow::test {

// Whether the server sent a line containing `text`.
inline bool saw(const net::ReaderResult& r, std::string_view text) {
  return std::any_of(r.saw.begin(), r.saw.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

class ReaderLab : public testing_support::InProcessLab {
 public:
  ReaderLab() : InProcessLab("reader_" + std::string(testing::UnitTest::GetInstance()->current_test_suite()->name())) {}

  net::tcp::endpoint endpoint(sim::Service service) const { return InProcessLab::endpoint("mail.beta.test", service); }

  // bob's account as a reader with `tls` (trusting the lab CA, checking mail.beta.test).
  net::ReaderOptions bob(net::ReaderTls tls) const {
    net::ReaderOptions o;
    o.tls = tls;
    if (tls != net::ReaderTls::None) {
      net::TlsClientOptions client;
      client.ca_file = ca_file();
      o.tls_context = net::make_client_context(client);
      o.tls_server_name = "mail.beta.test";
    }
    o.login = "bob@beta.test";
    o.password = "bob-secret";
    o.timeouts = {std::chrono::seconds(2), std::chrono::seconds(5), std::chrono::seconds(10)};
    o.bus = &lab().bus();
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

 private:
  std::shared_ptr<sim::Mailbox> bob_mailbox() {
    const sim::User* user = lab().served_world().find_user_by_address("bob@beta.test");
    return lab().store().open("bob@beta.test", user->quota);
  }

};

}  // namespace mailflow::test
