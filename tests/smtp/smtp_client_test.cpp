// The relay's SMTP client (smtp_client.hpp) against a scripted fake SMTP server on
// loopback: the plain dialogue, PIPELINING (RFC 2920 §3.1), dot-stuffing (RFC 5321 §4.5.2),
// per-recipient outcomes (§3.3), greeting refusals (§4.3.2), time-outs (§4.5.3.2), hostile
// replies (over-long lines, endless multi-line replies), STARTTLS with a lab certificate
// (RFC 3207) and the HELO fallback (§3.2). Every test is bounded in time; none sleeps.
#include "servers/smtp/smtp_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>

#include "servers/net/lab_ca.hpp"
#include "servers/net/tls.hpp"
#include "sim/event.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::smtp {
namespace {

using namespace std::chrono_literals;
namespace asio = net::asio;
namespace fs = std::filesystem;
using net::awaitable;
using net::tcp;
using net::use_awaitable;

constexpr const char* kFakeServerAddress = "127.10.9.7";
constexpr auto kTestBound = 10s;  // no delivery in these tests may take longer

// A fake SMTP server for one connection. It answers each line it receives from a script
// (the first reply whose prefix matches, else a sensible default) and records, in order,
// what it received ("C: ...") and what it sent ("S: ..."). Like a real server it sends the
// replies to pipelined commands once it has read everything waiting (RFC 2920 §3.1).
class FakeSmtpServer {
 public:
  // Answers the end of the message data (the dot line) under this key.
  static constexpr const char* kEndOfData = "<end of data>";

  explicit FakeSmtpServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls = nullptr)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address(kFakeServerAddress), 0)),
        tls_context_(tls ? std::move(tls) : std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server)),
        stream_(tcp::socket(io), *tls_context_),
        endpoint_(acceptor_.local_endpoint()) {}

  tcp::endpoint endpoint() const { return endpoint_; }

  void start() { asio::co_spawn(acceptor_.get_executor(), serve(), asio::detached); }
  void stop() {
    net::error_code ignored;
    acceptor_.close(ignored);
    stream_.next_layer().close(ignored);
  }

  // The script. An empty greeting: the server never speaks.
  std::string greeting = "220 mx.beta.test ESMTP fake\r\n";
  std::string ehlo = "250-mx.beta.test\r\n250 8BITMIME\r\n";
  std::vector<std::pair<std::string, std::string>> replies;  // line prefix -> reply
  // When set, from MAIL on no reply is sent before a line with this prefix arrived: a
  // client that waits for each reply would wait for ever (it times out instead), so only
  // a pipelining client passes.
  std::string hold_replies_until;

  // What happened, in order.
  std::vector<std::string> log;
  std::string data;  // the message data as it came over the wire, final ".\r\n" included
  bool tls_active = false;

  std::ptrdiff_t position(std::string_view entry) const {
    auto it = std::find(log.begin(), log.end(), entry);
    return it == log.end() ? -1 : it - log.begin();
  }
  bool received(std::string_view line) const { return position("C: " + std::string(line)) >= 0; }

 private:
  std::string reply_for(const std::string& line) const {
    for (const auto& [prefix, reply] : replies) {
      if (line.rfind(prefix, 0) == 0) return reply;
    }
    if (line.rfind("EHLO", 0) == 0) return ehlo;
    if (line.rfind("HELO", 0) == 0) return "250 mx.beta.test\r\n";
    if (line.rfind("MAIL", 0) == 0) return "250 2.1.0 Ok\r\n";
    if (line.rfind("RCPT", 0) == 0) return "250 2.1.5 Ok\r\n";
    if (line == "DATA") return "354 End data with <CR><LF>.<CR><LF>\r\n";
    if (line == kEndOfData) return "250 2.0.0 Ok: queued as 1\r\n";
    if (line == "STARTTLS") return "220 2.0.0 Ready to start TLS\r\n";
    if (line == "QUIT") return "221 2.0.0 Bye\r\n";
    return "500 5.5.1 Command unrecognized\r\n";
  }

  awaitable<void> send(const std::string& text) {
    log.push_back("S: " + text.substr(0, text.find("\r\n")));
    if (tls_active) {
      co_await asio::async_write(stream_, asio::buffer(text), use_awaitable);
    } else {
      co_await asio::async_write(stream_.next_layer(), asio::buffer(text), use_awaitable);
    }
  }

  awaitable<void> read_more(std::string& input) {
    char chunk[4096];
    std::size_t n = tls_active ? co_await stream_.async_read_some(asio::buffer(chunk), use_awaitable)
                               : co_await stream_.next_layer().async_read_some(asio::buffer(chunk), use_awaitable);
    input.append(chunk, n);
  }

  awaitable<void> serve() {
    try {
      co_await acceptor_.async_accept(stream_.next_layer(), use_awaitable);
      std::string input;
      if (greeting.empty()) {
        while (true) co_await read_more(input);  // until the client gives up
      }
      co_await send(greeting);
      std::vector<std::string> held;  // replies not sent yet
      bool holding = false;
      bool in_data = false;
      while (true) {
        if (in_data) {
          // RFC 5321 §4.1.1.4: the data ends with <CRLF>.<CRLF> (DATA's line gave the first CRLF).
          auto end = input.rfind(".\r\n", 0) == 0 ? 0 : input.find("\r\n.\r\n");
          if (end == std::string::npos) {
            co_await read_more(input);
            continue;
          }
          std::size_t length = end == 0 ? 3 : end + 5;
          data = input.substr(0, length);
          input.erase(0, length);
          in_data = false;
          log.push_back(std::string("C: ") + kEndOfData);
          held.push_back(reply_for(kEndOfData));
        }
        auto lf = input.find("\r\n");
        if (lf == std::string::npos) {
          if (!holding) {
            for (const auto& reply : held) co_await send(reply);
            held.clear();
          }
          co_await read_more(input);
          continue;
        }
        std::string line = input.substr(0, lf);
        input.erase(0, lf + 2);
        log.push_back("C: " + line);
        if (!hold_replies_until.empty() && line.rfind("MAIL", 0) == 0) holding = true;
        if (holding && line.rfind(hold_replies_until, 0) == 0) holding = false;
        std::string reply = reply_for(line);
        held.push_back(reply);
        if (line == "DATA" && reply.rfind("354", 0) == 0) {
          for (const auto& r : held) co_await send(r);
          held.clear();
          in_data = true;
        } else if (line == "STARTTLS" && reply.rfind("220", 0) == 0) {
          for (const auto& r : held) co_await send(r);
          held.clear();
          co_await stream_.async_handshake(asio::ssl::stream_base::server, use_awaitable);
          tls_active = true;
          log.push_back("TLS");
          input.clear();  // RFC 3207 §4.2
        } else if (line == "QUIT") {
          for (const auto& r : held) co_await send(r);
          stop();
          co_return;
        }
      }
    } catch (const std::exception& e) {
      log.push_back(std::string("closed: ") + e.what());
    }
  }

  tcp::acceptor acceptor_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  net::TlsStream stream_;
  tcp::endpoint endpoint_;
};

class SmtpClientTest : public ::testing::Test {
 protected:
  ClientOptions options() const {
    ClientOptions o;
    o.helo_name = "smtp.alpha.test";
    o.host_name = "smtp.alpha.test";
    o.tls_server_name = "mx.beta.test";
    o.timeouts = ClientTimeouts{2s, 2s, 2s, 2s, 2s, 2s};
    return o;
  }

  static ClientEnvelope envelope(std::vector<std::string> recipients = {"bob@beta.test"},
                                 std::string message = "Subject: hi\r\n\r\nHello Bob.\r\n") {
    return ClientEnvelope{"alice@alpha.test", std::move(recipients), std::move(message)};
  }

  // Runs one delivery to server (started here) or to endpoint, bounded by kTestBound.
  DeliveryAttempt run(FakeSmtpServer* server, tcp::endpoint endpoint, ClientEnvelope env, ClientOptions opts) {
    if (server) server->start();
    std::optional<DeliveryAttempt> result;
    asio::co_spawn(io_, deliver(endpoint, std::move(env), std::move(opts)),
                   [&](std::exception_ptr error, DeliveryAttempt attempt) {
                     EXPECT_FALSE(error) << "deliver() must not throw";
                     if (!error) result = std::move(attempt);
                     if (server) server->stop();
                   });
    io_.run_for(kTestBound);
    EXPECT_TRUE(result.has_value()) << "the delivery did not finish within the bound";
    return result.value_or(DeliveryAttempt{});
  }
  DeliveryAttempt run(FakeSmtpServer& server, ClientEnvelope env, ClientOptions opts) {
    return run(&server, server.endpoint(), std::move(env), std::move(opts));
  }

  asio::io_context io_;
};

TEST_F(SmtpClientTest, DeliversWithoutPipeliningOneCommandAtATime) {
  FakeSmtpServer server(io_);
  auto attempt = run(server, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Delivered) << attempt.error;
  EXPECT_EQ(attempt.stage, AttemptStage::DataEnd);
  EXPECT_EQ(attempt.reply.code, 250);
  EXPECT_EQ(attempt.remote_greeting, "220 mx.beta.test ESMTP fake");
  EXPECT_EQ(attempt.remote, server.endpoint().address().to_string() + ":" + std::to_string(server.endpoint().port()));
  ASSERT_EQ(attempt.recipients.size(), 1u);
  EXPECT_TRUE(attempt.recipients[0].delivered());
  EXPECT_EQ(attempt.recipients[0].reply.enhanced, "2.0.0");
  EXPECT_FALSE(attempt.tls);
  // Without PIPELINING every command waits for its reply.
  std::vector<std::string> expected = {"S: 220 mx.beta.test ESMTP fake",
                                       "C: EHLO smtp.alpha.test",
                                       "S: 250-mx.beta.test",
                                       "C: MAIL FROM:<alice@alpha.test>",
                                       "S: 250 2.1.0 Ok",
                                       "C: RCPT TO:<bob@beta.test>",
                                       "S: 250 2.1.5 Ok",
                                       "C: DATA",
                                       "S: 354 End data with <CR><LF>.<CR><LF>",
                                       "C: <end of data>",
                                       "S: 250 2.0.0 Ok: queued as 1",
                                       "C: QUIT",
                                       "S: 221 2.0.0 Bye"};
  EXPECT_EQ(server.log, expected);
  EXPECT_EQ(server.data, "Subject: hi\r\n\r\nHello Bob.\r\n.\r\n");
}

TEST_F(SmtpClientTest, PipelinesMailRcptAndDataInOneGroup) {
  FakeSmtpServer server(io_);
  server.ehlo = "250-mx.beta.test\r\n250-SIZE 10240000\r\n250 pipelining\r\n";  // keywords are case-insensitive
  server.hold_replies_until = "DATA";
  auto attempt = run(server, envelope({"bob@beta.test", "carol@beta.test"}), options());

  ASSERT_EQ(attempt.outcome, AttemptOutcome::Delivered) << attempt.error;
  auto mail = server.position("C: MAIL FROM:<alice@alpha.test> SIZE=27");
  auto rcpt_bob = server.position("C: RCPT TO:<bob@beta.test>");
  auto rcpt_carol = server.position("C: RCPT TO:<carol@beta.test>");
  auto data = server.position("C: DATA");
  auto mail_ok = server.position("S: 250 2.1.0 Ok");
  ASSERT_GE(mail, 0);
  EXPECT_LT(mail, rcpt_bob);
  EXPECT_LT(rcpt_bob, rcpt_carol);
  EXPECT_LT(rcpt_carol, data);
  EXPECT_LT(data, mail_ok) << "every command of the group arrived before the first reply";
  EXPECT_TRUE(attempt.recipients[0].delivered());
  EXPECT_TRUE(attempt.recipients[1].delivered());
}

TEST_F(SmtpClientTest, DotStuffsLinesThatStartWithADot) {
  FakeSmtpServer server(io_);
  auto attempt = run(server, envelope({"bob@beta.test"}, ".hidden\r\n.\r\nlast line without CRLF"), options());

  ASSERT_EQ(attempt.outcome, AttemptOutcome::Delivered) << attempt.error;
  EXPECT_EQ(server.data, "..hidden\r\n..\r\nlast line without CRLF\r\n.\r\n");
}

TEST_F(SmtpClientTest, OneRefusedRecipientDoesNotStopTheOther) {
  FakeSmtpServer server(io_);
  server.replies = {{"RCPT TO:<nobody@", "550 5.1.1 User unknown\r\n"}};
  auto attempt = run(server, envelope({"nobody@beta.test", "bob@beta.test"}), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Delivered) << attempt.error;
  ASSERT_EQ(attempt.recipients.size(), 2u);
  EXPECT_EQ(attempt.recipients[0].recipient, "nobody@beta.test");
  EXPECT_EQ(attempt.recipients[0].reply.code, 550);
  EXPECT_EQ(attempt.recipients[0].reply.enhanced, "5.1.1");
  EXPECT_FALSE(attempt.recipients[0].delivered());
  EXPECT_EQ(attempt.recipients[1].reply.code, 250);
  EXPECT_TRUE(attempt.recipients[1].delivered());
}

TEST_F(SmtpClientTest, TemporaryRecipientRefusalDefersThatRecipientOnly) {
  FakeSmtpServer server(io_);
  server.replies = {{"RCPT TO:<carol@", "452 4.2.2 Mailbox full, try again later\r\n"}};
  auto attempt = run(server, envelope({"carol@beta.test", "bob@beta.test"}), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Delivered);
  EXPECT_TRUE(attempt.recipients[0].reply.transient());
  EXPECT_EQ(attempt.recipients[0].reply.code, 452);
  EXPECT_TRUE(attempt.recipients[1].delivered());
}

TEST_F(SmtpClientTest, AllRecipientsTemporarilyRefusedDefersWithoutSendingData) {
  FakeSmtpServer server(io_);
  server.replies = {{"RCPT", "452 4.2.2 Mailbox full, try again later\r\n"}};
  auto attempt = run(server, envelope({"carol@beta.test"}), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Deferred);
  EXPECT_EQ(attempt.stage, AttemptStage::Rcpt);
  EXPECT_EQ(attempt.reply.code, 452);
  EXPECT_EQ(attempt.recipients[0].reply.code, 452);
  EXPECT_FALSE(server.received("DATA"));
  EXPECT_TRUE(server.received("QUIT"));
}

TEST_F(SmtpClientTest, PipelinedDataAfterEveryRecipientRefusedSendsNoMessage) {
  FakeSmtpServer server(io_);
  server.ehlo = "250-mx.beta.test\r\n250 PIPELINING\r\n";
  server.replies = {{"RCPT", "550 5.1.1 User unknown\r\n"}, {"DATA", "554 5.5.0 No valid recipients\r\n"}};
  auto attempt = run(server, envelope({"nobody@beta.test"}), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(attempt.reply.code, 550);
  EXPECT_TRUE(server.received("DATA"));
  EXPECT_TRUE(server.data.empty());
  EXPECT_TRUE(server.received("QUIT"));
}

TEST_F(SmtpClientTest, RefusedSenderRejectsAndSendsNoRecipients) {
  FakeSmtpServer server(io_);
  server.replies = {{"MAIL", "553 5.7.1 Sender address rejected\r\n"}};
  auto attempt = run(server, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(attempt.stage, AttemptStage::Mail);
  EXPECT_EQ(attempt.recipients[0].reply.code, 553);  // the reply that ended it speaks for everyone
  EXPECT_FALSE(server.received("RCPT TO:<bob@beta.test>"));
}

TEST_F(SmtpClientTest, RefusalAtTheFinalDotRejectsEveryAcceptedRecipient) {
  FakeSmtpServer server(io_);
  server.replies = {{FakeSmtpServer::kEndOfData, "554 5.7.1 Message rejected for policy reasons\r\n"}};
  auto attempt = run(server, envelope({"bob@beta.test", "carol@beta.test"}), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(attempt.stage, AttemptStage::DataEnd);
  for (const auto& r : attempt.recipients) EXPECT_EQ(r.reply.code, 554) << r.recipient;
}

TEST_F(SmtpClientTest, NoReplyAfterTheFinalDotTimesOutAndDeliversToNobody) {
  FakeSmtpServer server(io_);
  server.replies = {{FakeSmtpServer::kEndOfData, ""}};  // silence after the dot
  auto opts = options();
  opts.timeouts.data_end = 300ms;
  auto attempt = run(server, envelope(), opts);

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Timeout);
  EXPECT_EQ(attempt.stage, AttemptStage::DataEnd);
  EXPECT_EQ(attempt.error, "timed out waiting for the reply after the final dot");
  // The RCPT's 250 does not stand: only a 2yz after the dot means delivered.
  EXPECT_EQ(attempt.recipients[0].reply.code, 0);
  EXPECT_FALSE(attempt.recipients[0].delivered());
}

TEST_F(SmtpClientTest, DeclaresSizeEightBitBodyAndUtf8AddressesWhenOffered) {
  FakeSmtpServer server(io_);
  server.ehlo = "250-mx.beta.test\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
  auto attempt = run(server, envelope({"j\xc3\xb6rg@beta.test"}, "Subject: caf\xc3\xa9\r\n\r\nhi\r\n"), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Delivered) << attempt.error;
  EXPECT_TRUE(server.received("MAIL FROM:<alice@alpha.test> SIZE=22 BODY=8BITMIME SMTPUTF8"));
}

TEST_F(SmtpClientTest, Utf8AddressToAServerWithoutSmtputf8IsRefusedBeforeMail) {
  FakeSmtpServer server(io_);
  auto attempt = run(server, envelope({"j\xc3\xb6rg@beta.test"}), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(attempt.stage, AttemptStage::Mail);
  EXPECT_FALSE(server.received("MAIL FROM:<alice@alpha.test>"));
  EXPECT_TRUE(server.received("QUIT"));
}

TEST_F(SmtpClientTest, AddressThatCouldInjectCommandsIsNeverSent) {
  FakeSmtpServer server(io_);
  auto attempt = run(server, envelope({"bob@beta.test>\r\nRCPT TO:<eve@evil.test"}), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(server.position("S: 220 mx.beta.test ESMTP fake"), -1) << "no connection was made";
}

TEST_F(SmtpClientTest, GreetingWith554RejectsAtTheGreeting) {
  FakeSmtpServer server(io_);
  server.greeting = "554 5.7.1 No SMTP service here\r\n";
  auto attempt = run(server, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Rejected);
  EXPECT_EQ(attempt.stage, AttemptStage::Greeting);
  EXPECT_EQ(attempt.reply.code, 554);
  EXPECT_EQ(attempt.recipients[0].reply.code, 554);
}

TEST_F(SmtpClientTest, GreetingWith421DefersAndDoesNotSayQuit) {
  FakeSmtpServer server(io_);
  server.greeting = "421 4.7.0 Too many connections, try again later\r\n";
  auto attempt = run(server, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Deferred);
  EXPECT_EQ(attempt.stage, AttemptStage::Greeting);
  EXPECT_EQ(attempt.reply.enhanced, "4.7.0");
  EXPECT_FALSE(server.received("QUIT"));
}

TEST_F(SmtpClientTest, ConnectionRefusedFailsFast) {
  tcp::endpoint nobody_listens;
  {
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address(kFakeServerAddress), 0));
    nobody_listens = probe.local_endpoint();
  }
  auto started = std::chrono::steady_clock::now();
  auto attempt = run(nullptr, nobody_listens, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::ConnectFailed);
  EXPECT_EQ(attempt.stage, AttemptStage::Connect);
  EXPECT_EQ(attempt.error, "connection refused");
  EXPECT_EQ(attempt.recipients[0].reply.code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(SmtpClientTest, ServerThatNeverGreetsTimesOut) {
  FakeSmtpServer server(io_);
  server.greeting.clear();
  auto opts = options();
  opts.timeouts.greeting = 300ms;
  auto started = std::chrono::steady_clock::now();
  auto attempt = run(server, envelope(), opts);
  auto elapsed = std::chrono::steady_clock::now() - started;

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Timeout);
  EXPECT_EQ(attempt.stage, AttemptStage::Greeting);
  EXPECT_EQ(attempt.error, "timed out waiting for the greeting");
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 2s);
}

TEST_F(SmtpClientTest, OverlongReplyLineIsAProtocolError) {
  FakeSmtpServer server(io_);
  server.greeting = "220 " + std::string(2000, 'x') + "\r\n";
  auto attempt = run(server, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::ProtocolError);
  EXPECT_EQ(attempt.stage, AttemptStage::Greeting);
  EXPECT_NE(attempt.error.find("longer than 1000"), std::string::npos) << attempt.error;
}

TEST_F(SmtpClientTest, EndlessMultilineReplyIsAProtocolError) {
  FakeSmtpServer server(io_);
  server.ehlo.clear();
  for (int i = 0; i < 200; ++i) server.ehlo += "250-X-FILLER-" + std::to_string(i) + "\r\n";
  server.ehlo += "250 PIPELINING\r\n";
  auto attempt = run(server, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::ProtocolError);
  EXPECT_EQ(attempt.stage, AttemptStage::Ehlo);
  EXPECT_NE(attempt.error.find("100 lines"), std::string::npos) << attempt.error;
  EXPECT_FALSE(server.received("MAIL FROM:<alice@alpha.test>"));
}

TEST_F(SmtpClientTest, FallsBackToHeloWhenEhloIsNotImplemented) {
  FakeSmtpServer server(io_);
  server.ehlo = "502 5.5.1 Command not implemented\r\n";
  auto attempt = run(server, envelope(), options());

  EXPECT_EQ(attempt.outcome, AttemptOutcome::Delivered) << attempt.error;
  EXPECT_TRUE(server.received("HELO smtp.alpha.test"));
  EXPECT_TRUE(server.received("MAIL FROM:<alice@alpha.test>")) << "no extension parameters after HELO";
}

TEST_F(SmtpClientTest, RequireTlsAgainstAServerWithoutStartTlsFails) {
  FakeSmtpServer server(io_);
  auto opts = options();
  opts.tls = net::make_client_context({.verify = false});
  opts.require_tls = true;
  auto attempt = run(server, envelope(), opts);

  EXPECT_EQ(attempt.outcome, AttemptOutcome::TlsFailed);
  EXPECT_EQ(attempt.stage, AttemptStage::StartTls);
  EXPECT_FALSE(server.received("MAIL FROM:<alice@alpha.test>"));
  EXPECT_TRUE(server.received("QUIT"));
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mailflow-smtp-client-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST_F(SmtpClientTest, StartTlsWithTheLabCertificateThenSaysEhloAgain) {
  TempDir dir;
  auto ca = net::LabCa::load_or_create(dir.path());
  auto host = ca.host_certificate("mx.beta.test", kFakeServerAddress);
  FakeSmtpServer server(io_, net::make_server_context(host, ca.ca_file()));
  server.ehlo = "250-mx.beta.test\r\n250-STARTTLS\r\n250 PIPELINING\r\n";
  sim::EventBus bus;
  std::mutex events_mutex;
  std::vector<sim::Event> events;
  bus.subscribe([&](const sim::Event& e) {
    std::lock_guard lock(events_mutex);
    events.push_back(e);
  });
  auto opts = options();
  opts.tls = net::make_client_context({.verify = true, .ca_file = ca.ca_file()});
  opts.verify_certificate = true;
  opts.bus = &bus;
  opts.journey = "j-1";
  auto attempt = run(server, envelope(), opts);
  bus.flush();

  ASSERT_EQ(attempt.outcome, AttemptOutcome::Delivered) << attempt.error;
  EXPECT_TRUE(attempt.tls);
  EXPECT_NE(attempt.tls_description.find("TLSv1."), std::string::npos) << attempt.tls_description;
  EXPECT_TRUE(server.tls_active);
  // RFC 3207 §4.2: EHLO again over TLS, and nothing of the transaction before it.
  auto starttls = server.position("C: STARTTLS");
  auto handshake = server.position("TLS");
  ASSERT_GE(starttls, 0);
  EXPECT_LT(starttls, handshake);
  auto second_ehlo = std::find(server.log.begin() + handshake, server.log.end(), "C: EHLO smtp.alpha.test");
  EXPECT_NE(second_ehlo, server.log.end());
  EXPECT_GT(server.position("C: MAIL FROM:<alice@alpha.test>"), handshake);

  std::lock_guard lock(events_mutex);
  auto has = [&](sim::EventKind kind, std::string_view text) {
    return std::any_of(events.begin(), events.end(), [&](const sim::Event& e) {
      return e.kind == kind && e.line.find(text) != std::string::npos;
    });
  };
  EXPECT_TRUE(has(sim::EventKind::Connect, "connecting to mx.beta.test 127.10.9.7:"));
  EXPECT_TRUE(has(sim::EventKind::Command, "STARTTLS"));
  EXPECT_TRUE(has(sim::EventKind::Tls, "verified"));
  EXPECT_TRUE(has(sim::EventKind::Command, "message data ("));
  EXPECT_TRUE(has(sim::EventKind::Disconnect, "delivered"));
  for (const auto& e : events) {
    EXPECT_EQ(e.protocol, sim::Protocol::Smtp);
    EXPECT_EQ(e.journey, "j-1");
    EXPECT_EQ(e.host, "smtp.alpha.test");
    EXPECT_EQ(e.line.find("Hello Bob"), std::string::npos) << "no message body in events";
  }
}

TEST_F(SmtpClientTest, CertificateForAnotherNameFailsTlsWhenVerifying) {
  TempDir dir;
  auto ca = net::LabCa::load_or_create(dir.path());
  auto wrong = ca.host_certificate("wrong-host.test", "");
  FakeSmtpServer server(io_, net::make_server_context(wrong, ca.ca_file()));
  server.ehlo = "250-mx.beta.test\r\n250 STARTTLS\r\n";
  auto opts = options();
  opts.tls = net::make_client_context({.verify = true, .ca_file = ca.ca_file()});
  opts.verify_certificate = true;
  auto attempt = run(server, envelope(), opts);

  EXPECT_EQ(attempt.outcome, AttemptOutcome::TlsFailed);
  EXPECT_EQ(attempt.stage, AttemptStage::StartTls);
  EXPECT_FALSE(attempt.tls);
  EXPECT_NE(attempt.error.find("hostname mismatch"), std::string::npos) << attempt.error;
}

TEST(ParseEhloReply, ReadsKeywordsCaseInsensitivelyAndTheSizeLimit) {
  SmtpReply reply{250, "", {"mx.beta.test greets you", "size 1000000", "Pipelining", "STARTTLS", "8BITMIME",
                            "SMTPUTF8", "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN"}};
  auto extensions = parse_ehlo_reply(reply);
  EXPECT_TRUE(extensions.size);
  EXPECT_EQ(extensions.size_limit, 1000000u);
  EXPECT_TRUE(extensions.pipelining);
  EXPECT_TRUE(extensions.starttls);
  EXPECT_TRUE(extensions.eight_bit_mime);
  EXPECT_TRUE(extensions.smtputf8);
  EXPECT_TRUE(extensions.enhanced_status_codes);
}

TEST(ParseEhloReply, TheGreetingLineIsNotAKeyword) {
  auto extensions = parse_ehlo_reply(SmtpReply{250, "", {"PIPELINING"}});
  EXPECT_FALSE(extensions.pipelining);
  auto no_limit = parse_ehlo_reply(SmtpReply{250, "", {"mx", "SIZE"}});
  EXPECT_TRUE(no_limit.size);
  EXPECT_EQ(no_limit.size_limit, 0u);
}

}  // namespace
}  // namespace mailflow::smtp
