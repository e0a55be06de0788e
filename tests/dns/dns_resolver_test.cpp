// Tests of the stub resolver (dns_resolver.hpp) against the lab's real DnsServer on
// loopback, and against scripted fake servers for what a correct server never does:
// silence, answers with the wrong id or question, undecodable answers. Covers RFC 5321 §5.1
// (MX order, implicit MX), RFC 7505 (null MX), RFC 7766 §5 (TC → TCP), RFC 5452 §9.1.
#include "servers/dns/dns_resolver.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "servers/dns/dns_server.hpp"
#include "sim/clock.hpp"

namespace mailflow::dns {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
namespace asio = net::asio;

constexpr const char* kServerAddress = "127.10.9.2";
constexpr const char* kFakeServerAddress = "127.10.9.3";
constexpr auto kOperationBound = 10s;  // no resolver call in these tests may take longer

std::uint16_t type_of(RrType t) { return static_cast<std::uint16_t>(t); }
DnsName name(const char* text) { return *DnsName::parse(text); }
asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

sim::Host host(std::string name, std::string domain, std::string address) {
  return sim::Host{std::move(name), std::move(domain), std::move(address), {}};
}

// The default world plus the domains these tests need:
//   gamma.test   two MX, listed with the higher preference first
//   solo.test    no MX, but an address of its own (implicit MX)
//   nomail.test  the null MX "0 ."
//   broken.test  an MX host that does not exist
//   big.beta.test  eight 200-octet TXT records: about 1.7 kB, more than UDP's 1232
sim::World test_world() {
  sim::World world = sim::default_world();
  world.domains.push_back(sim::Domain{"gamma.test", {{"mx2.gamma.test", 20}, {"mx1.gamma.test", 10}}, {}, 300});
  world.domains.push_back(sim::Domain{"solo.test", {}, {}, 300});
  world.domains.push_back(sim::Domain{"nomail.test", {{".", 0}}, {}, 300});
  world.domains.push_back(sim::Domain{"broken.test", {{"ghost.broken.test", 10}}, {}, 300});
  world.hosts.push_back(host("mx1.gamma.test", "gamma.test", "127.10.3.1"));
  world.hosts.push_back(host("mx2.gamma.test", "gamma.test", "127.10.3.2"));
  world.hosts.push_back(host("solo.test", "solo.test", "127.10.4.1"));
  for (auto& domain : world.domains) {
    if (domain.name != "beta.test") continue;
    for (char c = 'a'; c < 'a' + 8; ++c) domain.records.push_back({"big.beta.test", "TXT", std::string(200, c), 300});
  }
  return world;
}

// DnsServer binds UDP and TCP separately, so with port 0 they would get different ports;
// the resolver expects TCP on the UDP port (RFC 7766 §5). Take an ephemeral UDP port and
// try the same number for both, a few times over.
std::unique_ptr<DnsServer> start_server_on_one_port(asio::io_context& io, std::shared_ptr<const Authority> authority,
                                                    sim::EventBus* bus) {
  for (int tries = 0; tries < 20; ++tries) {
    asio::ip::udp::socket probe(io, asio::ip::udp::endpoint(ip(kServerAddress), 0));
    std::uint16_t port = probe.local_endpoint().port();
    probe.close();
    auto server = std::make_unique<DnsServer>(io, authority, bus, "ns.lab.test", ip(kServerAddress), port);
    try {
      server->start();
      return server;
    } catch (const boost::system::system_error&) {
      // that TCP port was taken; try another
    }
  }
  throw std::runtime_error("no port free for both UDP and TCP");
}

// A UDP "server" on its own thread that answers from a script: for the nth query it
// receives (counting from 0) it sends the datagrams the script returns, in order.
class ScriptedUdpServer {
 public:
  using Script = std::function<std::vector<Bytes>(const Message& query, int nth)>;

  explicit ScriptedUdpServer(Script script) : script_(std::move(script)), fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in at{};
    at.sin_family = AF_INET;
    ::inet_pton(AF_INET, kFakeServerAddress, &at.sin_addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
    socklen_t length = sizeof at;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &length);
    port_ = ntohs(at.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedUdpServer() {
    stopping_ = true;
    thread_.join();
    ::close(fd_);
  }

  net::udp::endpoint endpoint() const { return {ip(kFakeServerAddress), port_}; }
  int queries_seen() const { return seen_.load(); }

 private:
  void serve() {
    while (!stopping_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) != 1) continue;  // the short wake-up only notices stopping_
      Bytes buffer(65536);
      sockaddr_in from{};
      socklen_t length = sizeof from;
      ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &length);
      if (n <= 0) continue;
      buffer.resize(static_cast<std::size_t>(n));
      auto query = decode(buffer);
      if (!query.message) continue;
      for (const Bytes& reply : script_(*query.message, seen_++)) {
        ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), length);
      }
    }
  }

  Script script_;
  int fd_;
  std::uint16_t port_ = 0;
  std::atomic<int> seen_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A well-formed answer to query with one A record, with the id and question name given.
Bytes fake_answer(const Message& query, std::uint16_t id, const char* qname, std::array<std::uint8_t, 4> address) {
  Message r;
  r.header = query.header;
  r.header.id = id;
  r.header.qr = true;
  r.header.aa = true;
  r.questions = {Question{name(qname), query.questions.at(0).type, kClassIn}};
  r.answers.push_back(ResourceRecord{name(qname), type_of(RrType::A), kClassIn, 60, AData{address}});
  return encode(r).wire;
}

// Twelve octets of header with the query's id and QR set, claiming a question that is
// not there: decodes to a header but not to a message.
Bytes undecodable_answer(const Message& query) {
  return {static_cast<std::uint8_t>(query.header.id >> 8), static_cast<std::uint8_t>(query.header.id), 0x84, 0x00,
          0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
}

struct Recorder {
  std::mutex mutex;
  std::vector<sim::Event> events;
  std::vector<sim::Event> snapshot() {
    std::lock_guard lock(mutex);
    return events;
  }
};

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_.subscribe([this](const sim::Event& e) {
      std::lock_guard lock(recorder_.mutex);
      recorder_.events.push_back(e);
    });
    server_ = start_server_on_one_port(io_, std::make_shared<Authority>(test_world()), nullptr);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    asio::post(io_, [this] { server_->stop(); });
    io_thread_.join();
  }

  ResolverOptions options_for(net::udp::endpoint server) {
    ResolverOptions options;
    options.server = server;
    options.timeout = 500ms;
    return options;
  }
  ResolverOptions lab_options() { return options_for(server_->udp_endpoint()); }

  // Runs one resolver operation on the io thread and waits for it, bounded.
  template <class T>
  T run(asio::awaitable<T> operation) {
    auto future = asio::co_spawn(io_, std::move(operation), asio::use_future);
    if (future.wait_for(kOperationBound) != std::future_status::ready) {
      throw std::runtime_error("resolver operation did not finish in time");
    }
    return future.get();
  }

  asio::io_context io_;
  Recorder recorder_;  // before bus_: the bus delivers its last events while it is destroyed
  sim::EventBus bus_;
  std::unique_ptr<DnsServer> server_;
  std::thread io_thread_;
};

TEST_F(ResolverTest, MailRouteListsMxHostsByPreferenceWithTheirAddresses) {
  Resolver resolver(io_.get_executor(), lab_options());
  // The premise: the server sends the preference 20 record first.
  LookupResult raw = run(resolver.query(name("gamma.test"), type_of(RrType::MX)));
  ASSERT_EQ(raw.status, LookupStatus::Ok);
  ASSERT_EQ(raw.response.answers.size(), 2u);
  EXPECT_EQ(std::get<MxData>(raw.response.answers[0].data).preference, 20);

  MailRoute route = run(resolver.resolve_mail_route(name("gamma.test")));
  EXPECT_EQ(route.status, LookupStatus::Ok) << route.error;
  EXPECT_FALSE(route.implicit_mx);
  EXPECT_FALSE(route.null_mx);
  ASSERT_EQ(route.hosts.size(), 2u);
  EXPECT_EQ(route.hosts[0].name, name("mx1.gamma.test"));
  EXPECT_EQ(route.hosts[0].preference, 10);
  EXPECT_EQ(route.hosts[0].addresses, std::vector{ip("127.10.3.1")});
  EXPECT_EQ(route.hosts[1].name, name("mx2.gamma.test"));
  EXPECT_EQ(route.hosts[1].preference, 20);
  EXPECT_EQ(route.hosts[1].addresses, std::vector{ip("127.10.3.2")});
}

TEST_F(ResolverTest, DomainWithoutMxFallsBackToItsOwnAddressAsImplicitMx) {
  Resolver resolver(io_.get_executor(), lab_options());
  MailRoute route = run(resolver.resolve_mail_route(name("solo.test")));
  EXPECT_EQ(route.status, LookupStatus::Ok) << route.error;
  EXPECT_TRUE(route.implicit_mx);
  ASSERT_EQ(route.hosts.size(), 1u);
  EXPECT_EQ(route.hosts[0].name, name("solo.test"));
  EXPECT_EQ(route.hosts[0].preference, 0);
  EXPECT_EQ(route.hosts[0].addresses, std::vector{ip("127.10.4.1")});
}

TEST_F(ResolverTest, DomainWithNeitherMxNorAddressHasNoRoute) {
  Resolver resolver(io_.get_executor(), lab_options());
  MailRoute route = run(resolver.resolve_mail_route(name("lab.test")));
  EXPECT_EQ(route.status, LookupStatus::NoData);
  EXPECT_TRUE(route.implicit_mx);
  EXPECT_TRUE(route.hosts.empty());
  EXPECT_FALSE(route.error.empty());
}

TEST_F(ResolverTest, UnknownNameIsNxDomain) {
  Resolver resolver(io_.get_executor(), lab_options());
  LookupResult result = run(resolver.query(name("nosuch.beta.test"), type_of(RrType::A)));
  EXPECT_EQ(result.status, LookupStatus::NxDomain);
  EXPECT_EQ(result.attempts_used, 1);
  EXPECT_FALSE(result.via_tcp);

  MailRoute route = run(resolver.resolve_mail_route(name("nosuch.beta.test")));
  EXPECT_EQ(route.status, LookupStatus::NxDomain);
  EXPECT_TRUE(route.hosts.empty());
}

TEST_F(ResolverTest, ExistingNameWithoutThatTypeIsNoData) {
  Resolver resolver(io_.get_executor(), lab_options());
  LookupResult result = run(resolver.query(name("mx.beta.test"), type_of(RrType::MX)));
  EXPECT_EQ(result.status, LookupStatus::NoData);
  EXPECT_TRUE(result.response.answers.empty());
  ASSERT_EQ(result.response.authority.size(), 1u);
  EXPECT_EQ(result.response.authority[0].type, type_of(RrType::SOA));
}

TEST_F(ResolverTest, SingleNullMxMeansTheDomainAcceptsNoMail) {
  Resolver resolver(io_.get_executor(), lab_options());
  MailRoute route = run(resolver.resolve_mail_route(name("nomail.test")));
  EXPECT_EQ(route.status, LookupStatus::Ok);
  EXPECT_TRUE(route.null_mx);
  EXPECT_FALSE(route.implicit_mx);
  EXPECT_TRUE(route.hosts.empty());
}

TEST_F(ResolverTest, MxHostThatDoesNotExistLeavesTheRouteWithoutAddresses) {
  Resolver resolver(io_.get_executor(), lab_options());
  MailRoute route = run(resolver.resolve_mail_route(name("broken.test")));
  EXPECT_EQ(route.status, LookupStatus::NoData);  // permanent: nothing will change on retry
  ASSERT_EQ(route.hosts.size(), 1u);
  EXPECT_EQ(route.hosts[0].name, name("ghost.broken.test"));
  EXPECT_TRUE(route.hosts[0].addresses.empty());
  EXPECT_NE(route.error.find("ghost.broken.test."), std::string::npos) << route.error;
}

TEST_F(ResolverTest, ResolveAddressesReturnsTheARecords) {
  Resolver resolver(io_.get_executor(), lab_options());
  auto [status, addresses] = run(resolver.resolve_addresses(name("MX.Beta.Test")));
  EXPECT_EQ(status, LookupStatus::Ok);
  EXPECT_EQ(addresses, std::vector{ip("127.10.2.2")});
  auto [missing, none] = run(resolver.resolve_addresses(name("nosuch.beta.test")));
  EXPECT_EQ(missing, LookupStatus::NxDomain);
  EXPECT_TRUE(none.empty());
}

TEST_F(ResolverTest, TruncatedUdpAnswerIsRepeatedOverTcp) {
  Resolver resolver(io_.get_executor(), lab_options(), &bus_, "relay.alpha.test");
  LookupResult result = run(resolver.query(name("big.beta.test"), type_of(RrType::TXT)));
  EXPECT_EQ(result.status, LookupStatus::Ok) << result.error;
  EXPECT_TRUE(result.via_tcp);
  EXPECT_FALSE(result.response.header.tc);
  EXPECT_EQ(result.attempts_used, 2);  // one datagram, one TCP exchange
  ASSERT_EQ(result.response.answers.size(), 8u);
  for (const auto& rr : result.response.answers) {
    const auto& txt = std::get<TxtData>(rr.data);
    ASSERT_EQ(txt.strings.size(), 1u);
    EXPECT_EQ(txt.strings[0].size(), 200u);
  }

  // One look-up in the visualizer: the UDP try and the TCP repeat share a session.
  bus_.flush();
  std::vector<sim::Event> mine;
  for (const auto& e : recorder_.snapshot()) {
    if (e.host == "relay.alpha.test") mine.push_back(e);
  }
  ASSERT_EQ(mine.size(), 4u);
  EXPECT_EQ(mine[0].line, "big.beta.test. IN TXT (UDP)");
  EXPECT_NE(mine[1].line.find("(truncated)"), std::string::npos) << mine[1].line;
  EXPECT_EQ(mine[2].line, "big.beta.test. IN TXT (TCP)");
  EXPECT_EQ(mine[3].kind, sim::EventKind::DnsAnswer);
  for (const auto& e : mine) EXPECT_EQ(e.session, mine[0].session);
}

TEST_F(ResolverTest, QueryTcpAsksOverTcpOnly) {
  Resolver resolver(io_.get_executor(), lab_options());
  LookupResult result = run(resolver.query_tcp(name("beta.test"), type_of(RrType::MX)));
  EXPECT_EQ(result.status, LookupStatus::Ok) << result.error;
  EXPECT_TRUE(result.via_tcp);
  ASSERT_EQ(result.response.answers.size(), 1u);
  EXPECT_EQ(std::get<MxData>(result.response.answers[0].data).exchange, name("mx.beta.test"));
}

TEST_F(ResolverTest, SilentServerTimesOutAfterEveryAttemptInBoundedTime) {
  ScriptedUdpServer silent([](const Message&, int) { return std::vector<Bytes>{}; });
  ResolverOptions options = options_for(silent.endpoint());
  options.timeout = 200ms;
  options.attempts = 3;
  Resolver resolver(io_.get_executor(), options);
  auto began = std::chrono::steady_clock::now();
  LookupResult result = run(resolver.query(name("beta.test"), type_of(RrType::MX)));
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(result.status, LookupStatus::Timeout);
  EXPECT_EQ(result.attempts_used, 3);
  EXPECT_FALSE(result.error.empty());
  EXPECT_GE(took, 550ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(silent.queries_seen(), 3);
}

TEST_F(ResolverTest, IgnoresAnswersWithTheWrongIdOrQuestionAndKeepsWaiting) {
  ScriptedUdpServer spoofing([](const Message& query, int) {
    return std::vector<Bytes>{
        fake_answer(query, static_cast<std::uint16_t>(query.header.id + 1), "beta.test", {127, 66, 6, 6}),
        fake_answer(query, query.header.id, "evil.test", {127, 66, 6, 7}),
        fake_answer(query, query.header.id, "beta.test", {127, 10, 9, 99}),
    };
  });
  Resolver resolver(io_.get_executor(), options_for(spoofing.endpoint()), &bus_, "relay.alpha.test");
  LookupResult result = run(resolver.query(name("beta.test"), type_of(RrType::A)));
  EXPECT_EQ(result.status, LookupStatus::Ok) << result.error;
  EXPECT_EQ(result.attempts_used, 1);
  ASSERT_EQ(result.response.answers.size(), 1u);
  EXPECT_EQ(std::get<AData>(result.response.answers[0].data).address, (std::array<std::uint8_t, 4>{127, 10, 9, 99}));

  bus_.flush();
  int ignored = 0;
  for (const auto& e : recorder_.snapshot()) ignored += e.line.starts_with("ignored") ? 1 : 0;
  EXPECT_EQ(ignored, 2);
}

TEST_F(ResolverTest, UndecodableAnswerIsRetriedLikeATimeout) {
  ScriptedUdpServer flaky([](const Message& query, int nth) {
    if (nth == 0) return std::vector<Bytes>{undecodable_answer(query)};
    return std::vector<Bytes>{fake_answer(query, query.header.id, "beta.test", {127, 10, 9, 98})};
  });
  Resolver resolver(io_.get_executor(), options_for(flaky.endpoint()));
  LookupResult result = run(resolver.query(name("beta.test"), type_of(RrType::A)));
  EXPECT_EQ(result.status, LookupStatus::Ok) << result.error;
  EXPECT_EQ(result.attempts_used, 2);
}

TEST_F(ResolverTest, AlwaysUndecodableAnswersEndAsBadResponse) {
  ScriptedUdpServer broken([](const Message& query, int) { return std::vector<Bytes>{undecodable_answer(query)}; });
  ResolverOptions options = options_for(broken.endpoint());
  options.attempts = 2;
  Resolver resolver(io_.get_executor(), options);
  LookupResult result = run(resolver.query(name("beta.test"), type_of(RrType::A)));
  EXPECT_EQ(result.status, LookupStatus::BadResponse);
  EXPECT_EQ(result.attempts_used, 2);
  EXPECT_NE(result.error.find("undecodable"), std::string::npos) << result.error;
}

TEST_F(ResolverTest, UnreachablePortIsANetworkErrorNotAHang) {
  std::uint16_t closed_port;
  {
    asio::ip::udp::socket probe(io_, asio::ip::udp::endpoint(ip(kFakeServerAddress), 0));
    closed_port = probe.local_endpoint().port();
  }
  ResolverOptions options = options_for({ip(kFakeServerAddress), closed_port});
  options.timeout = 2000ms;
  Resolver resolver(io_.get_executor(), options);
  auto began = std::chrono::steady_clock::now();
  LookupResult result = run(resolver.query(name("beta.test"), type_of(RrType::A)));
  EXPECT_EQ(result.status, LookupStatus::NetworkError) << result.error;
  EXPECT_EQ(result.attempts_used, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2000ms);  // ICMP answers before the time-out
}

TEST_F(ResolverTest, QueryAndAnswerEventsNameTheQuestionAndTheRecords) {
  Resolver resolver(io_.get_executor(), lab_options(), &bus_, "relay.alpha.test");
  LookupResult result = run(resolver.query(name("beta.test"), type_of(RrType::MX)));
  ASSERT_EQ(result.status, LookupStatus::Ok);
  bus_.flush();
  std::vector<sim::Event> mine;
  for (const auto& e : recorder_.snapshot()) {
    if (e.host == "relay.alpha.test") mine.push_back(e);
  }
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].kind, sim::EventKind::DnsQuery);
  EXPECT_EQ(mine[0].protocol, sim::Protocol::Dns);
  EXPECT_TRUE(mine[0].line.starts_with("beta.test. IN MX")) << mine[0].line;
  EXPECT_EQ(mine[0].peer, net::endpoint_text(server_->udp_endpoint()));
  EXPECT_EQ(mine[1].kind, sim::EventKind::DnsAnswer);
  EXPECT_EQ(mine[1].code, 0);
  EXPECT_EQ(mine[1].line, describe_answer(result.response));
  EXPECT_EQ(mine[0].session, mine[1].session);
}

// The lab's MX record for beta.test changed to mx1.gamma.test (a migration), with `ttl`.
std::shared_ptr<const Authority> beta_moved_to_gamma(std::uint32_t ttl) {
  auto edited = std::make_shared<Authority>(test_world());
  std::vector<ResourceRecord> mx{
      ResourceRecord{name("beta.test"), type_of(RrType::MX), kClassIn, ttl, MxData{10, name("mx1.gamma.test")}}};
  EXPECT_TRUE(edited->replace_records(name("beta.test"), type_of(RrType::MX), std::move(mx)));
  return edited;
}

DnsName first_exchange(const LookupResult& result) {
  for (const auto& rr : result.response.answers) {
    if (const auto* mx = std::get_if<MxData>(&rr.data)) return mx->exchange;
  }
  return DnsName{};
}

TEST_F(ResolverTest, ReplacedRecordIsServedOnTheWireAtOnce) {
  Resolver resolver(io_.get_executor(), lab_options());
  ASSERT_EQ(first_exchange(run(resolver.query(name("beta.test"), type_of(RrType::MX)))), name("mx.beta.test"));
  server_->set_authority(beta_moved_to_gamma(300));
  LookupResult after = run(resolver.query(name("beta.test"), type_of(RrType::MX)));
  ASSERT_EQ(after.status, LookupStatus::Ok);
  ASSERT_EQ(after.response.answers.size(), 1u) << "the old MX is gone, not kept beside the new one";
  EXPECT_EQ(first_exchange(after), name("mx1.gamma.test"));
}

TEST_F(ResolverTest, CachingResolverKeepsTheOldAnswerUntilItsTtlPassesInLabTime) {
  sim::ManualClock clock;
  ResolverOptions options = lab_options();
  options.cache_clock = &clock;
  Resolver resolver(io_.get_executor(), options, &bus_, "relay.alpha.test");
  ASSERT_EQ(first_exchange(run(resolver.query(name("beta.test"), type_of(RrType::MX)))), name("mx.beta.test"));
  server_->set_authority(beta_moved_to_gamma(300));

  clock.advance(299s);  // the world's beta.test TTL is 300 s
  LookupResult cached = run(resolver.query(name("beta.test"), type_of(RrType::MX)));
  EXPECT_EQ(first_exchange(cached), name("mx.beta.test")) << "the old MX, from the cache";
  EXPECT_EQ(cached.response.answers.front().ttl, 1u);
  bus_.flush();
  bool said_cached = false;
  for (const auto& e : recorder_.snapshot()) {
    said_cached = said_cached || (e.host == "relay.alpha.test" && e.line.find("from the cache") != std::string::npos);
  }
  EXPECT_TRUE(said_cached) << "an event says the answer came from the cache";

  clock.advance(1s);
  EXPECT_EQ(first_exchange(run(resolver.query(name("beta.test"), type_of(RrType::MX)))), name("mx1.gamma.test"));
}

TEST_F(ResolverTest, ResolverWithoutACacheClockAsksTheServerEveryTime) {
  Resolver resolver(io_.get_executor(), lab_options());
  EXPECT_EQ(resolver.cache(), nullptr);
  run(resolver.query(name("beta.test"), type_of(RrType::MX)));
  const auto asked = server_->stats().udp_queries.load();
  run(resolver.query(name("beta.test"), type_of(RrType::MX)));
  EXPECT_EQ(server_->stats().udp_queries.load(), asked + 1);
}

TEST(LookupStatusName, EveryStatusHasItsOwnName) {
  const LookupStatus all[] = {LookupStatus::Ok,      LookupStatus::NoData,       LookupStatus::NxDomain,
                              LookupStatus::ServFail, LookupStatus::Refused,     LookupStatus::FormErr,
                              LookupStatus::Timeout, LookupStatus::NetworkError, LookupStatus::BadResponse};
  std::set<std::string_view> names;
  for (auto status : all) names.insert(lookup_status_name(status));
  EXPECT_EQ(names.size(), std::size(all));
  EXPECT_EQ(lookup_status_name(LookupStatus::NxDomain), "NXDOMAIN");
}

}  // namespace
}  // namespace mailflow::dns
