// End to end: how the relay finds its way (RFC 5321 §5.1) and how the MX enforces its
// limits — a dead primary MX, a domain with no MX, mail that waits in the queue across a
// restart, full mailboxes, and the connection and error caps, all on real sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/e2e/lab_process.hpp"
#include "tests/e2e/smtp_conversation.hpp"

namespace mailflow::e2e {
namespace {

using namespace std::chrono_literals;

// A world like the default one, with beta.test's MX list and extra YAML spliced in.
std::string lab_world(const std::string& beta_mx, const std::string& extra_domains = {},
                      const std::string& extra_hosts = {}, const std::string& carol_quota = "{ bytes: 20K, messages: 5 }") {
  return "name: routing\n"
         "domains:\n"
         "  - name: lab.test\n"
         "  - name: alpha.test\n"
         "    mx: [{ host: mx.alpha.test, preference: 10 }]\n"
         "  - name: beta.test\n"
         "    mx: " + beta_mx + "\n" + extra_domains +
         "hosts:\n"
         "  - { name: ns.lab.test, address: 127.10.0.53, services: [dns] }\n"
         "  - { name: smtp.alpha.test, address: 127.10.1.1, services: [submission, smtps] }\n"
         "  - { name: mx.alpha.test, address: 127.10.1.2, services: [smtp] }\n"
         "  - { name: mx.beta.test, address: 127.10.2.2, services: [smtp] }\n"
         "  - { name: mx-dead.beta.test, address: 127.10.2.9, services: [] }\n" + extra_hosts +
         "users:\n"
         "  - { address: alice@alpha.test, password: alice-secret }\n"
         "  - { address: bob@beta.test, password: bob-secret }\n"
         "  - { address: carol@beta.test, password: carol-secret, quota: " + carol_quota + " }\n";
}

class WorldFile {
 public:
  explicit WorldFile(const std::string& yaml) : dir_(make_temp_dir("mailflow-world")) { std::ofstream(path()) << yaml; }
  ~WorldFile() { std::filesystem::remove_all(dir_); }
  std::filesystem::path path() const { return dir_ / "world.yaml"; }

 private:
  std::filesystem::path dir_;
};

std::size_t count_messages(const std::filesystem::path& maildir) {
  std::size_t n = 0;
  for (const char* sub : {"new", "cur"}) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(maildir / sub, ec); !ec && it != std::filesystem::directory_iterator(); ++it) ++n;
  }
  return n;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls until pred() holds or the limit passes; returns pred()'s last value.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 15s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

std::filesystem::path maildir_of(const LabProcess& lab, const std::string& user) {
  for (const auto& u : lab.ready()["users"]) {
    if (u["address"] == user) return std::string(u["maildir"]);
  }
  return {};
}

int port_of(const LabProcess& lab, const std::string& host, const std::string& service) {
  for (const auto& h : lab.ready()["hosts"]) {
    if (h["name"] == host) return h["ports"][service];
  }
  return 0;
}

std::string trace_of(const LabProcess& lab) { return read_all(lab.state_dir() / "state" / "trace.jsonl"); }

CommandResult submit(const LabProcess& lab, const std::string& to, const std::string& subject) {
  return run_command({"swaks", "--server", "127.10.1.1", "--port", std::to_string(port_of(lab, "smtp.alpha.test", "submission")),
                      "--tls", "--tls-ca-path", std::string(lab.ready()["ca_file"]), "--auth", "PLAIN", "--auth-user",
                      "alice@alpha.test", "--auth-password", "alice-secret", "--from", "alice@alpha.test", "--to", to,
                      "--header", "Subject: " + subject});
}

TEST(SmtpRouting, DeadPrimaryMxFallsBackToTheNextPreference) {
  WorldFile world(lab_world("[{ host: mx-dead.beta.test, preference: 5 }, { host: mx.beta.test, preference: 10 }]"));
  LabProcess lab({"--world", world.path().string()});
  auto r = submit(lab, "bob@beta.test", "via the backup MX");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto bob = maildir_of(lab, "bob@beta.test");
  ASSERT_TRUE(eventually([&] { return count_messages(bob) == 1; })) << lab.output();
  std::string trace = trace_of(lab);
  EXPECT_NE(trace.find("connect to mx-dead.beta.test[127.10.2.9"), std::string::npos) << "the failed first try is an event";
  EXPECT_NE(trace.find("relaying to mx.beta.test [127.10.2.2"), std::string::npos);
}

TEST(SmtpRouting, DomainWithoutMxUsesItsAddressRecord) {
  // RFC 5321 §5.1: no MX records, so the domain's own A record is the mail host.
  WorldFile world(lab_world("[{ host: mx.beta.test, preference: 10 }]", "  - name: delta.test\n",
                            "  - { name: delta.test, address: 127.10.5.1, services: [smtp] }\n") +
                  "  - { address: dave@delta.test, password: dave-secret }\n");
  LabProcess lab({"--world", world.path().string()});
  auto r = submit(lab, "dave@delta.test", "to a domain without MX");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto dave = maildir_of(lab, "dave@delta.test");
  ASSERT_TRUE(eventually([&] { return count_messages(dave) == 1; })) << lab.output();
  EXPECT_NE(trace_of(lab).find("implicit MX from the A record"), std::string::npos);
}

TEST(SmtpRouting, QueuedMailSurvivesARestartAndIsDeliveredAfterIt) {
  // A server migration: while beta.test's only MX is down, the message waits in
  // smtp.alpha.test's queue; the lab restarts with the MX back, and the queue resumes.
  auto work = make_temp_dir("mailflow-restart");
  {
    WorldFile down(lab_world("[{ host: mx-dead.beta.test, preference: 10 }]"));
    LabProcess lab({"--world", down.path().string()}, work);
    auto r = submit(lab, "bob@beta.test", "waits for the restart");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_TRUE(eventually([&] { return trace_of(lab).find("\"kind\":\"deferred\"") != std::string::npos; })) << lab.output();
    EXPECT_EQ(lab.stop(), 0);
  }
  WorldFile up(lab_world("[{ host: mx.beta.test, preference: 10 }]"));
  LabProcess lab({"--world", up.path().string()}, work);
  auto bob = maildir_of(lab, "bob@beta.test");
  EXPECT_TRUE(eventually([&] { return count_messages(bob) == 1; }, 30s)) << lab.output();
  EXPECT_NE(trace_of(lab).find("resuming 1 queued message"), std::string::npos);
  std::filesystem::remove_all(work);
}

TEST(SmtpLimits, FullMailboxGets552AtRcpt) {
  WorldFile world(lab_world("[{ host: mx.beta.test, preference: 10 }]"));
  LabProcess lab({"--world", world.path().string()});
  int port = port_of(lab, "mx.beta.test", "smtp");
  for (int i = 0; i < 5; ++i) {
    auto r = run_command({"swaks", "--server", "127.10.2.2", "--port", std::to_string(port), "--from", "x@elsewhere.example",
                          "--to", "carol@beta.test"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  SmtpConversation c("127.10.2.2", port);
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO client.example");
  ASSERT_TRUE(c.expect("250 SMTPUTF8"));
  c.send("MAIL FROM:<x@elsewhere.example>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<carol@beta.test>");
  EXPECT_TRUE(c.expect("552 5.2.2 <carol@beta.test>: Recipient address rejected: Mailbox full"));
}

TEST(SmtpLimits, TemporaryQuotaGets452) {
  WorldFile world(lab_world("[{ host: mx.beta.test, preference: 10 }]", "", "", "{ bytes: 1K, messages: 1, temporary: true }"));
  LabProcess lab({"--world", world.path().string()});
  int port = port_of(lab, "mx.beta.test", "smtp");
  ASSERT_EQ(run_command({"swaks", "--server", "127.10.2.2", "--port", std::to_string(port), "--from", "x@elsewhere.example",
                         "--to", "carol@beta.test"}).exit_code, 0);
  SmtpConversation c("127.10.2.2", port);
  ASSERT_TRUE(c.expect("220 *"));
  c.send("HELO client.example");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("MAIL FROM:<x@elsewhere.example>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<carol@beta.test>");
  EXPECT_TRUE(c.expect("452 4.2.2 *"));
}

TEST(SmtpLimits, TooManyErrorsEndTheSessionWith421) {
  LabProcess lab;
  SmtpConversation c("127.10.2.2", port_of(lab, "mx.beta.test", "smtp"));
  ASSERT_TRUE(c.expect("220 *"));
  std::string last;
  // The tenth error gets its 500 and then the 421; keep reading until the 421 shows.
  for (int i = 0; i < 12; ++i) {
    c.send("BOGUS " + std::to_string(i));
    last = c.read_reply();
    if (last.rfind("421", 0) == 0) break;
  }
  EXPECT_NE(last.find("421 4.7.0"), std::string::npos) << last;
  EXPECT_TRUE(c.closed_by_server());
}

TEST(SmtpLimits, TooManyConnectionsFromOneClientGet421) {
  LabProcess lab;
  int port = port_of(lab, "mx.beta.test", "smtp");
  std::vector<std::unique_ptr<SmtpConversation>> open;
  for (int i = 0; i < 20; ++i) {
    open.push_back(std::make_unique<SmtpConversation>("127.10.2.2", port));
    ASSERT_TRUE(open.back()->expect("220 *")) << i;
  }
  SmtpConversation extra("127.10.2.2", port);
  EXPECT_TRUE(extra.expect("421 4.7.0 *too many connections from 127.0.0.1"));
  open.clear();
  EXPECT_TRUE(eventually([&] {
    SmtpConversation again("127.10.2.2", port);
    return again.expect("220 *");
  }, 5s)) << "the slots are free again once the sessions end";
}

}  // namespace
}  // namespace mailflow::e2e

namespace mailflow::e2e {
namespace {

TEST(SmtpLimits, OneFullMailboxAmongSeveralRecipientsIsBouncedAndTheRestDelivered) {
  WorldFile world(lab_world("[{ host: mx.beta.test, preference: 10 }]", "", "", "{ bytes: 1K, messages: 1 }"));
  LabProcess lab({"--world", world.path().string()});
  int port = port_of(lab, "mx.beta.test", "smtp");
  // A 2 KiB message: bob takes it, carol's 1 KiB mailbox cannot.
  std::string body;
  for (int i = 0; i < 20; ++i) body += std::string(100, 'x') + "\r\n";
  SmtpConversation c("127.10.2.2", port);
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO mx.alpha.test");
  ASSERT_TRUE(c.expect("250 SMTPUTF8"));
  c.send("MAIL FROM:<alice@alpha.test>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<bob@beta.test>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<carol@beta.test>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("DATA");
  ASSERT_TRUE(c.expect("354 *"));
  c.send_raw("Subject: big\r\n\r\n" + body + ".\r\n");
  EXPECT_TRUE(c.expect("250 *"));
  EXPECT_TRUE(eventually([&] { return count_messages(maildir_of(lab, "bob@beta.test")) == 1; }));
  auto alice = maildir_of(lab, "alice@alpha.test");
  ASSERT_TRUE(eventually([&] { return count_messages(alice) == 1; })) << lab.output();
  std::string bounce;
  for (const char* sub : {"new", "cur"}) {
    for (const auto& e : std::filesystem::directory_iterator(alice / sub)) bounce = read_all(e.path());
  }
  EXPECT_NE(bounce.find("Final-Recipient: rfc822; carol@beta.test"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Status: 5.2.2"), std::string::npos) << bounce;
  EXPECT_EQ(bounce.find("Final-Recipient: rfc822; bob@beta.test"), std::string::npos) << bounce;
}

}  // namespace
}  // namespace mailflow::e2e

namespace mailflow::e2e {
namespace {

TEST(SmtpRouting, UndeliverableMailBouncesWhenItsLifetimeEnds) {
  // beta.test's only MX is down for good. Lab time runs 100,000 times faster, so the
  // five-day queue lifetime (Postfix maximal_queue_lifetime) passes in about 4 seconds,
  // with the retries in between, and the sender gets a "delivery time expired" bounce.
  WorldFile world(lab_world("[{ host: mx-dead.beta.test, preference: 10 }]"));
  LabProcess lab({"--world", world.path().string(), "--time-scale", "100000"});
  auto r = submit(lab, "bob@beta.test", "never arrives");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto alice = maildir_of(lab, "alice@alpha.test");
  ASSERT_TRUE(eventually([&] { return count_messages(alice) == 1; }, 40s)) << lab.output();
  std::string bounce;
  for (const char* sub : {"new", "cur"}) {
    for (const auto& e : std::filesystem::directory_iterator(alice / sub)) bounce = read_all(e.path());
  }
  EXPECT_NE(bounce.find("Final-Recipient: rfc822; bob@beta.test"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Status: 4.4.7"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Subject: never arrives"), std::string::npos) << bounce;
  std::string trace = trace_of(lab);
  EXPECT_NE(trace.find("next attempt in"), std::string::npos) << "it was deferred and retried first";
}

}  // namespace
}  // namespace mailflow::e2e

namespace mailflow::e2e {
namespace {

TEST(SmtpLimits, IdleClientIsToldWhyWith421AndDisconnected) {
  // RFC 5321 §4.5.3.2.7: a server may close an idle session; it says 421 first.
  WorldFile world(lab_world("[{ host: mx.beta.test, preference: 10 }]") + "settings:\n  smtp: { idle_timeout: 1s }\n");
  LabProcess lab({"--world", world.path().string()});
  SmtpConversation c("127.10.2.2", port_of(lab, "mx.beta.test", "smtp"), 5000);
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO client.example");
  ASSERT_TRUE(c.expect("250 SMTPUTF8"));
  // Say nothing for longer than the time-out.
  EXPECT_TRUE(c.expect("421 4.4.2 mx.beta.test Error: timeout exceeded"));
  EXPECT_TRUE(c.closed_by_server());
}

TEST(SmtpLimits, ClientVanishingBeforeTheFinalDotLeavesNothingBehind) {
  // RELIABILITY.md, the ledger: no 250, so the message must appear nowhere.
  LabProcess lab;
  {
    SmtpConversation c("127.10.2.2", port_of(lab, "mx.beta.test", "smtp"));
    ASSERT_TRUE(c.expect("220 *"));
    c.send("HELO client.example");
    ASSERT_TRUE(c.expect("250 *"));
    c.send("MAIL FROM:<x@elsewhere.example>");
    ASSERT_TRUE(c.expect("250 *"));
    c.send("RCPT TO:<bob@beta.test>");
    ASSERT_TRUE(c.expect("250 *"));
    c.send("DATA");
    ASSERT_TRUE(c.expect("354 *"));
    c.send_raw("Subject: half a letter\r\n\r\nand then the line went dead");
  }  // the connection closes here, without the final dot
  // The session notices the end of the stream; then a fresh session still works.
  SmtpConversation again("127.10.2.2", port_of(lab, "mx.beta.test", "smtp"));
  EXPECT_TRUE(again.expect("220 *"));
  EXPECT_TRUE(eventually([&] { return trace_of(lab).find("connection lost") != std::string::npos; }, 5s));
  auto bob = maildir_of(lab, "bob@beta.test");
  EXPECT_EQ(count_messages(bob), 0u);
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(bob / "tmp", ec)) << "no half-written file either";
}

}  // namespace
}  // namespace mailflow::e2e

namespace mailflow::e2e {
namespace {

TEST(SmtpMx, AcceptsPostmasterForEveryDomainItServes) {
  // RFC 5321 §4.5.1 and §4.1.1.3: postmaster@domain and a bare <Postmaster> are accepted;
  // beta.test has no postmaster user, so its first user (bob) holds the role, and gets
  // one copy for the two names.
  WorldFile world(lab_world("[{ host: mx.beta.test, preference: 10 }]"));
  LabProcess lab({"--world", world.path().string()});
  int port = port_of(lab, "mx.beta.test", "smtp");
  SmtpConversation c("127.10.2.2", port);
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO client.example");
  ASSERT_TRUE(c.expect("250 SMTPUTF8"));
  c.send("MAIL FROM:<x@elsewhere.example>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<PostMaster@beta.test>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<Postmaster>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<postmaster@alpha.test>");
  ASSERT_TRUE(c.expect("554 5.7.1 *")) << "another domain's postmaster is still relaying";
  c.send("DATA");
  ASSERT_TRUE(c.expect("354 *"));
  c.send("Subject: to the postmaster\r\n\r\nhello\r\n.");
  ASSERT_TRUE(c.expect("250 *"));
  auto bob = maildir_of(lab, "bob@beta.test");
  ASSERT_TRUE(eventually([&] { return count_messages(bob) >= 1; })) << lab.output();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(count_messages(bob), 1u);
}

}  // namespace
}  // namespace mailflow::e2e

namespace mailflow::e2e {
namespace {

TEST(SmtpJourney, EveryHopsConversationCarriesTheMessagesJourneyId) {
  WorldFile world(lab_world("[{ host: mx.beta.test, preference: 10 }]"));
  LabProcess lab({"--world", world.path().string()});
  auto r = submit(lab, "bob@beta.test", "follow me");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto bob = maildir_of(lab, "bob@beta.test");
  ASSERT_TRUE(eventually([&] { return count_messages(bob) == 1; })) << lab.output();
  // The trace is written by the bus thread: wait for the delivery to show there too.
  ASSERT_TRUE(eventually([&] { return trace_of(lab).find("\"kind\":\"delivered\"") != std::string::npos; }));

  std::map<std::string, std::set<std::string>> mail_lines;  // host -> journeys of its MAIL commands
  std::string delivered_journey;
  std::istringstream lines(trace_of(lab));
  for (std::string line; std::getline(lines, line);) {
    const auto event = nlohmann::json::parse(line);
    if (event["kind"] == "command" && std::string(event["line"]).rfind("MAIL FROM", 0) == 0) {
      mail_lines[event["host"]].insert(std::string(event.value("journey", "")));
    }
    if (event["kind"] == "delivered") delivered_journey = event["journey"];
  }
  ASSERT_FALSE(delivered_journey.empty());
  EXPECT_EQ(mail_lines["smtp.alpha.test"], std::set<std::string>{delivered_journey}) << "the submission hop";
  EXPECT_EQ(mail_lines["mx.beta.test"], std::set<std::string>{delivered_journey}) << "the relay-to-MX hop, server side";
}

}  // namespace
}  // namespace mailflow::e2e
