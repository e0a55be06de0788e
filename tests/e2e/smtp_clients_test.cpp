// End to end: `mailflow serve` as a real process; real SMTP clients from Debian (swaks,
// curl, Python's smtplib, openssl s_client) submit mail that travels submission → DNS →
// relay → MX → Maildir, and conversations on the wire provoke every reply code.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/e2e/lab_process.hpp"
#include "tests/e2e/smtp_conversation.hpp"

namespace mailflow::e2e {
namespace {

using namespace std::chrono_literals;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Header fields unfolded (RFC 5322 §2.2.3) and runs of white space made one space, so a
// test can look for a long field however the writer folded it.
std::string unfolded(const std::string& message) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\r' && i + 2 < message.size() && message[i + 1] == '\n' && (message[i + 2] == ' ' || message[i + 2] == '\t')) {
      ++i;
      space = true;
      continue;
    }
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The messages in a Maildir's INBOX (new/ and cur/), waiting up to `limit` for `count`.
std::vector<std::string> wait_for_messages(const std::filesystem::path& maildir, std::size_t count,
                                           std::chrono::milliseconds limit = 15s) {
  auto until = std::chrono::steady_clock::now() + limit;
  std::vector<std::string> messages;
  while (true) {
    messages.clear();
    for (const char* sub : {"new", "cur"}) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(maildir / sub, ec)) messages.push_back(read_all(entry.path()));
    }
    if (messages.size() >= count || std::chrono::steady_clock::now() >= until) return messages;
    std::this_thread::sleep_for(50ms);
  }
}

class SmtpClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lab_ = new LabProcess(); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(lab_, nullptr); }

  static const nlohmann::json& host(const std::string& name) {
    for (const auto& h : lab_->ready()["hosts"]) {
      if (h["name"] == name) return h;
    }
    throw std::runtime_error("no host " + name);
  }
  static std::string address(const std::string& name) { return host(name)["address"]; }
  static int port(const std::string& name, const std::string& service) { return host(name)["ports"][service]; }
  static std::string ca() { return lab_->ready()["ca_file"]; }
  static std::filesystem::path maildir(const std::string& user) {
    for (const auto& u : lab_->ready()["users"]) {
      if (u["address"] == user) return std::string(u["maildir"]);
    }
    throw std::runtime_error("no user " + user);
  }
  static std::size_t count(const std::string& user) { return wait_for_messages(maildir(user), 0, 0ms).size(); }

  // Waits for one more message than `before` in user's INBOX and returns the newest.
  static std::string next_message(const std::string& user, std::size_t before) {
    auto messages = wait_for_messages(maildir(user), before + 1);
    if (messages.size() <= before) return {};
    for (const auto& m : messages) {
      if (m.find(marker_) != std::string::npos) return m;
    }
    return messages.back();
  }

  static LabProcess* lab_;
  static std::string marker_;
};
LabProcess* SmtpClients::lab_ = nullptr;
std::string SmtpClients::marker_;

TEST_F(SmtpClients, SwaksSubmitsWithStartTlsAndAuthOn587) {
  auto before = count("bob@beta.test");
  marker_ = "swaks-587-starttls";
  auto r = run_command({"swaks", "--server", address("smtp.alpha.test"), "--port", std::to_string(port("smtp.alpha.test", "submission")),
                        "--tls", "--tls-verify", "--tls-ca-path", ca(), "--auth", "PLAIN", "--auth-user", "alice@alpha.test",
                        "--auth-password", "alice-secret", "--from", "alice@alpha.test", "--to", "bob@beta.test",
                        "--header", "Subject: " + marker_, "--body", "Hello Bob, this letter went through STARTTLS."});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("250 2.0.0 Ok: queued as"), std::string::npos) << r.output;
  std::string message = next_message("bob@beta.test", before);
  ASSERT_NE(message.find(marker_), std::string::npos) << message;
  EXPECT_EQ(message.find("Return-Path: <alice@alpha.test>"), 0u) << message;
  EXPECT_NE(message.find("Delivered-To: bob@beta.test"), std::string::npos) << message;
  // The Received chain, newest first: the MX's hop above the submission server's.
  auto mx_hop = message.find("by mx.beta.test");
  auto submission_hop = message.find("by smtp.alpha.test");
  ASSERT_NE(mx_hop, std::string::npos) << message;
  ASSERT_NE(submission_hop, std::string::npos) << message;
  EXPECT_LT(mx_hop, submission_hop) << message;
  EXPECT_NE(message.find("with ESMTPSA"), std::string::npos) << "TLS and AUTH at submission (RFC 3848)\n" << message;
  EXPECT_NE(message.find("Authenticated sender: alice@alpha.test"), std::string::npos) << message;
  EXPECT_NE(message.find("with ESMTPS"), std::string::npos) << "the relay used STARTTLS to the MX\n" << message;
  EXPECT_TRUE(message.find("Message-ID:") != std::string::npos || message.find("Message-Id:") != std::string::npos) << message;
  EXPECT_NE(message.find("X-Mailflow-Journey: J"), std::string::npos) << message;
}

TEST_F(SmtpClients, SwaksSubmitsOverImplicitTlsOn465) {
  auto before = count("bob@beta.test");
  marker_ = "swaks-465-implicit";
  auto r = run_command({"swaks", "--server", address("smtp.alpha.test"), "--port", std::to_string(port("smtp.alpha.test", "smtps")),
                        "--tls-on-connect", "--tls-verify", "--tls-ca-path", ca(), "--auth", "LOGIN", "--auth-user",
                        "alice@alpha.test", "--auth-password", "alice-secret", "--from", "alice@alpha.test", "--to",
                        "bob@beta.test", "--header", "Subject: " + marker_});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string message = next_message("bob@beta.test", before);
  EXPECT_NE(message.find(marker_), std::string::npos) << message;
}

TEST_F(SmtpClients, CurlSubmitsWithSslReqdAndOverSmtps) {
  auto dir = make_temp_dir("mailflow-curl");
  auto mail = dir / "mail.txt";
  marker_ = "curl-submission";
  std::ofstream(mail) << "From: Alice <alice@alpha.test>\r\nTo: Bob <bob@beta.test>\r\nSubject: " << marker_
                      << "\r\n\r\nSent by curl.\r\n";
  auto before = count("bob@beta.test");
  auto r = run_command({"curl", "-sS", "--ssl-reqd", "--cacert", ca(),
                        "smtp://" + address("smtp.alpha.test") + ":" + std::to_string(port("smtp.alpha.test", "submission")),
                        "--mail-from", "alice@alpha.test", "--mail-rcpt", "bob@beta.test", "--upload-file", mail.string(),
                        "--user", "alice@alpha.test:alice-secret"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(next_message("bob@beta.test", before).find(marker_), std::string::npos);

  before = count("bob@beta.test");
  marker_ = "curl-smtps";
  std::ofstream(mail) << "Subject: " << marker_ << "\r\n\r\nSent by curl over SMTPS.\r\n";
  r = run_command({"curl", "-sS", "--cacert", ca(),
                   "smtps://" + address("smtp.alpha.test") + ":" + std::to_string(port("smtp.alpha.test", "smtps")),
                   "--mail-from", "alice@alpha.test", "--mail-rcpt", "bob@beta.test", "--upload-file", mail.string(),
                   "--user", "alice@alpha.test:alice-secret"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(next_message("bob@beta.test", before).find(marker_), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_F(SmtpClients, PythonSmtplibSubmits) {
  auto before = count("carol@beta.test");
  marker_ = "python-smtplib";
  std::string script =
      "import smtplib, ssl, sys\n"
      "ctx = ssl.create_default_context(cafile=sys.argv[3])\n"
      "with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname='laptop.alpha.test', timeout=10) as s:\n"
      "    s.starttls(context=ctx)\n"
      "    s.login('alice@alpha.test', 'alice-secret')\n"
      "    s.sendmail('alice@alpha.test', ['carol@beta.test'], 'Subject: python-smtplib\\r\\n\\r\\nhi\\r\\n')\n"
      "print('sent')\n";
  auto r = run_command({"/usr/bin/python3", "-c", script, address("smtp.alpha.test"),
                        std::to_string(port("smtp.alpha.test", "submission")), ca()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(next_message("carol@beta.test", before).find(marker_), std::string::npos);
}

TEST_F(SmtpClients, OpensslVerifiesEveryTlsPort) {
  struct Case {
    std::string host, service;
    std::vector<std::string> extra;
  };
  std::vector<Case> cases = {{"smtp.alpha.test", "smtps", {}},
                             {"smtp.alpha.test", "submission", {"-starttls", "smtp"}},
                             {"mx.beta.test", "smtp", {"-starttls", "smtp"}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.host + " " + c.service);
    std::vector<std::string> argv = {"openssl", "s_client", "-connect", address(c.host) + ":" + std::to_string(port(c.host, c.service)),
                                     "-verify_return_error", "-CAfile", ca(), "-servername", c.host, "-verify_hostname", c.host, "-brief"};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    auto r = run_command(argv, 10);
    EXPECT_NE(r.output.find("Verification: OK"), std::string::npos) << r.output;
  }
}

TEST_F(SmtpClients, ForeignClientDeliversToOurMx) {
  auto before = count("bob@beta.test");
  marker_ = "swaks-to-mx";
  auto r = run_command({"swaks", "--server", address("mx.beta.test"), "--port", std::to_string(port("mx.beta.test", "smtp")),
                        "--from", "someone@elsewhere.example", "--to", "bob@beta.test", "--header", "Subject: " + marker_});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string message = next_message("bob@beta.test", before);
  EXPECT_NE(message.find(marker_), std::string::npos);
  EXPECT_EQ(message.find("Return-Path: <someone@elsewhere.example>"), 0u) << message;
}

// --- reply codes on the wire -------------------------------------------------------

TEST_F(SmtpClients, MxRefusesUnknownUsersAndRelaying) {
  SmtpConversation c(address("mx.beta.test"), port("mx.beta.test", "smtp"));
  ASSERT_TRUE(c.expect("220 mx.beta.test ESMTP*"));
  c.send("EHLO client.example");
  ASSERT_TRUE(c.expect("250 SMTPUTF8"));
  c.send("MAIL FROM:<someone@elsewhere.example>");
  EXPECT_TRUE(c.expect("250 2.1.0 *"));
  c.send("RCPT TO:<nobody@beta.test>");
  EXPECT_TRUE(c.expect("550 5.1.1 <nobody@beta.test>: Recipient address rejected: User unknown"));
  c.send("RCPT TO:<victim@elsewhere.example>");
  EXPECT_TRUE(c.expect("554 5.7.1 <victim@elsewhere.example>: Relay access denied"));
  c.send("RCPT TO:<alice@alpha.test>");
  EXPECT_TRUE(c.expect("554 5.7.1 *Relay access denied")) << "mx.beta.test is not alpha.test's MX";
  c.send("DATA");
  EXPECT_TRUE(c.expect("554 5.5.0 *")) << "no valid recipients";
  c.send("QUIT");
  EXPECT_TRUE(c.expect("221 2.0.0 *"));
}

TEST_F(SmtpClients, SubmissionInsistsOnTlsThenAuth) {
  SmtpConversation c(address("smtp.alpha.test"), port("smtp.alpha.test", "submission"));
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO laptop");
  std::string ehlo;
  ASSERT_TRUE(c.expect("250 SMTPUTF8", &ehlo));
  EXPECT_NE(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(ehlo.find("AUTH"), std::string::npos) << "no AUTH offered before TLS";
  c.send("MAIL FROM:<alice@alpha.test>");
  EXPECT_TRUE(c.expect("530 5.7.0 Must issue a STARTTLS command first"));
  c.send("AUTH PLAIN AGFsaWNlQGFscGhhLnRlc3QAYWxpY2Utc2VjcmV0");
  EXPECT_TRUE(c.expect("530 5.7.0 Must issue a STARTTLS command first"));
}

TEST_F(SmtpClients, SequenceSyntaxAndLimitReplies) {
  SmtpConversation c(address("mx.beta.test"), port("mx.beta.test", "smtp"));
  ASSERT_TRUE(c.expect("220 *"));
  c.send("MAIL FROM:<a@elsewhere.example>");
  EXPECT_TRUE(c.expect("503 5.5.1 *")) << "MAIL before EHLO";
  c.send("FROB");
  EXPECT_TRUE(c.expect("500 5.5.1 *"));
  c.send("EHLO");
  EXPECT_TRUE(c.expect("501 5.5.4 *"));
  c.send("HELO client.example");
  EXPECT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<bob@beta.test>");
  EXPECT_TRUE(c.expect("503 5.5.1 *")) << "RCPT before MAIL";
  c.send("EHLO client.example");
  EXPECT_TRUE(c.expect("250 SMTPUTF8"));
  c.send("MAIL FROM:<a@elsewhere.example> SIZE=999999999999");
  EXPECT_TRUE(c.expect("552 5.3.4 *"));
  c.send("MAIL FROM:a@elsewhere.example");
  EXPECT_TRUE(c.expect("501 5.5.4 *")) << "no angle brackets";
  c.send("MAIL FROM:<not an address>");
  EXPECT_TRUE(c.expect("501 5.1.3 *"));
  c.send(std::string(600, 'A'));
  EXPECT_TRUE(c.expect("500 5.5.2 *")) << "a command line over 512 octets";
  c.send("NOOP");
  EXPECT_TRUE(c.expect("250 2.0.0 *")) << "the session survives the long line";
  c.send("VRFY bob");
  EXPECT_TRUE(c.expect("252 2.0.0 *"));
}

TEST_F(SmtpClients, MoreThanOneHundredRecipientsGet452) {
  SmtpConversation c(address("mx.beta.test"), port("mx.beta.test", "smtp"));
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO client.example");
  ASSERT_TRUE(c.expect("250 SMTPUTF8"));
  c.send("MAIL FROM:<a@elsewhere.example>");
  ASSERT_TRUE(c.expect("250 *"));
  std::string pipeline;
  for (int i = 0; i < 101; ++i) pipeline += "RCPT TO:<bob@beta.test>\r\n";
  c.send_raw(pipeline);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(c.expect("250 2.1.5 *")) << i;
  EXPECT_TRUE(c.expect("452 4.5.3 *"));
}

TEST_F(SmtpClients, BareLfDotDoesNotEndData) {
  // SMTP smuggling (CVE-2023-51764): "\n.\n" must not end the message, so the "MAIL FROM"
  // after it is message text, never a second transaction.
  auto before = count("bob@beta.test");
  SmtpConversation c(address("mx.beta.test"), port("mx.beta.test", "smtp"));
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO client.example");
  ASSERT_TRUE(c.expect("250 SMTPUTF8"));
  c.send("MAIL FROM:<a@elsewhere.example>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("RCPT TO:<bob@beta.test>");
  ASSERT_TRUE(c.expect("250 *"));
  c.send("DATA");
  ASSERT_TRUE(c.expect("354 *"));
  c.send_raw("Subject: smuggling\r\n\r\nfirst\n.\nMAIL FROM:<admin@beta.test>\r\nRCPT TO:<carol@beta.test>\r\n\r.\rtail\r\n.\r\n");
  std::string got;
  EXPECT_TRUE(c.expect("550 5.5.2 *", &got)) << "bare LF / CR is refused by default: " << got;
  c.send("QUIT");
  EXPECT_TRUE(c.expect("221 *"));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(count("bob@beta.test"), before) << "nothing was stored";
}

TEST_F(SmtpClients, PlaintextPipelinedAfterStartTlsIsDiscarded) {
  // CVE-2011-0411: commands sent in the same packet as STARTTLS must not run inside TLS.
  std::string script =
      "import socket, ssl, sys\n"
      "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)\n"
      "f = s.makefile('rb')\n"
      "def reply(f):\n"
      "    lines = []\n"
      "    while True:\n"
      "        l = f.readline().decode()\n"
      "        lines.append(l.strip())\n"
      "        if len(l) < 4 or l[3] != '-': return lines\n"
      "reply(f)\n"
      "s.sendall(b'EHLO laptop\\r\\n'); reply(f)\n"
      "s.sendall(b'STARTTLS\\r\\nNOOP\\r\\n')\n"
      "print('starttls:', reply(f))\n"
      "ctx = ssl.create_default_context(cafile=sys.argv[3])\n"
      "t = ctx.wrap_socket(s, server_hostname='smtp.alpha.test')\n"
      "g = t.makefile('rb')\n"
      "t.sendall(b'EHLO laptop\\r\\n')\n"
      "print('first after tls:', reply(g)[0])\n";
  auto r = run_command({"/usr/bin/python3", "-c", script, address("smtp.alpha.test"),
                        std::to_string(port("smtp.alpha.test", "submission")), ca()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("starttls: ['220 2.0.0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("first after tls: 250-smtp.alpha.test"), std::string::npos)
      << "the pipelined NOOP must not be answered inside TLS\n" << r.output;
}

TEST_F(SmtpClients, WrongPasswordAndForeignSenderAreRefused) {
  std::string script =
      "import smtplib, ssl, sys\n"
      "ctx = ssl.create_default_context(cafile=sys.argv[3])\n"
      "s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)\n"
      "s.starttls(context=ctx)\n"
      "try:\n"
      "    s.login('alice@alpha.test', 'wrong')\n"
      "except smtplib.SMTPAuthenticationError as e:\n"
      "    print('login:', e.smtp_code, e.smtp_error.decode())\n"
      "s.login('alice@alpha.test', 'alice-secret')\n"
      "code, text = s.mail('bob@beta.test')\n"
      "print('mail:', code, text.decode())\n"
      "s.quit()\n";
  auto r = run_command({"/usr/bin/python3", "-c", script, address("smtp.alpha.test"),
                        std::to_string(port("smtp.alpha.test", "submission")), ca()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("login: 535 5.7.8"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mail: 553 5.7.1"), std::string::npos) << r.output;
}

TEST_F(SmtpClients, UnknownUserBouncesToTheSenderWithTheRemoteDiagnostic) {
  auto before = count("alice@alpha.test");
  marker_ = "bounce-unknown-user";
  auto r = run_command({"swaks", "--server", address("smtp.alpha.test"), "--port", std::to_string(port("smtp.alpha.test", "submission")),
                        "--tls", "--tls-ca-path", ca(), "--auth", "PLAIN", "--auth-user", "alice@alpha.test",
                        "--auth-password", "alice-secret", "--from", "alice@alpha.test", "--to", "nobody@beta.test",
                        "--header", "Subject: " + marker_});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string bounce = next_message("alice@alpha.test", before);
  EXPECT_EQ(bounce.find("Return-Path: <>"), 0u) << bounce;
  EXPECT_NE(bounce.find("multipart/report; report-type=delivery-status"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Final-Recipient: rfc822; nobody@beta.test"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Status: 5.1.1"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Remote-MTA: dns; mx.beta.test"), std::string::npos) << bounce;
  EXPECT_NE(unfolded(bounce).find("Diagnostic-Code: smtp; 550 5.1.1 <nobody@beta.test>: Recipient address rejected: User unknown"),
            std::string::npos)
      << bounce;
  EXPECT_NE(bounce.find("Subject: " + marker_), std::string::npos) << "the original headers\n" << bounce;
}

TEST_F(SmtpClients, DomainWithoutDnsBouncesWithHostNotFound) {
  auto before = count("alice@alpha.test");
  marker_ = "bounce-nxdomain";
  auto r = run_command({"swaks", "--server", address("smtp.alpha.test"), "--port", std::to_string(port("smtp.alpha.test", "submission")),
                        "--tls", "--tls-ca-path", ca(), "--auth", "PLAIN", "--auth-user", "alice@alpha.test",
                        "--auth-password", "alice-secret", "--from", "alice@alpha.test", "--to", "someone@gamma.test",
                        "--header", "Subject: " + marker_});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string bounce = next_message("alice@alpha.test", before);
  EXPECT_NE(bounce.find("Final-Recipient: rfc822; someone@gamma.test"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Host or domain name not found"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("Subject: " + marker_), std::string::npos) << bounce;
}

}  // namespace
}  // namespace mailflow::e2e

namespace mailflow::e2e {
namespace {

// A peer that is not ours: Python's aiosmtpd (Debian python3-aiosmtpd) stands in as the MX
// of foreign.test, and our relay must deliver to it.
TEST(SmtpInterop, RelayDeliversToAiosmtpdAsAForeignMx) {
  auto dir = make_temp_dir("mailflow-interop");
  auto world_file = dir / "world.yaml";
  {
    std::ifstream in(source_dir() / "scenarios/worlds/default.yaml");
    std::stringstream yaml;
    yaml << in.rdbuf();
    std::string text = yaml.str();
    auto domains = text.find("domains:\n");
    ASSERT_NE(domains, std::string::npos);
    text.insert(domains + 9, "  - name: foreign.test\n    mx:\n      - { host: mx.foreign.test, preference: 10 }\n");
    auto hosts = text.find("hosts:\n");
    ASSERT_NE(hosts, std::string::npos);
    text.insert(hosts + 7, "  - { name: mx.foreign.test, address: 127.10.4.2, services: [] }\n");
    std::ofstream(world_file) << text;
  }
  LabProcess lab({"--world", world_file.string()});
  int foreign_port = lab.port_offset() + 25;
  auto foreign_maildir = dir / "foreign-maildir";
  ChildProcess aiosmtpd({"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.10.4.2:" + std::to_string(foreign_port), "-c",
                         "aiosmtpd.handlers.Mailbox", foreign_maildir.string()});
  ASSERT_TRUE(wait_for_port("127.10.4.2", foreign_port)) << aiosmtpd.output();

  std::string submission_port;
  std::string ca = lab.ready()["ca_file"];
  for (const auto& h : lab.ready()["hosts"]) {
    if (h["name"] == "smtp.alpha.test") submission_port = std::to_string(int(h["ports"]["submission"]));
  }
  auto r = run_command({"swaks", "--server", "127.10.1.1", "--port", submission_port, "--tls", "--tls-ca-path", ca, "--auth",
                        "PLAIN", "--auth-user", "alice@alpha.test", "--auth-password", "alice-secret", "--from",
                        "alice@alpha.test", "--to", "friend@foreign.test", "--header", "Subject: to a foreign MX"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto messages = wait_for_messages(foreign_maildir, 1);
  ASSERT_EQ(messages.size(), 1u) << aiosmtpd.output() << "\n" << lab.output();
  EXPECT_NE(messages[0].find("Subject: to a foreign MX"), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("by smtp.alpha.test"), std::string::npos) << messages[0];
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mailflow::e2e
