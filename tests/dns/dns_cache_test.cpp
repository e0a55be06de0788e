// The relays' DNS cache (dns_cache.hpp) in lab time: answers live for their TTL, negative
// answers for the SOA minimum, failures not at all; the clock is a ManualClock, so time
// only moves when a test moves it.
#include "servers/dns/dns_cache.hpp"

#include <gtest/gtest.h>

#include "servers/dns/dns_resolver.hpp"

namespace mailflow::dns {
namespace {

using namespace std::chrono_literals;

DnsName name(const char* text) { return *DnsName::parse(text); }
constexpr auto kMx = static_cast<std::uint16_t>(RrType::MX);

Message mx_answer(const char* exchange, std::uint32_t ttl) {
  Message m;
  m.questions.push_back(Question{name("beta.test"), kMx, kClassIn});
  m.answers.push_back(ResourceRecord{name("beta.test"), kMx, kClassIn, ttl, MxData{10, name(exchange)}});
  return m;
}

Message negative(Rcode rcode, std::uint32_t soa_ttl, std::uint32_t minimum) {
  Message m;
  m.header.rcode = rcode;
  m.authority.push_back(ResourceRecord{name("beta.test"), static_cast<std::uint16_t>(RrType::SOA), kClassIn, soa_ttl,
                                       SoaData{name("ns.lab.test"), name("hostmaster.beta.test"), 1, 3600, 600, 86400,
                                               minimum}});
  return m;
}

TEST(DnsCache, AnswerIsKeptUntilItsTtlPassesInLabTime) {
  sim::ManualClock clock;
  DnsCache cache(clock);
  EXPECT_EQ(cache.store(name("beta.test"), kMx, LookupStatus::Ok, mx_answer("mx.beta.test", 300)), 300u);
  clock.advance(299s);
  auto hit = cache.find(name("BETA.test"), kMx);
  ASSERT_TRUE(hit) << "names compare without case";
  EXPECT_EQ(hit->status, LookupStatus::Ok);
  EXPECT_EQ(std::get<MxData>(hit->response.answers.front().data).exchange, name("mx.beta.test"));
  EXPECT_EQ(hit->response.answers.front().ttl, 1u) << "the TTL counts down while cached";
  EXPECT_EQ(hit->remaining, 1s);
  clock.advance(1s);
  EXPECT_FALSE(cache.find(name("beta.test"), kMx)) << "expired at exactly its TTL";
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, TheSmallestTtlOfTheAnswerDecides) {
  sim::ManualClock clock;
  DnsCache cache(clock);
  Message m = mx_answer("mx.beta.test", 300);
  m.answers.push_back(ResourceRecord{name("beta.test"), kMx, kClassIn, 60, MxData{20, name("backup.beta.test")}});
  EXPECT_EQ(cache.store(name("beta.test"), kMx, LookupStatus::Ok, m), 60u);
  clock.advance(60s);
  EXPECT_FALSE(cache.find(name("beta.test"), kMx));
}

TEST(DnsCache, NegativeAnswersLastTheSoaMinimum) {
  sim::ManualClock clock;
  DnsCache cache(clock);
  EXPECT_EQ(cache.store(name("nosuch.beta.test"), kMx, LookupStatus::NxDomain, negative(Rcode::NxDomain, 300, 60)), 60u);
  EXPECT_EQ(cache.store(name("beta.test"), static_cast<std::uint16_t>(RrType::TXT), LookupStatus::NoData,
                        negative(Rcode::NoError, 30, 60)),
            30u)
      << "min(SOA TTL, MINIMUM), RFC 2308 §5";
  clock.advance(59s);
  auto hit = cache.find(name("nosuch.beta.test"), kMx);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->status, LookupStatus::NxDomain);
  EXPECT_FALSE(cache.find(name("beta.test"), static_cast<std::uint16_t>(RrType::TXT)));
}

TEST(DnsCache, FailuresAndZeroTtlAreNeverKept) {
  sim::ManualClock clock;
  DnsCache cache(clock);
  Message servfail;
  servfail.header.rcode = Rcode::ServFail;
  EXPECT_EQ(cache.store(name("beta.test"), kMx, LookupStatus::ServFail, servfail), 0u);
  EXPECT_EQ(cache.store(name("beta.test"), kMx, LookupStatus::Timeout, Message{}), 0u);
  EXPECT_EQ(cache.store(name("beta.test"), kMx, LookupStatus::Ok, mx_answer("mx.beta.test", 0)), 0u);
  EXPECT_EQ(cache.store(name("x.beta.test"), kMx, LookupStatus::NxDomain, Message{}), 0u) << "no SOA, no caching";
  EXPECT_FALSE(cache.find(name("beta.test"), kMx));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, TypesAreCachedApartAndClearForgetsEverything) {
  sim::ManualClock clock;
  DnsCache cache(clock);
  cache.store(name("beta.test"), kMx, LookupStatus::Ok, mx_answer("mx.beta.test", 300));
  EXPECT_FALSE(cache.find(name("beta.test"), static_cast<std::uint16_t>(RrType::A)));
  EXPECT_TRUE(cache.find(name("beta.test"), kMx));
  cache.clear();
  EXPECT_FALSE(cache.find(name("beta.test"), kMx));
}

}  // namespace
}  // namespace mailflow::dns
