// The fault catalogue inside the real SMTP servers: with a fault switched on in the lab's
// FaultSet, a plain socket conversation with mx.beta.test meets exactly the reply (or the
// silence, the reset, the refused connection) the real trouble produces, the trigger's
// filters and counts decide which attempts, and switching the fault off heals it live.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/e2e/smtp_conversation.hpp"
#include "tests/smtp/fault_lab.hpp"

namespace mailflow::smtp {
namespace {

using namespace std::chrono_literals;
using e2e::SmtpConversation;
using sim::FaultKind;

constexpr const char* kMx = "mx.beta.test";

class SmtpFaults : public ::testing::Test {
 protected:
  std::unique_ptr<SmtpConversation> connect(int timeout_ms = 5000) {
    return std::make_unique<SmtpConversation>(lab_.address(kMx), lab_.port(kMx, sim::Service::Smtp), timeout_ms);
  }
  // Greeting, EHLO and MAIL from alice: the conversation stands where RCPT comes next.
  std::unique_ptr<SmtpConversation> at_rcpt() {
    auto c = connect();
    EXPECT_TRUE(c->expect("220 *"));
    c->send("EHLO mx.alpha.test");
    EXPECT_TRUE(c->expect("250*"));
    c->send("MAIL FROM:<alice@alpha.test>");
    EXPECT_TRUE(c->expect("250 2.1.0*"));
    return c;
  }
  std::string rcpt(SmtpConversation& c, const std::string& to) {
    c.send("RCPT TO:<" + to + ">");
    return c.read_reply();
  }
  // Until the io thread has acted on a fault change (server_down opens and closes sockets).
  bool eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 100; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  testing_support::FaultLab lab_;
};

TEST_F(SmtpFaults, EachRecipientFaultIsItsReplyToRcpt) {
  struct Case {
    FaultKind kind;
    std::string pattern;
  };
  const Case cases[] = {
      {FaultKind::UnknownUser, "550 5.1.1 <bob@beta.test>: Recipient address rejected: User unknown\r\n"},
      {FaultKind::UserNotLocal, "551 5.1.6 <bob@beta.test>: User not local; please try <bob@gamma.test>\r\n"},
      {FaultKind::MailboxFull, "552 5.2.2 <bob@beta.test>: * Mailbox full\r\n"},
      {FaultKind::MailboxFullTemporary, "452 4.2.2 <bob@beta.test>: * Mailbox full, try again later\r\n"},
      {FaultKind::RelayDenied, "554 5.7.1 <bob@beta.test>: Relay access denied\r\n"},
      {FaultKind::Greylisting, "451 4.7.1 <bob@beta.test>: * Greylisted, try again later\r\n"},
  };
  for (const auto& c : cases) {
    const std::string name(sim::fault_info(c.kind).name);
    SCOPED_TRACE(name);
    sim::FaultParams params;
    if (c.kind == FaultKind::UserNotLocal) params.value = "bob@gamma.test";
    lab_.add(name, c.kind, kMx, {}, params);
    auto conversation = at_rcpt();
    const std::string got = rcpt(*conversation, "bob@beta.test");
    EXPECT_TRUE(e2e::glob_match(c.pattern, got)) << got;
    EXPECT_EQ(lab_.fault_events("'" + name + "'"), 1u) << "the fault that fired is an event";
    ASSERT_TRUE(lab_.faults().remove(name));
  }
  EXPECT_EQ(lab_.inbox_count("bob"), 0u);
}

TEST_F(SmtpFaults, SenderFaultsRefuseMailFrom) {
  lab_.add("bad", FaultKind::BadSender, kMx, {.sender = "@alpha.test"});
  auto c = connect();
  ASSERT_TRUE(c->expect("220 *"));
  c->send("EHLO mx.alpha.test");
  ASSERT_TRUE(c->expect("250*"));
  c->send("MAIL FROM:<alice@alpha.test>");
  EXPECT_TRUE(c->expect("553 5.1.8 <alice@alpha.test>: Sender address rejected: Domain not found"));
  lab_.faults().remove("bad");
  lab_.add("banned", FaultKind::UnauthorizedSender, kMx);
  c->send("MAIL FROM:<alice@alpha.test>");
  EXPECT_TRUE(c->expect("553 5.7.1 <alice@alpha.test>: Sender address rejected: *"));
  c->send("RCPT TO:<bob@beta.test>");
  EXPECT_TRUE(c->expect("503 5.5.1*")) << "a refused sender starts no transaction";
}

TEST_F(SmtpFaults, DataFaultsRefuseAfterTheFinalDotAndStoreNothing) {
  sim::FaultParams policy;
  policy.text = "Message rejected: looks like spam";
  lab_.add("spam", FaultKind::PolicyRejection, kMx, {}, policy);
  auto c = at_rcpt();
  ASSERT_TRUE(e2e::glob_match("250 2.1.5*", rcpt(*c, "bob@beta.test")));
  c->send("DATA");
  ASSERT_TRUE(c->expect("354 *"));
  c->send_raw("Subject: buy\r\n\r\nnow\r\n.\r\n");
  EXPECT_TRUE(c->expect("554 5.7.1 Message rejected: looks like spam"));
  lab_.faults().remove("spam");

  lab_.add("big", FaultKind::MessageTooLarge, kMx);
  c->send("MAIL FROM:<alice@alpha.test>");
  ASSERT_TRUE(c->expect("250 2.1.0*"));
  ASSERT_TRUE(e2e::glob_match("250 2.1.5*", rcpt(*c, "bob@beta.test")));
  c->send("DATA");
  ASSERT_TRUE(c->expect("354 *"));
  c->send_raw("Subject: big\r\n\r\nlarge\r\n.\r\n");
  EXPECT_TRUE(c->expect("552 5.3.4 *"));
  EXPECT_EQ(lab_.inbox_count("bob"), 0u);
}

TEST_F(SmtpFaults, ServiceUnavailableGreets421AndHangsUp) {
  lab_.add("closed", FaultKind::ServiceUnavailable, kMx);
  auto c = connect();
  EXPECT_TRUE(c->expect("421 4.3.2 mx.beta.test Service not available, closing transmission channel"));
  EXPECT_TRUE(c->closed_by_server());
}

TEST_F(SmtpFaults, ServiceUnavailable554AnswersOnlyQuit) {
  sim::FaultParams permanent;
  permanent.value = "554";
  lab_.add("no-service", FaultKind::ServiceUnavailable, kMx, {}, permanent);
  auto c = connect();
  EXPECT_TRUE(c->expect("554 5.3.2 mx.beta.test No SMTP service here"));
  c->send("EHLO mx.alpha.test");
  EXPECT_TRUE(c->expect("503 5.5.1 *"));
  c->send("QUIT");
  EXPECT_TRUE(c->expect("221 *"));
}

TEST_F(SmtpFaults, GreylistingFirstAttemptDeferredTheRetryAccepted) {
  lab_.add("grey", FaultKind::Greylisting, kMx, {.mode = sim::TriggerMode::FirstN, .count = 1});
  {
    auto first = at_rcpt();
    EXPECT_TRUE(e2e::glob_match("451 4.7.1 *", rcpt(*first, "bob@beta.test")));
  }
  auto retry = at_rcpt();
  EXPECT_TRUE(e2e::glob_match("250 2.1.5*", rcpt(*retry, "bob@beta.test")));
}

TEST_F(SmtpFaults, ARecipientFilterRefusesOnlyThatRecipient) {
  lab_.add("no-bob", FaultKind::UnknownUser, kMx, {.recipient = "bob@beta.test"});
  auto c = at_rcpt();
  EXPECT_TRUE(e2e::glob_match("550 5.1.1 *", rcpt(*c, "bob@beta.test")));
  EXPECT_TRUE(e2e::glob_match("250 2.1.5*", rcpt(*c, "carol@beta.test")));
}

TEST_F(SmtpFaults, SwitchingAFaultOffHealsTheNextCommand) {
  lab_.add("full", FaultKind::MailboxFull, kMx);
  auto c = at_rcpt();
  EXPECT_TRUE(e2e::glob_match("552 5.2.2 *", rcpt(*c, "bob@beta.test")));
  ASSERT_TRUE(lab_.faults().set_enabled("full", false));
  EXPECT_TRUE(e2e::glob_match("250 2.1.5*", rcpt(*c, "bob@beta.test")));
}

TEST_F(SmtpFaults, DisconnectInDataDropsTheConnectionWithoutAReply) {
  lab_.add("cut", FaultKind::DisconnectInData, kMx);
  auto c = at_rcpt();
  ASSERT_TRUE(e2e::glob_match("250 2.1.5*", rcpt(*c, "bob@beta.test")));
  c->send("DATA");
  ASSERT_TRUE(c->expect("354 *"));
  c->send_raw("Subject: half\r\n\r\nthe first half of the letter\r\n");
  EXPECT_EQ(c->read_reply(), "") << "no reply, ever";
  EXPECT_EQ(lab_.inbox_count("bob"), 0u) << "nothing of the message is stored";
}

TEST_F(SmtpFaults, SlowRepliesWaitBeforeEachReply) {
  sim::FaultParams slow;
  slow.delay = 300ms;
  lab_.add("slow", FaultKind::SlowReplies, kMx, {}, slow);
  const auto start = std::chrono::steady_clock::now();
  auto c = connect();
  ASSERT_TRUE(c->expect("220 *"));
  c->send("NOOP");
  ASSERT_TRUE(c->expect("250 *"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 600ms) << "the greeting and the NOOP reply each waited";
}

TEST_F(SmtpFaults, ServerDownRefusesConnectionsUntilSwitchedOff) {
  lab_.add("down", FaultKind::ServerDown, kMx);
  EXPECT_TRUE(eventually([&] { return !connect()->connected(); })) << "connect() is refused by the kernel";
  ASSERT_TRUE(lab_.faults().set_enabled("down", false));
  EXPECT_TRUE(eventually([&] { return connect()->connected(); }));
  EXPECT_TRUE(connect()->expect("220 *"));
}

TEST_F(SmtpFaults, ServerDownForTheFirstAttemptResetsThatConnectionOnly) {
  lab_.add("blip", FaultKind::ServerDown, kMx, {.mode = sim::TriggerMode::FirstN, .count = 1});
  {
    auto first = connect();
    ASSERT_TRUE(first->connected());
    EXPECT_EQ(first->read_reply(), "") << "reset before the greeting";
  }
  EXPECT_TRUE(connect()->expect("220 *"));
}

TEST_F(SmtpFaults, FirewallDropLeavesTheClientWaitingInSilence) {
  lab_.add("drop", FaultKind::FirewallDrop, kMx);
  auto c = connect(700);
  ASSERT_TRUE(c->connected());
  EXPECT_EQ(c->read_reply(), "") << "nothing comes back before the client's time-out";
  EXPECT_EQ(lab_.fault_events("'drop'"), 1u);
}

TEST_F(SmtpFaults, AFaultForAnotherHostLeavesThisOneAlone) {
  lab_.add("elsewhere", FaultKind::UnknownUser, "mx.alpha.test");
  auto c = at_rcpt();
  EXPECT_TRUE(e2e::glob_match("250 2.1.5*", rcpt(*c, "bob@beta.test")));
}

}  // namespace
}  // namespace mailflow::smtp
