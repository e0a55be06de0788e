// End-to-end tests of the DNS server over real loopback sockets (RFC 1035 §4.2, RFC 6891,
// RFC 7766, RFC 9267 via RELIABILITY.md): the server runs on its own io_context thread and
// the test talks to it through plain POSIX sockets with poll() time-outs, so every wait is
// bounded and a reply that must not come is checked for a fixed short window.
#include "servers/dns/dns_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace mailflow::dns {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

constexpr const char* kServerAddress = "127.10.9.1";
constexpr auto kReplyWait = 2000ms;    // a reply that must come comes well within this
constexpr auto kSilenceWait = 300ms;   // how long we listen for a reply that must not come

std::uint16_t type_of(RrType t) { return static_cast<std::uint16_t>(t); }

DnsName name(const char* text) { return *DnsName::parse(text); }

Message make_query(const char* qname, RrType type, std::uint16_t id, std::optional<std::uint16_t> edns_payload = {}) {
  Message m;
  m.header.id = id;
  m.questions.push_back(Question{name(qname), type_of(type), kClassIn});
  if (edns_payload) m.edns = Edns{*edns_payload, 0, 0, false, {}};
  return m;
}

Bytes wire_of(const Message& m) { return encode(m).wire; }

// The default world plus a name with 40 addresses, whose answer (about 670 octets) does
// not fit the 512 octets of a plain UDP response.
sim::World test_world() {
  sim::World world = sim::default_world();
  for (auto& domain : world.domains) {
    if (domain.name != "beta.test") continue;
    for (int i = 1; i <= 40; ++i) {
      domain.records.push_back({"big.beta.test", "A", "127.10.3." + std::to_string(i), 300});
    }
  }
  return world;
}

// A connected UDP socket to the server; receive() waits at most the given time.
class UdpClient {
 public:
  explicit UdpClient(const net::udp::endpoint& server) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(server.port());
    ::inet_pton(AF_INET, server.address().to_string().c_str(), &to.sin_addr);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  }
  ~UdpClient() { ::close(fd_); }
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  void send(const Bytes& packet) { EXPECT_EQ(::send(fd_, packet.data(), packet.size(), 0), static_cast<ssize_t>(packet.size())); }

  std::optional<Bytes> receive(std::chrono::milliseconds wait = kReplyWait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return std::nullopt;
    Bytes buffer(65536);
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

  // Waits for the reply with the given id, skipping the replies to earlier packets.
  std::optional<Bytes> receive_id(std::uint16_t id) {
    auto until = std::chrono::steady_clock::now() + kReplyWait;
    while (std::chrono::steady_clock::now() < until) {
      auto packet = receive(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()));
      if (!packet) return std::nullopt;
      if (packet->size() >= 2 && ((*packet)[0] << 8 | (*packet)[1]) == id) return packet;
    }
    return std::nullopt;
  }

 private:
  int fd_;
};

class TcpClient {
 public:
  explicit TcpClient(const net::tcp::endpoint& server) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(server.port());
    ::inet_pton(AF_INET, server.address().to_string().c_str(), &to.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~TcpClient() { close(); }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send_raw(const Bytes& bytes) { ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size())); }
  void send_message(const Bytes& message) {
    Bytes framed{static_cast<std::uint8_t>(message.size() >> 8), static_cast<std::uint8_t>(message.size())};
    framed.insert(framed.end(), message.begin(), message.end());
    send_raw(framed);
  }

  // Exactly n octets, or nullopt on time-out or end of stream.
  std::optional<Bytes> read_exact(std::size_t n, std::chrono::milliseconds wait = kReplyWait) {
    Bytes out;
    auto until = std::chrono::steady_clock::now() + wait;
    while (out.size() < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return std::nullopt;
      std::uint8_t buffer[4096];
      ssize_t got = ::recv(fd_, buffer, std::min(sizeof buffer, n - out.size()), 0);
      if (got <= 0) return std::nullopt;
      out.insert(out.end(), buffer, buffer + got);
    }
    return out;
  }

  std::optional<Bytes> read_message() {
    auto prefix = read_exact(2);
    if (!prefix) return std::nullopt;
    return read_exact(static_cast<std::size_t>((*prefix)[0] << 8 | (*prefix)[1]));
  }

  // True when the server ends the connection (EOF or reset) within the wait.
  bool closed_by_peer_within(std::chrono::milliseconds wait) {
    auto until = std::chrono::steady_clock::now() + wait;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
      std::uint8_t buffer[512];
      if (::recv(fd_, buffer, sizeof buffer, 0) <= 0) return true;
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

Message decoded(const std::optional<Bytes>& packet) {
  EXPECT_TRUE(packet.has_value()) << "no reply";
  if (!packet) return {};
  auto result = decode(*packet);
  EXPECT_TRUE(result.message.has_value()) << decode_error_name(result.error);
  return result.message ? *result.message : Message{};
}

struct Recorder {
  std::mutex mutex;
  std::vector<sim::Event> events;
  std::vector<sim::Event> snapshot() {
    std::lock_guard lock(mutex);
    return events;
  }
};

class DnsServerTest : public ::testing::Test {
 protected:
  void start(DnsLimits limits = {}) {
    bus_.subscribe([this](const sim::Event& e) {
      std::lock_guard lock(recorder_.mutex);
      recorder_.events.push_back(e);
    });
    server_ = std::make_unique<DnsServer>(io_, std::make_shared<Authority>(test_world()), &bus_, "ns.lab.test",
                                          net::asio::ip::make_address(kServerAddress), 0, limits);
    server_->start();
    std::promise<void> finished;
    run_returned_ = finished.get_future();
    io_thread_ = std::thread([this, finished = std::move(finished)]() mutable {
      io_.run();
      finished.set_value();
    });
  }

  void SetUp() override { start(); }

  // stop() must make run() return; only then is it safe to read the server's state.
  void TearDown() override {
    if (!server_) return;
    net::asio::post(io_, [this] { server_->stop(); });
    bool returned = run_returned_.wait_for(5s) == std::future_status::ready;
    EXPECT_TRUE(returned) << "io_context::run() did not return after stop()";
    if (!returned) io_.stop();
    io_thread_.join();
    EXPECT_EQ(server_->open_tcp_connections(), 0u);
    server_.reset();
  }

  // Runs on the io thread, where the server's session set lives.
  std::size_t open_tcp_connections() {
    std::promise<std::size_t> count;
    auto future = count.get_future();
    net::asio::post(io_, [&] { count.set_value(server_->open_tcp_connections()); });
    return future.get();
  }
  bool tcp_connections_drain_to(std::size_t expected) {
    auto until = std::chrono::steady_clock::now() + kReplyWait;
    while (std::chrono::steady_clock::now() < until) {
      if (open_tcp_connections() == expected) return true;
      std::this_thread::sleep_for(10ms);  // polling the server's count; nothing to wait on
    }
    return false;
  }

  // A fresh client asks for the SOA of beta.test: the "still alive" probe of RELIABILITY.md.
  void expect_soa_answer() {
    UdpClient client(server_->udp_endpoint());
    client.send(wire_of(make_query("beta.test", RrType::SOA, 0x50A)));
    Message reply = decoded(client.receive());
    EXPECT_EQ(reply.header.id, 0x50A);
    EXPECT_EQ(reply.header.rcode, Rcode::NoError);
    ASSERT_EQ(reply.answers.size(), 1u);
    EXPECT_EQ(reply.answers[0].type, type_of(RrType::SOA));
    EXPECT_EQ(std::get<SoaData>(reply.answers[0].data).mname, name("ns.lab.test"));
  }

  net::asio::io_context io_;
  Recorder recorder_;  // before bus_: the bus delivers its last events while it is destroyed
  sim::EventBus bus_;
  std::unique_ptr<DnsServer> server_;
  std::thread io_thread_;
  std::future<void> run_returned_;
};

// Tests that need other limits restart the server with them.
class DnsServerLimitsTest : public DnsServerTest {
 protected:
  void SetUp() override {}
};

TEST_F(DnsServerTest, UdpAnswerIsAuthoritativeAndEchoesTheId) {
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(make_query("mx.beta.test", RrType::A, 0x1234)));
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.id, 0x1234);
  EXPECT_TRUE(reply.header.qr);
  EXPECT_TRUE(reply.header.aa);
  EXPECT_FALSE(reply.header.ra);
  EXPECT_EQ(reply.header.rcode, Rcode::NoError);
  ASSERT_EQ(reply.questions.size(), 1u);
  EXPECT_EQ(reply.questions[0].name, name("mx.beta.test"));
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(std::get<AData>(reply.answers[0].data).address, (std::array<std::uint8_t, 4>{127, 10, 2, 2}));
}

TEST_F(DnsServerTest, UnknownNameGetsNxDomainWithTheZoneSoaInAuthority) {
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(make_query("nosuch.beta.test", RrType::A, 7)));
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.rcode, Rcode::NxDomain);
  EXPECT_TRUE(reply.header.aa);
  EXPECT_TRUE(reply.answers.empty());
  ASSERT_EQ(reply.authority.size(), 1u);
  EXPECT_EQ(reply.authority[0].type, type_of(RrType::SOA));
  EXPECT_EQ(reply.authority[0].name, name("beta.test"));
}

TEST_F(DnsServerTest, ExistingNameWithoutThatTypeGetsNoData) {
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(make_query("mx.beta.test", RrType::MX, 8)));
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.rcode, Rcode::NoError);
  EXPECT_TRUE(reply.answers.empty());
  ASSERT_EQ(reply.authority.size(), 1u);
  EXPECT_EQ(reply.authority[0].type, type_of(RrType::SOA));
}

TEST_F(DnsServerTest, NameOutsideTheLabsZonesIsRefused) {
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(make_query("example.com", RrType::A, 9)));
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.rcode, Rcode::Refused);
  EXPECT_FALSE(reply.header.aa);
  EXPECT_TRUE(reply.answers.empty());
}

TEST_F(DnsServerTest, QueryWithTwoQuestionsGetsFormErr) {
  Message query = make_query("beta.test", RrType::MX, 10);
  query.questions.push_back(Question{name("alpha.test"), type_of(RrType::MX), kClassIn});
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(query));
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.id, 10);
  EXPECT_EQ(reply.header.rcode, Rcode::FormErr);
  EXPECT_TRUE(reply.answers.empty());
}

TEST_F(DnsServerTest, TruncatedQueryGetsFormErrCarryingItsId) {
  Bytes packet = wire_of(make_query("beta.test", RrType::MX, 0xBEEF));
  packet.resize(packet.size() - 3);  // the question's class and half its type are gone
  UdpClient client(server_->udp_endpoint());
  client.send(packet);
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.id, 0xBEEF);
  EXPECT_TRUE(reply.header.qr);
  EXPECT_EQ(reply.header.rcode, Rcode::FormErr);
}

TEST_F(DnsServerTest, ResponsePacketsSentToTheServerAreDropped) {
  Message response = make_query("beta.test", RrType::MX, 11);
  response.header.qr = true;
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(response));
  EXPECT_FALSE(client.receive(kSilenceWait).has_value());
  EXPECT_EQ(server_->stats().dropped.load(), 1u);
  expect_soa_answer();
}

TEST_F(DnsServerTest, UnknownOpcodeGetsNotImp) {
  Message query = make_query("beta.test", RrType::MX, 12);
  query.header.opcode = Opcode::Update;
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(query));
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.id, 12);
  EXPECT_EQ(reply.header.opcode, Opcode::Update);
  EXPECT_EQ(reply.header.rcode, Rcode::NotImp);
}

TEST_F(DnsServerTest, EdnsVersionOneGetsBadVersWithAnOptRecord) {
  Message query = make_query("beta.test", RrType::MX, 13, 1232);
  query.edns->version = 1;
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(query));
  Message reply = decoded(client.receive());
  EXPECT_EQ(reply.header.rcode, Rcode::BadVers);  // 16: the upper bits travel in OPT
  ASSERT_TRUE(reply.edns.has_value());
  EXPECT_EQ(reply.edns->version, 0);
  EXPECT_TRUE(reply.answers.empty());
}

TEST_F(DnsServerTest, UdpAnswerWithoutEdnsIsTruncatedAt512Octets) {
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(make_query("big.beta.test", RrType::A, 14)));
  auto packet = client.receive();
  ASSERT_TRUE(packet.has_value());
  EXPECT_LE(packet->size(), 512u);
  Message reply = decoded(packet);
  EXPECT_TRUE(reply.header.tc);
  EXPECT_LT(reply.answers.size(), 40u);
  EXPECT_GE(server_->stats().truncated.load(), 1u);
}

TEST_F(DnsServerTest, UdpAnswerUsesTheLargerSizeOfferedWithEdns) {
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(make_query("big.beta.test", RrType::A, 15, 4096)));
  auto packet = client.receive();
  ASSERT_TRUE(packet.has_value());
  EXPECT_GT(packet->size(), 512u);
  EXPECT_LE(packet->size(), DnsLimits{}.udp_max_payload);  // 4096 offered, our 1232 is the cap
  Message reply = decoded(packet);
  EXPECT_FALSE(reply.header.tc);
  EXPECT_EQ(reply.answers.size(), 40u);
  ASSERT_TRUE(reply.edns.has_value());
  EXPECT_EQ(reply.edns->udp_payload_size, DnsLimits{}.udp_max_payload);
}

TEST_F(DnsServerTest, TcpServesTwoQueriesOnOneConnection) {
  TcpClient client(server_->tcp_endpoint());
  ASSERT_TRUE(client.connected());
  client.send_message(wire_of(make_query("mx.alpha.test", RrType::A, 21)));
  Message first = decoded(client.read_message());
  EXPECT_EQ(first.header.id, 21);
  ASSERT_EQ(first.answers.size(), 1u);
  EXPECT_EQ(std::get<AData>(first.answers[0].data).address, (std::array<std::uint8_t, 4>{127, 10, 1, 2}));

  client.send_message(wire_of(make_query("big.beta.test", RrType::A, 22)));
  Message second = decoded(client.read_message());
  EXPECT_EQ(second.header.id, 22);
  EXPECT_FALSE(second.header.tc);  // TCP is not bound by the UDP sizes
  EXPECT_EQ(second.answers.size(), 40u);

  client.close();
  EXPECT_TRUE(tcp_connections_drain_to(0));
}

TEST_F(DnsServerLimitsTest, TcpLengthPrefixThenSilenceIsClosedByTheIdleTimeout) {
  DnsLimits limits;
  limits.tcp_idle_timeout = 300ms;
  start(limits);
  TcpClient client(server_->tcp_endpoint());
  ASSERT_TRUE(client.connected());
  auto began = std::chrono::steady_clock::now();
  client.send_raw({0x00, 0x20});  // promises 32 octets that never come
  // Generous: net::Deadline's watchdog wakes at most once a second, so today the close
  // comes about 1 s after the prefix rather than 300 ms (reported).
  EXPECT_TRUE(client.closed_by_peer_within(3000ms));
  auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_GE(waited, 250ms);
  EXPECT_TRUE(tcp_connections_drain_to(0));
  expect_soa_answer();
}

TEST_F(DnsServerLimitsTest, TcpConnectionOverTheCapIsClosedAtOnce) {
  DnsLimits limits;
  limits.max_tcp_connections = 2;
  start(limits);
  TcpClient first(server_->tcp_endpoint()), second(server_->tcp_endpoint());
  // An answer on each proves both were accepted and are counted before the third comes.
  for (auto* client : {&first, &second}) {
    ASSERT_TRUE(client->connected());
    client->send_message(wire_of(make_query("beta.test", RrType::SOA, 31)));
    EXPECT_EQ(decoded(client->read_message()).header.id, 31);
  }
  EXPECT_EQ(open_tcp_connections(), 2u);

  TcpClient third(server_->tcp_endpoint());
  ASSERT_TRUE(third.connected());  // the kernel completes the handshake; the server closes it
  EXPECT_TRUE(third.closed_by_peer_within(kReplyWait));
  EXPECT_EQ(server_->stats().tcp_refused.load(), 1u);

  first.close();
  second.close();
  EXPECT_TRUE(tcp_connections_drain_to(0));
  // With the others gone there is room again.
  TcpClient fourth(server_->tcp_endpoint());
  fourth.send_message(wire_of(make_query("beta.test", RrType::SOA, 32)));
  EXPECT_EQ(decoded(fourth.read_message()).header.id, 32);
}

TEST_F(DnsServerTest, StillAnswersAfterTwoThousandGarbagePackets) {
  std::mt19937 random(20240601);
  const Bytes valid = wire_of(make_query("mx.beta.test", RrType::MX, 0x4242, 1232));
  UdpClient garbage(server_->udp_endpoint());
  std::uint16_t ping_id = 0xF000;
  for (int batch = 0; batch < 40; ++batch) {
    for (int i = 0; i < 50; ++i) {
      Bytes packet;
      if (random() % 2 == 0) {
        // Pure noise, from empty to larger than a plain UDP message.
        packet.resize(random() % 600);
        for (auto& octet : packet) octet = static_cast<std::uint8_t>(random());
      } else {
        // A real query with a few octets flipped and perhaps cut short: reaches deeper
        // into the parser than noise does.
        packet = valid;
        for (int flips = 1 + static_cast<int>(random() % 4); flips > 0; --flips) {
          packet[random() % packet.size()] = static_cast<std::uint8_t>(random());
        }
        if (random() % 3 == 0) packet.resize(random() % packet.size());
      }
      garbage.send(packet);
    }
    // The server handles datagrams in order, so the ping's answer means the batch is done.
    ++ping_id;
    garbage.send(wire_of(make_query("beta.test", RrType::SOA, ping_id)));
    ASSERT_TRUE(garbage.receive_id(ping_id).has_value()) << "no answer after batch " << batch;
  }
  EXPECT_GE(server_->stats().udp_queries.load(), 2040u);
  expect_soa_answer();
}

TEST_F(DnsServerTest, QueriesAndAnswersAppearOnTheEventBus) {
  UdpClient client(server_->udp_endpoint());
  client.send(wire_of(make_query("beta.test", RrType::MX, 41)));
  ASSERT_TRUE(client.receive().has_value());
  bus_.flush();
  auto events = recorder_.snapshot();
  const sim::Event* query = nullptr;
  const sim::Event* answer = nullptr;
  for (const auto& e : events) {
    if (e.kind == sim::EventKind::DnsQuery && e.line.starts_with("beta.test. IN MX")) query = &e;
    if (e.kind == sim::EventKind::DnsAnswer && query && !answer) answer = &e;
  }
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query->protocol, sim::Protocol::Dns);
  EXPECT_EQ(query->host, "ns.lab.test");
  EXPECT_NE(query->line.find("(UDP)"), std::string::npos);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->code, 0);
  EXPECT_NE(answer->line.find("NOERROR"), std::string::npos);
  EXPECT_NE(answer->line.find("MX 10 mx.beta.test."), std::string::npos) << answer->line;
}

TEST_F(DnsServerTest, StopClosesOpenTcpConnectionsAndRunReturns) {
  TcpClient client(server_->tcp_endpoint());
  ASSERT_TRUE(client.connected());
  client.send_message(wire_of(make_query("beta.test", RrType::SOA, 51)));
  ASSERT_TRUE(client.read_message().has_value());
  EXPECT_EQ(open_tcp_connections(), 1u);
  // TearDown stops the server with this connection still open and checks run() returns.
}

}  // namespace
}  // namespace mailflow::dns
