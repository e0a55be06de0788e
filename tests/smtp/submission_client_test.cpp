// The SMTP client as the lab's simulated senders use it: submitting to the lab's own
// submission (587, STARTTLS then AUTH) and SMTPS (465, implicit TLS) servers, run in
// process on the default world. What the account settings get wrong is what the server
// answers: a wrong password 535 5.7.8, no TLS 530 5.7.0.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "servers/lab.hpp"
#include "servers/net/tls.hpp"
#include "servers/smtp/smtp_client.hpp"
#include "tests/support/in_process_lab.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::smtp {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The default world's lab, in this process.
class InProcessLab : public testing_support::InProcessLab {
 public:
  InProcessLab() : testing_support::InProcessLab("submission_client") {}
};

class SubmissionClient : public ::testing::Test {
 protected:
  ClientOptions alice(bool tls = true) {
    ClientOptions o;
    o.helo_name = "alice-laptop.alpha.test";
    if (tls) {
      net::TlsClientOptions client;
      client.ca_file = lab_.ca_file();
      o.tls = net::make_client_context(client);
      o.verify_certificate = true;
      o.tls_server_name = "smtp.alpha.test";
    }
    o.auth = ClientCredentials{"alice@alpha.test", "alice-secret"};
    o.timeouts = {2s, 5s, 5s, 5s, 5s, 10s};
    return o;
  }
  DeliveryAttempt submit(sim::Service service, ClientOptions options) {
    ClientEnvelope envelope{"alice@alpha.test", {"bob@beta.test"}, "Subject: from the simulated sender\r\n\r\nHi Bob.\r\n"};
    net::asio::io_context io;
    std::optional<DeliveryAttempt> result;
    auto run = [&]() -> net::awaitable<void> {
      result = co_await deliver(lab_.endpoint("smtp.alpha.test", service), envelope, options);
    };
    net::asio::co_spawn(io, run(), net::asio::detached);
    io.run_for(20s);
    return result.value_or(DeliveryAttempt{});
  }
  bool wait_for_bob(std::size_t n) {
    for (int i = 0; i < 200; ++i) {
      if (lab_.inbox_count("bob") >= n) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }

  InProcessLab lab_;
};

TEST_F(SubmissionClient, SubmitsWithStarttlsAndAuthAndTheLetterReachesBob) {
  auto a = submit(sim::Service::Submission, alice());
  EXPECT_EQ(a.outcome, AttemptOutcome::Delivered) << a.error;
  EXPECT_TRUE(a.tls);
  ASSERT_EQ(a.recipients.size(), 1u);
  EXPECT_EQ(a.recipients[0].reply.code, 250);
  EXPECT_TRUE(wait_for_bob(1)) << "relayed through DNS to mx.beta.test";
}

TEST_F(SubmissionClient, SubmitsOverImplicitTlsOnSmtps) {
  ClientOptions o = alice();
  o.implicit_tls = true;
  auto a = submit(sim::Service::Smtps, o);
  EXPECT_EQ(a.outcome, AttemptOutcome::Delivered) << a.error;
  EXPECT_TRUE(a.tls);
}

TEST_F(SubmissionClient, AWrongPasswordIsRefusedWith535) {
  ClientOptions o = alice();
  o.auth->password = "wrong";
  auto a = submit(sim::Service::Submission, o);
  EXPECT_EQ(a.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(a.stage, AttemptStage::Auth);
  EXPECT_EQ(a.reply.code, 535);
  EXPECT_EQ(a.reply.enhanced, "5.7.8");
}

TEST_F(SubmissionClient, AuthWithoutTlsIsRefusedWith530) {
  auto a = submit(sim::Service::Submission, alice(false));
  EXPECT_EQ(a.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(a.stage, AttemptStage::Auth);
  EXPECT_EQ(a.reply.code, 530);
  EXPECT_EQ(a.reply.enhanced, "5.7.0");
  EXPECT_FALSE(a.tls);
}

}  // namespace
}  // namespace mailflow::smtp
