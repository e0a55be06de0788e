// The TLS faults and the mismatch diagnosis inside the in-process lab's SMTP servers, met
// by real clients: openssl s_client fails with the real verify error for each certificate
// fault, curl --ssl-reqd refuses, a default OpenSSL client refuses a TLS 1.0-only server,
// starttls_required answers 530 until STARTTLS, and clients speaking the wrong thing to a
// port (TLS, HTTP, POP3, plaintext on 465) get the real server's answer and an event that
// names the mistake.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/e2e/lab_process.hpp"
#include "tests/e2e/smtp_conversation.hpp"
#include "tests/smtp/fault_lab.hpp"

namespace mailflow::smtp {
namespace {

using namespace std::chrono_literals;
using e2e::SmtpConversation;
using sim::FaultKind;

constexpr const char* kMx = "mx.beta.test";
constexpr const char* kSubmission = "smtp.beta.test";  // serves SMTPS (465); the MX does not

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class SmtpTlsFaults : public ::testing::Test {
 protected:
  std::string endpoint(sim::Service service) {
    return lab_.address(kMx) + ":" + std::to_string(lab_.port(kMx, service));
  }
  // openssl s_client with STARTTLS on the MX, verifying against the lab CA and the name.
  e2e::CommandResult s_client_starttls(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"openssl", "s_client", "-starttls", "smtp", "-connect", endpoint(sim::Service::Smtp),
                                  "-verify_return_error", "-CAfile", lab_.lab().ca_file().string(), "-servername", kMx,
                                  "-verify_hostname", kMx, "-brief"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return e2e::run_command(argv, 15);
  }
  // Until the lab's bus carries an event of kind with text (the server publishes it on its
  // own thread, maybe just after the client saw the effect).
  bool event_seen(sim::EventKind kind, const std::string& text) {
    for (int i = 0; i < 100; ++i) {
      if (lab_.events(kind, text) > 0) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  testing_support::FaultLab lab_;
};

TEST_F(SmtpTlsFaults, WithoutAFaultOpensslVerifiesTheMx) {
  auto result = s_client_starttls();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "Verification: OK")) << result.output;
}

TEST_F(SmtpTlsFaults, SelfSignedCertificateFailsVerificationAsSelfSigned) {
  lab_.add("stray", FaultKind::SelfSignedCertificate, kMx);
  auto result = s_client_starttls();
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "self-signed certificate") || contains(result.output, "self signed certificate"))
      << result.output;
  EXPECT_TRUE(event_seen(sim::EventKind::Fault, "fault 'stray' (self_signed_certificate)"));
}

TEST_F(SmtpTlsFaults, ExpiredCertificateFailsVerificationAsExpired) {
  lab_.add("old", FaultKind::ExpiredCertificate, kMx);
  auto result = s_client_starttls();
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "certificate has expired")) << result.output;
  EXPECT_TRUE(event_seen(sim::EventKind::Fault, "expired 30 days ago"));
}

TEST_F(SmtpTlsFaults, WrongHostCertificateFailsVerificationAsHostnameMismatch) {
  lab_.add("other-name", FaultKind::WrongHostCertificate, kMx);
  auto result = s_client_starttls();
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "hostname mismatch")) << result.output;
  EXPECT_TRUE(event_seen(sim::EventKind::Fault, "wrong-host.test instead of mx.beta.test"));
}

TEST_F(SmtpTlsFaults, CertificateFaultOnSmtpsFailsTheImplicitHandshake) {
  lab_.add("stray", FaultKind::SelfSignedCertificate, kSubmission);
  const std::string smtps = lab_.address(kSubmission) + ":" + std::to_string(lab_.port(kSubmission, sim::Service::Smtps));
  auto result = e2e::run_command({"openssl", "s_client", "-connect", smtps, "-verify_return_error",
                                  "-CAfile", lab_.lab().ca_file().string(), "-servername", kSubmission, "-brief"},
                                 15);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "self-signed certificate") || contains(result.output, "self signed certificate"))
      << result.output;
}

TEST_F(SmtpTlsFaults, CurlWithSslReqdRefusesTheSelfSignedMxAndTalksToTheGoodOne) {
  const std::string port = std::to_string(lab_.port(kMx, sim::Service::Smtp));
  auto curl = [&] {
    return e2e::run_command({"curl", "-sS", "--ssl-reqd", "--cacert", lab_.lab().ca_file().string(), "--resolve",
                             std::string(kMx) + ":" + port + ":" + lab_.address(kMx), "smtp://" + std::string(kMx) + ":" + port + "/"},
                            15);
  };
  auto good = curl();
  EXPECT_EQ(good.exit_code, 0) << good.output;
  lab_.add("stray", FaultKind::SelfSignedCertificate, kMx);
  auto refused = curl();
  EXPECT_EQ(refused.exit_code, 60) << refused.output;  // CURLE_PEER_FAILED_VERIFICATION
}

TEST_F(SmtpTlsFaults, TlsVersionMismatchIsRefusedByADefaultClientAndAcceptedByALegacyOne) {
  lab_.add("legacy", FaultKind::TlsVersionMismatch, kMx);
  auto modern = s_client_starttls();
  EXPECT_NE(modern.exit_code, 0) << modern.output;
  // A client with MinProtocol TLSv1.2 (Debian's default) gets a protocol_version alert; one
  // that still allows TLS 1.0 refuses its MD5+SHA-1 signature at security level 1 and up.
  EXPECT_TRUE(contains(modern.output, "protocol version") || contains(modern.output, "unsupported protocol") ||
              contains(modern.output, "legacy sigalg disallowed"))
      << modern.output;
  EXPECT_TRUE(event_seen(sim::EventKind::Fault, "TLS 1.0 only"));
  // The server really speaks TLS 1.0: a client that still allows it gets through.
  auto legacy = s_client_starttls({"-tls1", "-cipher", "DEFAULT@SECLEVEL=0"});
  EXPECT_EQ(legacy.exit_code, 0) << legacy.output;
  EXPECT_TRUE(contains(legacy.output, "Protocol version: TLSv1\n")) << legacy.output;
}

TEST_F(SmtpTlsFaults, StarttlsRequiredRefusesMailInTheClearAndAcceptsItAfterStarttls) {
  lab_.add("encrypt", FaultKind::StarttlsRequired, kMx);
  SmtpConversation plain(lab_.address(kMx), lab_.port(kMx, sim::Service::Smtp));
  ASSERT_TRUE(plain.expect("220 *"));
  plain.send("EHLO laptop.test");
  ASSERT_TRUE(plain.expect("250*"));
  plain.send("MAIL FROM:<alice@alpha.test>");
  std::string got;
  EXPECT_TRUE(plain.expect("530 5.7.0 Must issue a STARTTLS command first", &got)) << got;
  EXPECT_TRUE(event_seen(sim::EventKind::Fault, "fault 'encrypt' (starttls_required)"));
  // smtplib, verifying the lab CA, upgrades and is then accepted.
  const char* script =
      "import smtplib, ssl, sys\n"
      "s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname='laptop.test', timeout=10)\n"
      "s.starttls(context=ssl.create_default_context(cafile=sys.argv[3]))\n"
      "s.ehlo('laptop.test')\n"
      "print('MAIL', *s.mail('alice@alpha.test'))\n";
  auto result = e2e::run_command({"python3", "-c", script, lab_.address(kMx), std::to_string(lab_.port(kMx, sim::Service::Smtp)),
                                  lab_.lab().ca_file().string()},
                                 15);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "MAIL 250")) << result.output;
}

TEST_F(SmtpTlsFaults, ClientHelloOnPort25IsNamedAsTlsOnAPlaintextPort) {
  auto result = e2e::run_command({"openssl", "s_client", "-connect", endpoint(sim::Service::Smtp), "-brief"}, 15);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_TRUE(event_seen(sim::EventKind::Error, "this client tried TLS on port " +
                                                    std::to_string(lab_.port(kMx, sim::Service::Smtp)) +
                                                    ", where SMTP starts in plaintext; use STARTTLS or port 465"));
  EXPECT_TRUE(event_seen(sim::EventKind::Reply, "500 5.5.2 Error: bad syntax"));
}

TEST_F(SmtpTlsFaults, PlaintextOnSmtpsIsNamedAndTheHandshakeFails) {
  const int port = lab_.port(kSubmission, sim::Service::Smtps);
  SmtpConversation c(lab_.address(kSubmission), port, 2000);
  ASSERT_TRUE(c.connected());
  c.send("EHLO laptop.test");
  // The handshake fails on these bytes; a TLS alert (a few bytes) may come before the EOF.
  bool closed = false;
  for (int i = 0; i < 16 && !closed; ++i) closed = c.closed_by_server();
  EXPECT_TRUE(closed);
  EXPECT_TRUE(event_seen(sim::EventKind::Error,
                         "this client spoke SMTP to the implicit-TLS port " + std::to_string(port) +
                             "; use STARTTLS on port 587 or turn on SSL/TLS"));
}

TEST_F(SmtpTlsFaults, HttpOnPort25GetsPostfixsGoodbye) {
  SmtpConversation c(lab_.address(kMx), lab_.port(kMx, sim::Service::Smtp));
  ASSERT_TRUE(c.expect("220 *"));
  c.send_raw("GET / HTTP/1.1\r\nHost: mx.beta.test\r\n\r\n");
  std::string got;
  EXPECT_TRUE(c.expect("221 2.7.0 Error: I can break rules, too. Goodbye.", &got)) << got;
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_TRUE(event_seen(sim::EventKind::Error, "this client spoke HTTP to an SMTP port"));
}

TEST_F(SmtpTlsFaults, Pop3CommandsOnPort25AreNamedAndAnsweredAsUnknown) {
  SmtpConversation c(lab_.address(kMx), lab_.port(kMx, sim::Service::Smtp));
  ASSERT_TRUE(c.expect("220 *"));
  c.send("USER bob");
  EXPECT_TRUE(c.expect("500 5.5.1 *"));
  EXPECT_TRUE(event_seen(sim::EventKind::Error, "this client spoke POP3 to an SMTP port"));
  // The session goes on: an SMTP command still works.
  c.send("EHLO laptop.test");
  EXPECT_TRUE(c.expect("250*"));
}

TEST_F(SmtpTlsFaults, AnOrdinaryClientRaisesNoMismatch) {
  SmtpConversation c(lab_.address(kMx), lab_.port(kMx, sim::Service::Smtp));
  ASSERT_TRUE(c.expect("220 *"));
  c.send("EHLO laptop.test");
  EXPECT_TRUE(c.expect("250*"));
  c.send("QUIT");
  EXPECT_TRUE(c.expect("221 *"));
  EXPECT_EQ(lab_.events(sim::EventKind::Error, "this client"), 0u);
}

// POP3 and IMAP name the same mistakes (event only; the servers answer as they always do).
constexpr const char* kReader = "mail.beta.test";

TEST_F(SmtpTlsFaults, SmtpOnPop3IsNamed) {
  SmtpConversation c(lab_.address(kReader), lab_.port(kReader, sim::Service::Pop3), 2000);
  ASSERT_TRUE(c.connected());
  c.send("EHLO laptop.test");
  EXPECT_TRUE(event_seen(sim::EventKind::Error, "this client spoke SMTP to a POP3 port"));
}

TEST_F(SmtpTlsFaults, ClientHelloOnImap143IsNamed) {
  const int port = lab_.port(kReader, sim::Service::Imap);
  auto result = e2e::run_command(
      {"openssl", "s_client", "-connect", lab_.address(kReader) + ":" + std::to_string(port), "-brief"}, 15);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_TRUE(event_seen(sim::EventKind::Error, "this client tried TLS on port " + std::to_string(port) +
                                                    ", where IMAP starts in plaintext; use STARTTLS or port 993"));
}

TEST_F(SmtpTlsFaults, PlaintextOnPop3sAndImapsIsNamed) {
  const int pop3s = lab_.port(kReader, sim::Service::Pop3s);
  SmtpConversation pop(lab_.address(kReader), pop3s, 2000);
  ASSERT_TRUE(pop.connected());
  pop.send("CAPA");
  EXPECT_TRUE(event_seen(sim::EventKind::Error, "this client spoke POP3 to the implicit-TLS port " + std::to_string(pop3s) +
                                                    "; use STLS on port 110 or turn on SSL/TLS"));
  const int imaps = lab_.port(kReader, sim::Service::Imaps);
  SmtpConversation imap(lab_.address(kReader), imaps, 2000);
  ASSERT_TRUE(imap.connected());
  imap.send("a1 LOGIN bob secret");
  EXPECT_TRUE(event_seen(sim::EventKind::Error, "this client spoke IMAP to the implicit-TLS port " + std::to_string(imaps)));
}

}  // namespace
}  // namespace mailflow::smtp
