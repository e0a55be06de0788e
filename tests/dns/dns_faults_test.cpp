// The DNS faults inside the lab's real authoritative server: real UDP queries from the
// lab's stub resolver meet NXDOMAIN with the SOA, SERVFAIL, silence, NODATA for MX, or an
// extra first MX pointing at a dead host, for the fault's domain and the names under it
// only; the other domains keep their honest answers.
#include <gtest/gtest.h>

#include <future>

#include "servers/dns/dns_faults.hpp"
#include "servers/dns/dns_resolver.hpp"
#include "tests/smtp/fault_lab.hpp"

namespace mailflow::dns {
namespace {

using namespace std::chrono_literals;
using sim::FaultKind;

class DnsFaults : public ::testing::Test {
 protected:
  DnsFaults() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~DnsFaults() override {
    work_.reset();
    thread_.join();
  }

  template <class T>
  T run(net::awaitable<T> operation) {
    auto future = net::asio::co_spawn(io_, std::move(operation), net::asio::use_future);
    if (future.wait_for(20s) != std::future_status::ready) throw std::runtime_error("resolver did not finish");
    return future.get();
  }
  Resolver resolver() {
    ResolverOptions options;
    options.server = *lab_.lab().dns_endpoint();
    options.timeout = 300ms;
    options.attempts = 1;
    return Resolver(io_.get_executor(), options);
  }
  LookupResult ask(const std::string& name, RrType type) {
    Resolver r = resolver();
    return run(r.query(*DnsName::parse(name), static_cast<std::uint16_t>(type)));
  }
  void add(const std::string& name, FaultKind kind, const std::string& domain) {
    lab_.add(name, kind, "", {}, {}, domain);
  }

  testing_support::FaultLab lab_;
  net::asio::io_context io_;
  net::asio::executor_work_guard<net::asio::io_context::executor_type> work_;
  std::thread thread_;
};

TEST_F(DnsFaults, NxdomainAnswersForTheDomainAndTheNamesUnderIt) {
  add("gone", FaultKind::Nxdomain, "beta.test");
  LookupResult mx = ask("beta.test", RrType::MX);
  EXPECT_EQ(mx.status, LookupStatus::NxDomain);
  ASSERT_EQ(mx.response.authority.size(), 1u) << "RFC 2308: the SOA comes with the negative answer";
  EXPECT_EQ(mx.response.authority[0].type, static_cast<std::uint16_t>(RrType::SOA));
  EXPECT_EQ(ask("mx.beta.test", RrType::A).status, LookupStatus::NxDomain);
  EXPECT_EQ(ask("mx.alpha.test", RrType::A).status, LookupStatus::Ok) << "another domain is untouched";
  EXPECT_GE(lab_.fault_events("'gone' (nxdomain)"), 2u);
}

TEST_F(DnsFaults, DomainExpiredIsNxdomainToo) {
  add("lapsed", FaultKind::DomainExpired, "beta.test");
  EXPECT_EQ(ask("beta.test", RrType::MX).status, LookupStatus::NxDomain);
}

TEST_F(DnsFaults, ServfailIsRcodeTwo) {
  add("broken", FaultKind::Servfail, "beta.test");
  LookupResult mx = ask("beta.test", RrType::MX);
  EXPECT_EQ(mx.status, LookupStatus::ServFail);
  EXPECT_TRUE(is_temporary_failure(mx.status));
}

TEST_F(DnsFaults, DnsTimeoutSendsNoAnswerAtAll) {
  add("silent", FaultKind::DnsTimeout, "beta.test");
  EXPECT_EQ(ask("beta.test", RrType::MX).status, LookupStatus::Timeout);
  EXPECT_EQ(ask("alpha.test", RrType::MX).status, LookupStatus::Ok);
}

TEST_F(DnsFaults, NoMxIsNodataForMxOnlySoMailersFallBackToTheAddress) {
  add("no-mx", FaultKind::NoMx, "beta.test");
  LookupResult mx = ask("beta.test", RrType::MX);
  EXPECT_EQ(mx.status, LookupStatus::NoData);
  EXPECT_TRUE(mx.response.answers.empty());
  EXPECT_EQ(ask("mx.beta.test", RrType::A).status, LookupStatus::Ok);
  Resolver r = resolver();
  MailRoute route = run(r.resolve_mail_route(*DnsName::parse("beta.test")));
  EXPECT_TRUE(route.implicit_mx);
}

TEST_F(DnsFaults, MxDeadHostPutsAHostWithNoListenerFirst) {
  add("dead", FaultKind::MxDeadHost, "beta.test");
  Resolver r = resolver();
  MailRoute route = run(r.resolve_mail_route(*DnsName::parse("beta.test")));
  ASSERT_EQ(route.status, LookupStatus::Ok);
  ASSERT_EQ(route.hosts.size(), 2u);
  EXPECT_EQ(route.hosts[0].name.key(), "dead-mx.beta.test");
  EXPECT_EQ(route.hosts[0].preference, 9);
  ASSERT_EQ(route.hosts[0].addresses.size(), 1u);
  EXPECT_EQ(route.hosts[0].addresses[0].to_string(), std::string(kDeadMxAddress));
  EXPECT_EQ(route.hosts[1].name.key(), "mx.beta.test") << "the real MX is still there, next";
}

TEST_F(DnsFaults, SwitchedOffTheHonestAnswerReturns) {
  add("gone", FaultKind::Nxdomain, "beta.test");
  EXPECT_EQ(ask("beta.test", RrType::MX).status, LookupStatus::NxDomain);
  ASSERT_TRUE(lab_.faults().set_enabled("gone", false));
  EXPECT_EQ(ask("beta.test", RrType::MX).status, LookupStatus::Ok);
}

TEST_F(DnsFaults, AFirstNTriggerFailsThatManyQueries) {
  lab_.add("blip", FaultKind::Servfail, "", {.mode = sim::TriggerMode::FirstN, .count = 1}, {}, "beta.test");
  EXPECT_EQ(ask("beta.test", RrType::MX).status, LookupStatus::ServFail);
  EXPECT_EQ(ask("beta.test", RrType::MX).status, LookupStatus::Ok);
}

TEST_F(DnsFaults, RecordChangedAnswersTheNewRecordWithTheTtlOfTheOldOne) {
  lab_.add("moved", FaultKind::RecordChanged, "", {}, {.value = "MX 10 mx2.beta.test"}, "beta.test");
  LookupResult mx = ask("beta.test", RrType::MX);
  ASSERT_EQ(mx.status, LookupStatus::Ok);
  ASSERT_EQ(mx.response.answers.size(), 1u) << "the old MX is replaced, not joined";
  EXPECT_EQ(to_presentation(mx.response.answers[0]), "beta.test. 300 IN MX 10 mx2.beta.test.");
  EXPECT_TRUE(mx.response.additional.empty()) << "no glue naming the old host";
  EXPECT_EQ(ask("mx.beta.test", RrType::A).status, LookupStatus::Ok) << "other types keep their answers";
  EXPECT_EQ(ask("alpha.test", RrType::MX).response.answers.size(), 1u);
  EXPECT_GE(lab_.fault_events("'moved' (record_changed)"), 1u);
}

}  // namespace
}  // namespace mailflow::dns
