// End to end: `mailflow serve` as a real process, queried by real DNS clients from Debian
// (dig from bind9-dnsutils, kdig from knot-dnsutils) over UDP and TCP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "tests/e2e/lab_process.hpp"

namespace mailflow::e2e {
namespace {

class DnsClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { lab_ = new LabProcess(); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }

  static std::vector<std::string> at_server(const std::string& tool) {
    return {tool, "@" + lab_->dns_address(), "-p", std::to_string(lab_->dns_port())};
  }
  static CommandResult dig(std::vector<std::string> args) {
    auto argv = at_server("dig");
    argv.insert(argv.end(), {"+tries=1", "+time=3"});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  static CommandResult kdig(std::vector<std::string> args) {
    auto argv = at_server("kdig");
    argv.insert(argv.end(), {"+retry=0", "+time=3"});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  static LabProcess* lab_;
};
LabProcess* DnsClients::lab_ = nullptr;

TEST_F(DnsClients, DigFindsBetaMxWithItsAddress) {
  auto r = dig({"beta.test", "MX"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("status: NOERROR"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("flags: qr aa"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("beta.test.\t\t300\tIN\tMX\t10 mx.beta.test."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mx.beta.test.\t\t300\tIN\tA\t127.10.2.2"), std::string::npos) << r.output;
}

TEST_F(DnsClients, DigShortAnswersForMxAndA) {
  EXPECT_EQ(dig({"+short", "alpha.test", "MX"}).output, "10 mx.alpha.test.\n");
  EXPECT_EQ(dig({"+short", "mx.alpha.test", "A"}).output, "127.10.1.2\n");
  EXPECT_EQ(dig({"+short", "-x", "127.10.2.2"}).output, "mx.beta.test.\n");
}

TEST_F(DnsClients, DigSeesNxDomainWithSoa) {
  auto r = dig({"nobody.beta.test", "A"});
  EXPECT_NE(r.output.find("status: NXDOMAIN"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("AUTHORITY: 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("IN\tSOA\tns.lab.test. hostmaster.beta.test."), std::string::npos) << r.output;
}

TEST_F(DnsClients, DigSeesNoDataForAMissingType) {
  auto r = dig({"mx.beta.test", "MX"});
  EXPECT_NE(r.output.find("status: NOERROR"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ANSWER: 0, AUTHORITY: 1"), std::string::npos) << r.output;
}

TEST_F(DnsClients, DigIsRefusedOutsideTheLabsZones) {
  auto r = dig({"example.com", "A"});
  EXPECT_NE(r.output.find("status: REFUSED"), std::string::npos) << r.output;
}

TEST_F(DnsClients, DigOverTcp) {
  auto r = dig({"+tcp", "beta.test", "MX"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("10 mx.beta.test."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(TCP)"), std::string::npos) << r.output;
}

TEST_F(DnsClients, KdigMxOverUdpAndTcp) {
  auto udp = kdig({"beta.test", "MX"});
  ASSERT_EQ(udp.exit_code, 0) << udp.output;
  EXPECT_NE(udp.output.find("status: NOERROR"), std::string::npos) << udp.output;
  EXPECT_NE(udp.output.find("10 mx.beta.test."), std::string::npos) << udp.output;
  auto tcp = kdig({"+tcp", "alpha.test", "MX"});
  ASSERT_EQ(tcp.exit_code, 0) << tcp.output;
  EXPECT_NE(tcp.output.find("10 mx.alpha.test."), std::string::npos) << tcp.output;
  EXPECT_NE(tcp.output.find("(TCP)"), std::string::npos) << tcp.output;
}

TEST_F(DnsClients, KdigNxDomainAndNoData) {
  auto nx = kdig({"typo.alpha.test", "MX"});
  EXPECT_NE(nx.output.find("status: NXDOMAIN"), std::string::npos) << nx.output;
  auto nodata = kdig({"smtp.alpha.test", "AAAA"});
  EXPECT_NE(nodata.output.find("status: NOERROR"), std::string::npos) << nodata.output;
  EXPECT_NE(nodata.output.find("ANSWER: 0"), std::string::npos) << nodata.output;
}

TEST_F(DnsClients, AnswersAfterABurstOfGarbagePackets) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(lab_->dns_port()));
  inet_pton(AF_INET, lab_->dns_address().c_str(), &to.sin_addr);
  std::mt19937 random(7);
  for (int i = 0; i < 3000; ++i) {
    std::vector<unsigned char> packet(random() % 600);
    for (auto& b : packet) b = static_cast<unsigned char>(random());
    if (i % 3 == 0 && packet.size() > 12) packet[2] &= 0x7f;  // QR=0: looks like a query
    sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  close(fd);
  auto r = dig({"beta.test", "SOA"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("status: NOERROR"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("IN\tSOA\tns.lab.test."), std::string::npos) << r.output;
}

TEST(DnsClientsLargeAnswer, TruncatesOverUdpAndDigRetriesOverTcp) {
  auto dir = make_temp_dir("mailflow-world");
  auto world_file = dir / "big.yaml";
  {
    std::ifstream in(source_dir() / "scenarios/worlds/default.yaml");
    std::stringstream yaml;
    yaml << in.rdbuf();
    std::string text = yaml.str();
    // Forty TXT records of 60 octets on big.alpha.test: far more than 512 octets.
    std::string records = "    records:\n";
    for (int i = 0; i < 40; ++i) {
      records += "      - { name: big.alpha.test, type: TXT, value: \"record-" + std::to_string(i) + "-" +
                 std::string(50, 'x') + "\" }\n";
    }
    auto at = text.find("  - name: alpha.test\n");
    ASSERT_NE(at, std::string::npos);
    text.insert(at + std::string("  - name: alpha.test\n").size(), records);
    std::ofstream(world_file) << text;
  }
  LabProcess lab({"--world", world_file.string()});
  std::vector<std::string> base = {"dig", "@" + lab.dns_address(), "-p", std::to_string(lab.dns_port()), "+tries=1",
                                   "+time=3"};
  auto ignore_tc = base;
  ignore_tc.insert(ignore_tc.end(), {"+noedns", "+ignore", "big.alpha.test", "TXT"});
  auto truncated = run_command(ignore_tc);
  EXPECT_NE(truncated.output.find(" tc"), std::string::npos) << truncated.output;
  EXPECT_NE(truncated.output.find("MSG SIZE  rcvd:"), std::string::npos);

  auto full = base;
  full.insert(full.end(), {"+noedns", "big.alpha.test", "TXT"});
  auto retried = run_command(full);
  ASSERT_EQ(retried.exit_code, 0) << retried.output;
  EXPECT_NE(retried.output.find("Truncated, retrying in TCP mode"), std::string::npos) << retried.output;
  EXPECT_NE(retried.output.find("ANSWER: 40"), std::string::npos) << retried.output;
  std::filesystem::remove_all(dir);
}

TEST(MailflowServe, StopsCleanlyOnSigtermAndRemovesTheReadyFile) {
  LabProcess lab;
  EXPECT_EQ(lab.ready()["hosts"].size(), 7u);
  EXPECT_EQ(lab.ready()["users"].size(), 3u);
  EXPECT_EQ(lab.ready()["users"][0]["address"], "alice@alpha.test");
  EXPECT_TRUE(std::filesystem::is_directory(std::string(lab.ready()["users"][0]["maildir"]) + "/new"));
  EXPECT_EQ(lab.dns_port(), lab.port_offset() + 53);
  EXPECT_EQ(lab.stop(), 0) << lab.output();
  EXPECT_FALSE(std::filesystem::exists(lab.ready_file()));
  EXPECT_NE(lab.output().find("SIGTERM received"), std::string::npos) << lab.output();
  EXPECT_NE(lab.output().find("ns.lab.test"), std::string::npos) << "the endpoint table";
}

TEST(MailflowServe, RejectsABadWorldFileWithLineAndColumn) {
  auto dir = make_temp_dir("mailflow-world");
  auto world_file = dir / "bad.yaml";
  std::ofstream(world_file) << "name: broken\nhosts:\n  - name: ns.lab.test\n    adress: 127.10.0.53\n";
  auto r = run_command({mailflow_binary().string(), "serve", "--world", world_file.string(), "--state-dir",
                        (dir / "state").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(world_file.string() + ":4:5:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("adress"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

TEST(MailflowHosts, PrintsEtcHostsLines) {
  auto r = run_command({mailflow_binary().string(), "hosts"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("127.10.2.2      mx.beta.test\n"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mailflow::e2e
