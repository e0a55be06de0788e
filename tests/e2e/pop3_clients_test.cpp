// End to end: `mailflow serve` as a real process; a letter is delivered to bob over SMTP
// (straight to mx.beta.test, as another provider would), then real POP3 clients from
// Debian collect it from mail.beta.test: Python's poplib over POP3S and over STLS, curl
// over pop3s://, and fetchmail over TLS into an MDA (which deletes it at QUIT).
#include <sys/stat.h>

#include <fstream>

#include "tests/e2e/mail_lab_test.hpp"

namespace mailflow::e2e {
namespace {

namespace fs = std::filesystem;

using Pop3Clients = MailLabTest;

TEST_F(Pop3Clients, HostsListPop3AndPop3sPorts) {
  EXPECT_EQ(port("pop3"), std::to_string(110 + lab_->port_offset()));
  EXPECT_EQ(port("pop3s"), std::to_string(995 + lab_->port_offset()));
}

TEST_F(Pop3Clients, PythonPoplibOverPop3sAndStls) {
  deliver("poplib-first");
  deliver("poplib-second", "..a line starting with a dot");  // dot-stuffed for SMTP DATA
  std::string script =
      "import poplib, ssl, sys\n"
      "ctx = ssl.create_default_context(cafile=sys.argv[4])\n"
      "p = poplib.POP3_SSL(sys.argv[1], int(sys.argv[2]), context=ctx, timeout=10)\n"
      "print('caps', sorted(p.capa().keys()))\n"
      "p.user('bob@beta.test'); p.pass_('bob-secret')\n"
      "print('stat', p.stat()[0])\n"
      "lines = p.retr(2)[1]\n"
      "print('retr', b'Subject: poplib-second' in lines, b'.a line starting with a dot' in lines)\n"
      "uidl_ssl = p.uidl()[1]\n"
      "p.quit()\n"
      "q = poplib.POP3(sys.argv[1], int(sys.argv[3]), timeout=10)\n"
      "print('plain caps', sorted(q.capa().keys()))\n"
      "q.stls(context=ctx)\n"
      "q.user('bob@beta.test'); q.pass_('bob-secret')\n"
      "print('uidl same', q.uidl()[1] == uidl_ssl)\n"
      "print('top', b'Subject: poplib-first' in q.top(1, 0)[1])\n"
      "q.dele(1)\n"
      "q.quit()\n";
  auto r = run_command({"/usr/bin/python3", "-c", script, address(), port("pop3s"), port("pop3"), ca()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("caps ['AUTH-RESP-CODE', 'EXPIRE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'TOP', 'UIDL', 'USER']"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("plain caps ['AUTH-RESP-CODE', 'EXPIRE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'STLS', 'TOP', 'UIDL']"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("stat 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("retr True True"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("uidl same True"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("top True"), std::string::npos) << r.output;
  EXPECT_EQ(inbox_count(), 1u) << "DELE 1 was applied at QUIT";
}

TEST_F(Pop3Clients, PythonPoplibIsRefusedAPasswordBeforeStls) {
  std::string script =
      "import poplib, sys\n"
      "q = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)\n"
      "try:\n"
      "    q.user('bob@beta.test')\n"
      "except poplib.error_proto as e:\n"
      "    print('refused', e)\n";
  auto r = run_command({"/usr/bin/python3", "-c", script, address(), port("pop3")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("refused b'-ERR [AUTH] Plaintext authentication disallowed"), std::string::npos) << r.output;
}

TEST_F(Pop3Clients, CurlListsAndFetchesOverPop3s) {
  deliver("curl-pop3s");
  std::string url = "pop3s://" + address() + ":" + port("pop3s") + "/";
  auto list = run_command({"curl", "-sS", "--cacert", ca(), "--user", "bob@beta.test:bob-secret", url});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(list.output.rfind("1 ", 0), 0u) << list.output;
  auto fetch = run_command({"curl", "-sS", "--cacert", ca(), "--user", "bob@beta.test:bob-secret", url + "1"});
  ASSERT_EQ(fetch.exit_code, 0) << fetch.output;
  EXPECT_NE(fetch.output.find("Subject: curl-pop3s"), std::string::npos) << fetch.output;
  EXPECT_NE(fetch.output.find("Delivered-To: bob@beta.test"), std::string::npos) << fetch.output;
  // STLS on the plain port, as --ssl-reqd asks.
  auto stls = run_command({"curl", "-sS", "--ssl-reqd", "--cacert", ca(), "--user", "bob@beta.test:bob-secret",
                           "pop3://" + address() + ":" + port("pop3") + "/1"});
  ASSERT_EQ(stls.exit_code, 0) << stls.output;
  EXPECT_NE(stls.output.find("Subject: curl-pop3s"), std::string::npos) << stls.output;
  EXPECT_EQ(inbox_count(), 1u) << "curl only reads";
}

// fetchmail verifies the certificate's name: it dials the host's address and is told the
// name to expect with sslcommonname (the lab's names resolve only through its own DNS or
// `mailflow hosts` in /etc/hosts).
TEST_F(Pop3Clients, FetchmailDownloadsBobsMailOverTlsIntoAnMda) {
  deliver("fetchmail-one");
  deliver("fetchmail-two");
  auto dir = make_temp_dir("mailflow-fetchmail");
  for (const auto& [service, tls] : {std::pair<std::string, std::string>{"pop3s", "ssl"},
                                     {"pop3", "sslproto 'tls1.2+'"}}) {
    SCOPED_TRACE(service);
    auto rc = dir / ("fetchmailrc-" + service);
    auto mbox = dir / ("mbox-" + service);
    std::ofstream(rc) << "set no syslog\n"
                      << "poll " << address() << " with proto POP3 service " << port(service) << "\n"
                      << "  user \"bob@beta.test\" there with password \"bob-secret\" is \"root\" here\n"
                      << "  " << tls << " sslcertck sslcertfile \"" << ca() << "\" sslcommonname \"" << kMailHost << "\"\n"
                      << "  mda \"cat >> " << mbox.string() << "\"\n";
    ::chmod(rc.c_str(), 0600);
    auto r = run_command({"fetchmail", "-f", rc.string(), "-i", (dir / ("ids-" + service)).string(), "--nodetach",
                          "--nosyslog"}, 60);
    if (service == "pop3s") {
      ASSERT_EQ(r.exit_code, 0) << r.output;
      std::string got = read_file(mbox);
      EXPECT_NE(got.find("Subject: fetchmail-one"), std::string::npos) << got;
      EXPECT_NE(got.find("Subject: fetchmail-two"), std::string::npos) << got;
      EXPECT_EQ(inbox_count(), 0u) << "fetchmail deletes what it downloaded (DELE, then QUIT)";
      EXPECT_NE(r.output.find("2 messages"), std::string::npos) << r.output;
      deliver("fetchmail-three");
    } else {
      ASSERT_EQ(r.exit_code, 0) << r.output;
      EXPECT_NE(read_file(mbox).find("Subject: fetchmail-three"), std::string::npos) << r.output;
      EXPECT_EQ(inbox_count(), 0u);
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mailflow::e2e
