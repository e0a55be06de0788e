// The POP3 and POP3S servers with real sockets on 127.0.0.1, a real MaildirStore in a
// temporary directory and the lab's own services (LabMail's authenticate): every command
// and error response, the maildrop lock, UPDATE-only deletion, stable UIDL across
// servers, STLS with pipelined plaintext, limits, events, and bad input that leaves
// everyone else served.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include "servers/lab_mail.hpp"
#include "servers/lab_mailboxes.hpp"
#include "servers/net/lab_ca.hpp"
#include "servers/net/tls.hpp"
#include "servers/pop3/pop3_server.hpp"
#include "servers/pop3/pop3_text.hpp"
#include "servers/smtp/sasl.hpp"
#include "sim/clock.hpp"
#include "tests/e2e/lab_process.hpp"
#include "tests/pop3/pop3_client.hpp"

namespace mailflow::pop3 {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::Pop3Client;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kAddress = "127.0.0.1";
constexpr const char* kHost = "mail.beta.test";

// One message as the MX stores it: CRLF text, with the journey header submission adds.
std::string letter(const std::string& subject, const std::string& journey = {}, const std::string& body = "Hello Bob.\r\n") {
  std::string m = "Return-Path: <alice@alpha.test>\r\n";
  if (!journey.empty()) m += "X-Mailflow-Journey: " + journey + "\r\n";
  return m + "From: alice@alpha.test\r\nTo: bob@beta.test\r\nSubject: " + subject + "\r\n\r\n" + body;
}

// A lab in miniature: the store, the world's users, the CA, and POP3 + POP3S servers on
// one io_context running on its own thread.
class Pop3Lab {
 public:
  explicit Pop3Lab(fs::path dir, Pop3Limits limits = {}, bool allow_plaintext = false,
                   std::shared_ptr<MaildropLocks> locks = nullptr)
      : dir_(std::move(dir)),
        world_(sim::default_world()),
        store_(dir_ / "mail"),
        clock_(60.0),
        mail_(world_, store_, clock_, &bus_),
        services_(world_, store_, mail_),
        ca_(net::LabCa::load_or_create(dir_ / "tls")) {
    subscription_ = bus_.subscribe([this](const sim::Event& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    });
    auto tls = net::make_server_context(ca_.host_certificate(kHost, kAddress), ca_.ca_file());
    if (!locks) locks = std::make_shared<MaildropLocks>();
    for (bool implicit : {false, true}) {
      Pop3ServerConfig config;
      config.implicit_tls = implicit;
      config.host_name = kHost;
      config.address = net::asio::ip::make_address(kAddress);
      config.limits = limits;
      config.tls = tls;
      config.allow_plaintext_auth = allow_plaintext;
      config.locks = locks;
      servers_.push_back(std::make_unique<Pop3Server>(io_, config, services_, &bus_));
      servers_.back()->start();
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Pop3Lab() {
    stop_servers();
    for (int i = 0; i < 100 && open_sessions() > 0; ++i) std::this_thread::sleep_for(20ms);
    io_.stop();
    thread_.join();
    bus_.unsubscribe(subscription_);
  }

  void stop_servers() {
    on_io([this] {
      for (auto& s : servers_) s->stop();
    });
  }
  int pop3_port() const { return servers_[0]->endpoint().port(); }
  int pop3s_port() const { return servers_[1]->endpoint().port(); }
  std::string ca_file() const { return ca_.ca_file().string(); }
  std::shared_ptr<sim::Mailbox> bob() { return store_.open("bob@beta.test", sim::Quota{}); }

  template <class F>
  std::invoke_result_t<F> on_io(F f) {
    std::packaged_task<std::invoke_result_t<F>()> task(std::move(f));
    auto result = task.get_future();
    net::asio::post(io_, [&task] { task(); });
    return result.get();
  }
  std::size_t open_sessions() {
    return on_io([this] { return servers_[0]->open_sessions() + servers_[1]->open_sessions(); });
  }
  // Waits (bounded) until every session has ended.
  bool drained() {
    for (int i = 0; i < 200; ++i) {
      if (open_sessions() == 0) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::vector<sim::Event> events() {
    bus_.flush();
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  fs::path dir_;
  sim::World world_;
  sim::EventBus bus_;
  sim::MaildirStore store_;
  sim::ScaledClock clock_;
  LabMail mail_;
  LabMailboxes services_;
  net::LabCa ca_;
  net::asio::io_context io_;
  // Keeps run() going between sessions, so on_io() always has a thread to run on.
  net::asio::executor_work_guard<net::asio::io_context::executor_type> work_ = net::asio::make_work_guard(io_);
  std::vector<std::unique_ptr<Pop3Server>> servers_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<sim::Event> events_;
  sim::EventBus::SubscriptionId subscription_ = 0;
};

class Pop3ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("mailflow-pop3"); }
  void TearDown() override {
    if (lab_) EXPECT_TRUE(lab_->drained()) << "no session may be left open (RELIABILITY.md: no leak)";
    lab_.reset();
    fs::remove_all(dir_);
  }
  Pop3Lab& lab(Pop3Limits limits = {}, bool allow_plaintext = false) {
    if (!lab_) lab_ = std::make_unique<Pop3Lab>(dir_, limits, allow_plaintext);
    return *lab_;
  }
  // Three letters in bob's INBOX; the second has a journey id and a line starting with ".".
  // Tests that need other limits call lab(limits) first.
  void deliver_three() {
    auto bob = lab().bob();
    ASSERT_TRUE(bob->deliver("INBOX", letter("first")).stored());
    ASSERT_TRUE(bob->deliver("INBOX", letter("second", "J20260101T000000-0001", "line one\r\n.dotted\r\n..two\r\n")).stored());
    ASSERT_TRUE(bob->deliver("INBOX", letter("third")).stored());
  }
  // A session logged in as bob over STLS, past the greeting and the login.
  std::unique_ptr<Pop3Client> bob_session(const std::string& login_reply = "\\+OK Logged in.*") {
    auto c = std::make_unique<Pop3Client>(kAddress, lab().pop3_port());
    EXPECT_THAT(c->line(), StartsWith("+OK"));
    EXPECT_THAT(c->command("STLS"), StartsWith("+OK Begin TLS"));
    EXPECT_TRUE(c->start_tls(lab().ca_file(), kHost));
    EXPECT_THAT(c->command("USER bob@beta.test"), StartsWith("+OK"));
    EXPECT_THAT(c->command("PASS bob-secret"), ::testing::MatchesRegex(login_reply));
    return c;
  }
  std::size_t inbox_count() { return lab().bob()->list("INBOX").value.size(); }

  fs::path dir_;
  std::unique_ptr<Pop3Lab> lab_;
};

TEST_F(Pop3ServerTest, GreetingCarriesAnApopTimestampAndCapaListsTheExtensions) {
  Pop3Client c(kAddress, lab().pop3_port());
  std::string greeting = c.line();
  EXPECT_THAT(greeting, ::testing::MatchesRegex("\\+OK mail\\.beta\\.test POP3 mailflow ready <[0-9]+\\.[0-9]+\\.[0-9]+@mail\\.beta\\.test>"));
  EXPECT_EQ(c.command("CAPA"), "+OK Capability list follows");
  EXPECT_EQ(c.body(), "TOP\r\nUIDL\r\nSTLS\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\nIMPLEMENTATION mailflow\r\n")
      << "no USER and no SASL PLAIN before TLS (RFC 2595 §4)";
  EXPECT_THAT(c.command("QUIT"), StartsWith("+OK mail.beta.test POP3 mailflow signing off"));
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(Pop3ServerTest, PasswordsAreRefusedBeforeTls) {
  Pop3Client c(kAddress, lab().pop3_port());
  c.line();
  EXPECT_EQ(c.command("USER bob@beta.test"), "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections; use STLS first");
  EXPECT_THAT(c.command("PASS bob-secret"), StartsWith("-ERR [AUTH] Plaintext"));
  EXPECT_THAT(c.command("AUTH PLAIN " + smtp::encode_sasl_plain("", "bob@beta.test", "bob-secret")), StartsWith("-ERR [AUTH] Plaintext"));
  EXPECT_THAT(c.command("STAT"), StartsWith("-ERR Command not valid in this state"));
}

TEST_F(Pop3ServerTest, PlaintextLoginWhenTheWorldAllowsIt) {
  lab({}, true);
  deliver_three();
  Pop3Client c(kAddress, lab().pop3_port());
  c.line();
  c.send("CAPA");
  c.line();
  EXPECT_THAT(c.body(), HasSubstr("USER\r\nSASL PLAIN\r\nSTLS\r\n"));
  EXPECT_THAT(c.command("USER bob@beta.test"), StartsWith("+OK"));
  EXPECT_EQ(c.command("PASS bob-secret"), "+OK Logged in: bob@beta.test has 3 messages (" +
                                              std::to_string(lab().bob()->usage().value.bytes) + " octets)");
}

TEST_F(Pop3ServerTest, TransactionCommandsOverStls) {
  deliver_three();
  auto listed = lab().bob()->list("INBOX").value;
  auto uidvalidity = lab().bob()->status("INBOX").value.uidvalidity;
  auto c = bob_session();
  std::uint64_t total = listed[0].size + listed[1].size + listed[2].size;
  EXPECT_EQ(c->command("STAT"), "+OK 3 " + std::to_string(total));
  EXPECT_EQ(c->command("LIST"), "+OK 3 messages (" + std::to_string(total) + " octets)");
  EXPECT_EQ(c->body(), "1 " + std::to_string(listed[0].size) + "\r\n2 " + std::to_string(listed[1].size) + "\r\n3 " +
                           std::to_string(listed[2].size) + "\r\n");
  EXPECT_EQ(c->command("LIST 2"), "+OK 2 " + std::to_string(listed[1].size));
  EXPECT_EQ(c->command("UIDL"), "+OK Unique-ID listing follows");
  EXPECT_EQ(c->body(), "1 " + unique_id(uidvalidity, listed[0].uid) + "\r\n2 " + unique_id(uidvalidity, listed[1].uid) +
                           "\r\n3 " + unique_id(uidvalidity, listed[2].uid) + "\r\n");
  EXPECT_EQ(c->command("UIDL 3"), "+OK 3 " + unique_id(uidvalidity, listed[2].uid));
  EXPECT_EQ(c->command("RETR 2"), "+OK " + std::to_string(listed[1].size) + " octets");
  EXPECT_EQ(c->body(), letter("second", "J20260101T000000-0001", "line one\r\n.dotted\r\n..two\r\n"))
      << "byte-stuffed on the wire, exact after un-stuffing";
  EXPECT_EQ(c->command("TOP 2 1"), "+OK Top of message follows");
  EXPECT_THAT(c->body(), ::testing::EndsWith("Subject: second\r\n\r\nline one\r\n"));
  EXPECT_EQ(c->command("TOP 1 0"), "+OK Top of message follows");
  EXPECT_THAT(c->body(), ::testing::EndsWith("Subject: first\r\n\r\n"));
  EXPECT_EQ(c->command("NOOP"), "+OK OK");
  EXPECT_EQ(c->command("DELE 1"), "+OK Message 1 deleted");
  EXPECT_EQ(c->command("DELE 1"), "-ERR Message already deleted");
  EXPECT_EQ(c->command("RETR 1"), "-ERR Message already deleted");
  EXPECT_EQ(c->command("LIST 1"), "-ERR Message already deleted");
  EXPECT_EQ(c->command("STAT"), "+OK 2 " + std::to_string(total - listed[0].size));
  c->send("LIST");
  c->line();
  EXPECT_THAT(c->body(), StartsWith("2 ")) << "deleted messages are not listed";
  EXPECT_EQ(c->command("RSET"), "+OK Maildrop has 3 messages (" + std::to_string(total) + " octets)");
  EXPECT_EQ(c->command("DELE 3"), "+OK Message 3 deleted");
  EXPECT_EQ(inbox_count(), 3u) << "DELE only marks (RFC 1939 §5)";
  EXPECT_EQ(c->command("QUIT"), "+OK mail.beta.test POP3 mailflow signing off (2 messages left)");
  EXPECT_TRUE(c->closed_by_server());
  ASSERT_TRUE(lab().drained());
  auto after = lab().bob()->list("INBOX").value;
  ASSERT_EQ(after.size(), 2u) << "UPDATE removed message 3";
  EXPECT_EQ(after[0].uid, listed[0].uid);
  EXPECT_EQ(after[1].uid, listed[1].uid);
  EXPECT_EQ(after[0].flags, "") << "TOP does not mark a message read";
  EXPECT_EQ(after[1].flags, "S") << "RETR marks it read at UPDATE";
}

TEST_F(Pop3ServerTest, EveryErrorResponse) {
  deliver_three();
  auto c = bob_session();
  struct Case {
    std::string line, reply;
  };
  const Case cases[] = {
      {"HELO x", "-ERR Unknown command"},
      {"", "-ERR Unknown command"},
      {"RETR", "-ERR Syntax: RETR msg"},
      {"RETR x", "-ERR Syntax: RETR msg"},
      {"TOP 1", "-ERR Syntax: TOP msg n"},
      {"LIST  1", "-ERR Syntax: LIST [msg]"},
      {"STAT 1", "-ERR Syntax: STAT"},
      {"RETR 0", "-ERR No such message, only 3 messages in maildrop"},
      {"RETR 4", "-ERR No such message, only 3 messages in maildrop"},
      {"DELE 99", "-ERR No such message, only 3 messages in maildrop"},
      {"UIDL 9", "-ERR No such message, only 3 messages in maildrop"},
      {"USER bob@beta.test", "-ERR Command not valid in this state"},
      {"STLS", "-ERR Command not valid in this state"},
      {"APOP bob@beta.test 00", "-ERR Command not valid in this state"},
      {std::string(300, 'N'), "-ERR Line too long"},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.line.substr(0, 20));
    EXPECT_EQ(c->command(k.line), k.reply);
  }
  EXPECT_EQ(c->command("NOOP"), "+OK OK") << "still serving after every error";
}

TEST_F(Pop3ServerTest, AuthorizationErrors) {
  Pop3Client c(kAddress, lab().pop3s_port());
  ASSERT_TRUE(c.start_tls(lab().ca_file(), kHost));
  c.line();
  EXPECT_EQ(c.command("STLS"), "-ERR TLS already active");
  EXPECT_EQ(c.command("PASS x"), "-ERR Send USER first");
  EXPECT_EQ(c.command("AUTH CRAM-MD5"), "-ERR Unsupported authentication mechanism");
  EXPECT_EQ(c.command("AUTH PLAIN not-base64!"), "-ERR Invalid SASL response");
  EXPECT_EQ(c.command("AUTH PLAIN"), "+ ");
  EXPECT_EQ(c.command("*"), "-ERR Authentication cancelled");
  EXPECT_EQ(c.command("AUTH"), "+OK Supported mechanisms follow");
  EXPECT_EQ(c.body(), "PLAIN\r\n");
  EXPECT_EQ(c.command("RETR 1"), "-ERR Command not valid in this state");
}

TEST_F(Pop3ServerTest, Pop3sWithAuthPlainInitialResponseAndContinuation) {
  deliver_three();
  {
    Pop3Client c(kAddress, lab().pop3s_port());
    ASSERT_TRUE(c.start_tls(lab().ca_file(), kHost));
    EXPECT_THAT(c.line(), StartsWith("+OK mail.beta.test POP3 mailflow ready"));
    c.send("CAPA");
    c.line();
    EXPECT_THAT(c.body(), HasSubstr("USER\r\nSASL PLAIN\r\nRESP-CODES")) << "no STLS inside TLS";
    EXPECT_THAT(c.command("AUTH PLAIN " + smtp::encode_sasl_plain("", "bob@beta.test", "bob-secret")), StartsWith("+OK Logged in"));
    EXPECT_THAT(c.command("STAT"), StartsWith("+OK 3 "));
    EXPECT_THAT(c.command("QUIT"), StartsWith("+OK"));
  }
  ASSERT_TRUE(lab().drained());
  Pop3Client c(kAddress, lab().pop3s_port());
  ASSERT_TRUE(c.start_tls(lab().ca_file(), kHost));
  c.line();
  EXPECT_EQ(c.command("AUTH PLAIN"), "+ ");
  EXPECT_EQ(c.command(smtp::encode_sasl_plain("", "bob@beta.test", "wrong")), "-ERR [AUTH] Authentication failed");
  EXPECT_EQ(c.command("AUTH PLAIN"), "+ ");
  EXPECT_THAT(c.command(smtp::encode_sasl_plain("bob@beta.test", "bob@beta.test", "bob-secret")), StartsWith("+OK Logged in"));
}

TEST_F(Pop3ServerTest, ApopLogsInWithTheGreetingTimestamp) {
  deliver_three();
  Pop3Client c(kAddress, lab().pop3_port());
  std::string greeting = c.line();
  std::string timestamp = greeting.substr(greeting.find('<'));
  EXPECT_EQ(c.command("APOP bob@beta.test " + apop_digest(timestamp, "wrong")), "-ERR [AUTH] Authentication failed");
  EXPECT_EQ(c.command("APOP nobody@beta.test " + apop_digest(timestamp, "bob-secret")), "-ERR [AUTH] Authentication failed");
  EXPECT_THAT(c.command("APOP bob@beta.test " + apop_digest(timestamp, "bob-secret")), StartsWith("+OK Logged in"))
      << "APOP needs no TLS: the password never crosses the wire";
}

TEST_F(Pop3ServerTest, TooManyFailedLoginsClose) {
  Pop3Client c(kAddress, lab().pop3s_port());
  ASSERT_TRUE(c.start_tls(lab().ca_file(), kHost));
  c.line();
  for (int i = 0; i < 3; ++i) {
    c.command("USER bob@beta.test");
    EXPECT_EQ(c.command("PASS nope"), "-ERR [AUTH] Authentication failed");
  }
  EXPECT_EQ(c.line(), "-ERR [AUTH] Too many authentication failures");
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(Pop3ServerTest, SecondSessionOnTheSameMaildropGetsInUse) {
  deliver_three();
  auto first = bob_session();
  auto second = bob_session("-ERR \\[IN-USE\\] Mailbox is locked by another POP3 session");
  EXPECT_THAT(second->command("STAT"), StartsWith("-ERR Command not valid")) << "still in AUTHORIZATION";
  // POP3S shares the lock.
  Pop3Client third(kAddress, lab().pop3s_port());
  ASSERT_TRUE(third.start_tls(lab().ca_file(), kHost));
  third.line();
  EXPECT_THAT(third.command("AUTH PLAIN " + smtp::encode_sasl_plain("", "bob@beta.test", "bob-secret")), StartsWith("-ERR [IN-USE]"));
  // Another user is not affected.
  EXPECT_THAT(third.command("AUTH PLAIN " + smtp::encode_sasl_plain("", "carol@beta.test", "carol-secret")), StartsWith("+OK Logged in"));
  EXPECT_THAT(first->command("QUIT"), StartsWith("+OK"));
  EXPECT_TRUE(first->closed_by_server());
  second->command("USER bob@beta.test");
  EXPECT_THAT(second->command("PASS bob-secret"), StartsWith("+OK Logged in")) << "the lock is released at the end";
}

TEST_F(Pop3ServerTest, DroppedConnectionDeletesNothingAndReleasesTheLock) {
  deliver_three();
  auto c = bob_session();
  EXPECT_THAT(c->command("DELE 1"), StartsWith("+OK"));
  EXPECT_THAT(c->command("DELE 2"), StartsWith("+OK"));
  c->send("RETR 3");
  c->drop();  // no QUIT: no UPDATE
  ASSERT_TRUE(lab().drained());
  EXPECT_EQ(inbox_count(), 3u);
  for (const auto& m : lab().bob()->list("INBOX").value) EXPECT_EQ(m.flags, "") << "nothing changed at all";
  auto again = bob_session();
  EXPECT_THAT(again->command("STAT"), StartsWith("+OK 3 "));
}

TEST_F(Pop3ServerTest, UidlIsStableAcrossServersOnTheSameStore) {
  deliver_three();
  std::string first_listing;
  {
    auto c = bob_session();
    c->send("UIDL");
    c->line();
    first_listing = c->body();
    c->command("DELE 1");
    c->command("QUIT");
    EXPECT_TRUE(c->closed_by_server());
  }
  ASSERT_TRUE(lab().drained());
  lab_.reset();  // a restart: new servers, a new MaildirStore on the same directory
  auto c = bob_session();
  c->send("UIDL");
  c->line();
  std::string second_listing = c->body();
  // Message 1 is gone; 2 and 3 are now 1 and 2 with the same unique-ids.
  auto id_of = [](const std::string& listing, int n) {
    std::istringstream in(listing);
    std::string number, id;
    for (int i = 0; i < n; ++i) in >> number >> id;
    return id;
  };
  EXPECT_EQ(id_of(second_listing, 1), id_of(first_listing, 2));
  EXPECT_EQ(id_of(second_listing, 2), id_of(first_listing, 3));
  EXPECT_FALSE(id_of(first_listing, 1).empty());
}

TEST_F(Pop3ServerTest, StlsDiscardsPlaintextPipelinedAfterIt) {
  Pop3Client c(kAddress, lab().pop3_port());
  c.line();
  // CVE-2011-0411: USER and CAPA sent in the same packet must not run inside TLS.
  c.send_raw("USER mallory\r\nSTLS\r\nCAPA\r\n");
  EXPECT_THAT(c.line(), StartsWith("-ERR [AUTH]"));
  EXPECT_EQ(c.line(), "+OK Begin TLS negotiation");
  ASSERT_TRUE(c.start_tls(lab().ca_file(), kHost));
  EXPECT_EQ(c.command("PASS x"), "-ERR Send USER first") << "the pipelined CAPA was not answered, nothing is remembered";
}

TEST_F(Pop3ServerTest, PipelinedCommandsAreAnsweredInOrder) {
  deliver_three();
  auto c = bob_session();
  c->send_raw("STAT\r\nLIST 1\r\nUIDL 1\r\nNOOP\r\nRETR 1\r\nNOOP\r\n");
  EXPECT_THAT(c->line(), StartsWith("+OK 3 "));
  EXPECT_THAT(c->line(), StartsWith("+OK 1 "));
  EXPECT_THAT(c->line(), StartsWith("+OK 1 "));
  EXPECT_EQ(c->line(), "+OK OK");
  EXPECT_THAT(c->line(), ::testing::EndsWith(" octets"));
  EXPECT_THAT(c->body(), HasSubstr("Subject: first"));
  EXPECT_EQ(c->line(), "+OK OK");
}

TEST_F(Pop3ServerTest, BadInputEndsThatSessionAndKeepsServingOthers) {
  Pop3Limits limits;
  limits.max_bad_commands = 5;
  Pop3Lab& l = lab(limits);
  deliver_three();
  Pop3Client bad(kAddress, l.pop3_port());
  bad.line();
  bad.send_raw(std::string("\x00\x01\xff garbage\r\n", 13) + std::string(5000, 'A') + "\r\nRETR 1\r\nX\r\n\r\nQUIT now\r\n");
  auto good = bob_session();
  for (int i = 0; i < 5; ++i) EXPECT_THAT(bad.line(), StartsWith("-ERR"));
  EXPECT_EQ(bad.line(), "-ERR Too many bad commands");
  EXPECT_TRUE(bad.closed_by_server());
  EXPECT_THAT(good->command("STAT"), StartsWith("+OK 3 "));
  Pop3Client fresh(kAddress, l.pop3_port());
  EXPECT_THAT(fresh.line(), StartsWith("+OK"));
  EXPECT_EQ(fresh.command("CAPA"), "+OK Capability list follows");
}

TEST_F(Pop3ServerTest, IdleSessionIsToldAndClosedWithoutDeleting) {
  Pop3Limits limits;
  limits.allow_below_rfc_minimums = true;
  limits.idle_timeout = 1s;
  lab(limits);
  deliver_three();
  auto c = bob_session();
  c->command("DELE 1");
  EXPECT_EQ(c->line(), "-ERR Disconnected for inactivity");
  EXPECT_TRUE(c->closed_by_server());
  ASSERT_TRUE(lab().drained());
  EXPECT_EQ(inbox_count(), 3u);
}

TEST_F(Pop3ServerTest, ConnectionCapAnswersSysTemp) {
  Pop3Limits limits;
  limits.max_connections_per_client = 1;
  Pop3Lab& l = lab(limits);
  Pop3Client first(kAddress, l.pop3_port());
  EXPECT_THAT(first.line(), StartsWith("+OK"));
  Pop3Client second(kAddress, l.pop3_port());
  EXPECT_EQ(second.line(), "-ERR [SYS/TEMP] Too many connections from 127.0.0.1, try again later");
  EXPECT_TRUE(second.closed_by_server());
}

TEST_F(Pop3ServerTest, LoginDelayRefusesLoginsThatComeTooSoon) {
  Pop3Limits limits;
  limits.login_delay = 60s;
  lab(limits);
  {
    auto c = bob_session();
    c->command("QUIT");
  }
  auto c = bob_session("-ERR \\[LOGIN-DELAY\\] Logging in too often; wait [0-9]+ seconds");
  c->send("CAPA");
  c->line();
  EXPECT_THAT(c->body(), HasSubstr("LOGIN-DELAY 60\r\n"));
}

TEST_F(Pop3ServerTest, EventsFollowTheJourneyAndNeverCarryThePassword) {
  deliver_three();
  {
    auto c = bob_session();
    c->command("RETR 2");
    c->body();
    c->command("DELE 2");
    c->command("QUIT");
    EXPECT_TRUE(c->closed_by_server());
  }
  ASSERT_TRUE(lab().drained());
  const std::string journey = "J20260101T000000-0001";
  bool fetched = false, deleted = false, tls = false, auth = false, transaction = false, update = false;
  for (const auto& e : lab().events()) {
    if (e.protocol != sim::Protocol::Pop3) continue;
    EXPECT_EQ(e.line.find("bob-secret"), std::string::npos) << e.line;
    if (e.kind == sim::EventKind::Fetched) fetched = e.journey == journey && e.line.find("RETR 2") == 0;
    if (e.kind == sim::EventKind::Deleted) deleted = e.journey == journey;
    if (e.kind == sim::EventKind::Tls) tls = true;
    if (e.kind == sim::EventKind::Auth && e.line.find("logged in as bob@beta.test") != std::string::npos) auth = true;
    if (e.kind == sim::EventKind::State && e.line.find("transaction:") == 0) transaction = true;
    if (e.kind == sim::EventKind::State && e.line.find("update:") == 0) update = true;
  }
  EXPECT_TRUE(fetched) << "RETR publishes Fetched with the message's journey id";
  EXPECT_TRUE(deleted) << "UPDATE publishes Deleted with the journey id";
  EXPECT_TRUE(tls);
  EXPECT_TRUE(auth);
  EXPECT_TRUE(transaction);
  EXPECT_TRUE(update);
}

TEST_F(Pop3ServerTest, ShutdownTellsOpenSessionsAndDeletesNothing) {
  deliver_three();
  auto c = bob_session();
  c->command("DELE 1");
  lab().stop_servers();
  EXPECT_EQ(c->line(), "-ERR [SYS/TEMP] Server shutting down");
  EXPECT_TRUE(c->closed_by_server());
  ASSERT_TRUE(lab().drained());
  EXPECT_EQ(inbox_count(), 3u);
}

}  // namespace
}  // namespace mailflow::pop3
