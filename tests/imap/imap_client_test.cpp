// The lab's simulated IMAP reader against the in-process lab's IMAP (143, STARTTLS) and
// IMAPS (993) servers on the default world: downloading new mail and leaving it on the
// server marked read, two devices on one account, literals whose content looks like
// protocol, and what the server answers when the account settings are wrong.
#include <gtest/gtest.h>

#include <algorithm>

#include "servers/imap/imap_client.hpp"
#include "tests/net/reader_lab.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::imap {
namespace {

using net::ReaderOutcome;
using net::ReaderStage;
using net::ReaderTls;

using test::saw;

class ImapReader : public ::testing::Test {
 protected:
  net::ReaderResult fetch(net::ReaderOptions options, sim::Service service = sim::Service::Imaps) {
    auto fetch_mail_fn = [](net::tcp::endpoint server, net::ReaderOptions o) { return fetch_mail(server, std::move(o)); };
    return lab_.run(fetch_mail_fn, lab_.endpoint(service), std::move(options));
  }

  test::ReaderLab lab_;
};

TEST_F(ImapReader, DownloadsNewMailOverImapsAndLeavesItOnTheServerRead) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  lab_.deliver_to_bob(test::ReaderLab::letter("j-second"));
  auto r = fetch(lab_.bob(ReaderTls::Implicit));
  EXPECT_EQ(r.outcome, ReaderOutcome::Fetched) << r.error;
  EXPECT_TRUE(r.tls);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].bytes, test::ReaderLab::letter("j-first"));
  EXPECT_EQ(r.messages[0].journey, "j-first");
  EXPECT_EQ(r.messages[1].journey, "j-second");
  EXPECT_EQ(lab_.bob_messages(), 2u) << "IMAP deletes nothing";
  EXPECT_EQ(lab_.bob_unseen(), 0u) << "BODY[] set \\Seen";
  EXPECT_TRUE(saw(r, "OK LOGOUT completed"));
}

TEST_F(ImapReader, EachDeviceDownloadsALetterOnceAlthoughTheFirstMarksItRead) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  auto phone = fetch(lab_.bob(ReaderTls::Implicit));
  ASSERT_EQ(phone.messages.size(), 1u) << phone.error;

  auto again = lab_.bob(ReaderTls::Implicit);
  again.known = phone.known;
  auto phone_again = fetch(again);
  EXPECT_EQ(phone_again.outcome, ReaderOutcome::Fetched) << phone_again.error;
  EXPECT_TRUE(phone_again.messages.empty()) << "nothing new for the phone";

  auto laptop = fetch(lab_.bob(ReaderTls::Starttls), sim::Service::Imap);
  EXPECT_EQ(laptop.outcome, ReaderOutcome::Fetched) << laptop.error;
  EXPECT_TRUE(laptop.tls) << "STARTTLS before LOGIN";
  ASSERT_EQ(laptop.messages.size(), 1u) << "new to the laptop, though \\Seen";
  EXPECT_EQ(laptop.messages[0].journey, "j-first");
}

TEST_F(ImapReader, ALiteralIsReadByItsLengthWhateverItHolds) {
  // A body that looks like the end of a response and a tagged completion.
  const std::string body = "a line\r\n) m3 OK fake\r\n* 9 FETCH (UID 99 BODY[] {3}\r\n{5}\r\n";
  lab_.deliver_to_bob(test::ReaderLab::letter("j-tricky", body));
  auto r = fetch(lab_.bob(ReaderTls::Implicit));
  EXPECT_EQ(r.outcome, ReaderOutcome::Fetched) << r.error;
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].bytes, test::ReaderLab::letter("j-tricky", body));
}

TEST_F(ImapReader, AWrongPasswordShowsTheTaggedNo) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  auto options = lab_.bob(ReaderTls::Implicit);
  options.password = "wrong";
  auto r = fetch(options);
  EXPECT_EQ(r.outcome, ReaderOutcome::Refused);
  EXPECT_EQ(r.stage, ReaderStage::Login);
  EXPECT_NE(r.reply.find("NO [AUTHENTICATIONFAILED]"), std::string::npos) << r.reply;
  EXPECT_TRUE(saw(r, "NO [AUTHENTICATIONFAILED]"));
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(lab_.bob_unseen(), 1u);
}

TEST_F(ImapReader, AuthenticatePlainLogsInAsWellAsLogin) {
  lab_.deliver_to_bob(test::ReaderLab::letter("j-first"));
  auto options = lab_.bob(ReaderTls::Implicit);
  options.sasl_plain = true;
  auto r = fetch(options);
  EXPECT_EQ(r.outcome, ReaderOutcome::Fetched) << r.error;
  EXPECT_EQ(r.messages.size(), 1u);
}

TEST_F(ImapReader, APlaintextLoginIsRefusedWhenTheWorldForbidsPlaintextAuth) {
  auto r = fetch(lab_.bob(ReaderTls::None), sim::Service::Imap);
  EXPECT_EQ(r.outcome, ReaderOutcome::Refused);
  EXPECT_EQ(r.stage, ReaderStage::Login);
  EXPECT_NE(r.reply.find("NO [PRIVACYREQUIRED]"), std::string::npos) << r.reply;
}

TEST_F(ImapReader, AnEmptyInboxIsFetchedWithNothingToDownload) {
  auto r = fetch(lab_.bob(ReaderTls::Implicit));
  EXPECT_EQ(r.outcome, ReaderOutcome::Fetched) << r.error;
  EXPECT_TRUE(r.messages.empty());
}

}  // namespace
}  // namespace mailflow::imap
