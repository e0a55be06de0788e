// The lab's simulated POP3 reader against the in-process lab's POP3 (110, STLS) and POP3S
// (995) servers on the default world: downloading and deleting, leaving mail on the server
// without fetching it twice, and what the server answers when the account settings are
// wrong (a password, plaintext where the world wants TLS, a certificate for another name).
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "servers/pop3/pop3_client.hpp"
#include "tests/net/reader_lab.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::pop3 {
namespace {

using net::ReaderOutcome;
using net::ReaderStage;
using net::ReaderTls;

using test::saw;

class Pop3Reader : public ::testing::Test {
 protected:
  net::ReaderResult fetch(net::ReaderOptions options, sim::Service service = sim::Service::Pop3s) {
    auto fetch_mail_fn = [](net::tcp::endpoint server, net::ReaderOptions o) { return fetch_mail(server, std::move(o)); };
    return lab_.run(fetch_mail_fn, lab_.endpoint(service), std::move(options));
  }

  test::ReaderLab lab_;
};

TEST_F(Pop3Reader, DownloadsEveryMessageOverPop3sAndDeletesItFromTheServer) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  lab_.deliver_to_bob(test::ReaderLab::letter("j-second"));
  std::mutex mutex;
  std::vector<sim::Event> fetched;
  auto record = [&](const sim::Event& e) {
    std::lock_guard lock(mutex);
    if (e.host == "bob-device" && e.kind == sim::EventKind::Fetched) fetched.push_back(e);
  };
  auto subscription = lab_.lab().bus().subscribe(record);

  auto r = fetch(lab_.bob(ReaderTls::Implicit));
  EXPECT_EQ(r.outcome, ReaderOutcome::Fetched) << r.error;
  EXPECT_TRUE(r.tls);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].bytes, test::ReaderLab::letter("j-first")) << "byte-stuffing undone";
  EXPECT_EQ(r.messages[0].journey, "j-first");
  EXPECT_EQ(r.messages[1].journey, "j-second");
  EXPECT_EQ(lab_.bob_messages(), 0u) << "DELE, then QUIT removes them";

  lab_.lab().bus().flush();
  lab_.lab().bus().unsubscribe(subscription);
  ASSERT_EQ(fetched.size(), 2u) << "the journey ends on the reader's screen";
  EXPECT_EQ(fetched[0].journey, "j-first");
  EXPECT_EQ(fetched[0].protocol, sim::Protocol::Pop3);
}

TEST_F(Pop3Reader, LeavingMailOnTheServerDownloadsEachMessageOnce) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  auto options = lab_.bob(ReaderTls::Implicit);
  options.leave_on_server = true;
  auto first = fetch(options);
  EXPECT_EQ(first.outcome, ReaderOutcome::Fetched) << first.error;
  EXPECT_EQ(first.messages.size(), 1u);
  EXPECT_EQ(first.known.size(), 1u) << "the UIDL is remembered";
  EXPECT_EQ(lab_.bob_messages(), 1u) << "no DELE";

  options.known = first.known;
  auto second = fetch(options);
  EXPECT_EQ(second.outcome, ReaderOutcome::Fetched) << second.error;
  EXPECT_TRUE(second.messages.empty()) << "nothing new";

  lab_.deliver_to_bob(test::ReaderLab::letter("j-later"));
  options.known = second.known;
  auto third = fetch(options);
  ASSERT_EQ(third.messages.size(), 1u) << "only the new one";
  EXPECT_EQ(third.messages[0].journey, "j-later");
  EXPECT_EQ(lab_.bob_messages(), 2u);
}

TEST_F(Pop3Reader, AWrongPasswordShowsTheServersAuthErrorAndDownloadsNothing) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  auto options = lab_.bob(ReaderTls::Implicit);
  options.password = "wrong";
  auto r = fetch(options);
  EXPECT_EQ(r.outcome, ReaderOutcome::Refused);
  EXPECT_EQ(r.stage, ReaderStage::Login);
  EXPECT_EQ(r.reply.rfind("-ERR [AUTH]", 0), 0u) << r.reply;
  EXPECT_TRUE(saw(r, "-ERR [AUTH]"));
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(lab_.bob_messages(), 1u);
}

TEST_F(Pop3Reader, StlsEncryptsThePlaintextPortBeforeTheLogin) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  auto r = fetch(lab_.bob(ReaderTls::Starttls), sim::Service::Pop3);
  EXPECT_EQ(r.outcome, ReaderOutcome::Fetched) << r.error;
  EXPECT_TRUE(r.tls);
  EXPECT_EQ(r.messages.size(), 1u);
}

TEST_F(Pop3Reader, AuthPlainLogsInAsWellAsUserAndPass) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  auto options = lab_.bob(ReaderTls::Implicit);
  options.sasl_plain = true;
  auto r = fetch(options);
  EXPECT_EQ(r.outcome, ReaderOutcome::Fetched) << r.error;
  EXPECT_EQ(r.messages.size(), 1u);
}

TEST_F(Pop3Reader, APlaintextLoginIsRefusedWhenTheWorldForbidsPlaintextAuth) {
  auto r = fetch(lab_.bob(ReaderTls::None), sim::Service::Pop3);
  EXPECT_EQ(r.outcome, ReaderOutcome::Refused);
  EXPECT_EQ(r.stage, ReaderStage::Login);
  EXPECT_FALSE(r.tls);
  EXPECT_NE(r.reply.find("STLS"), std::string::npos) << r.reply;
}

TEST_F(Pop3Reader, ACertificateForAnotherNameFailsTheHandshake) {
  auto options = lab_.bob(ReaderTls::Implicit);
  options.tls_server_name = "mail.alpha.test";  // the lab CA signed mail.beta.test's certificate for its own name
  auto r = fetch(options);
  EXPECT_EQ(r.outcome, ReaderOutcome::TlsFailed);
  EXPECT_EQ(r.stage, ReaderStage::StartTls);
  EXPECT_TRUE(r.saw.empty()) << "no password went anywhere";
}

}  // namespace
}  // namespace mailflow::pop3
