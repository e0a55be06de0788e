// The authority's answers for the default world: AA, MX with glue, NXDOMAIN and NODATA
// with the SOA (RFC 2308), REFUSED outside our zones, CNAME chains, PTR, and the error
// rcodes for queries it must not answer normally.
#include <gtest/gtest.h>

#include "servers/dns/dns_zone.hpp"

namespace mailflow::dns {
namespace {

DnsName name(std::string_view text) { return *DnsName::parse(text); }

DecodeResult query_for(std::string_view qname, RrType type, bool edns = false) {
  Message q;
  q.header.id = 42;
  q.header.rd = true;
  q.questions.push_back({name(qname), static_cast<std::uint16_t>(type), kClassIn});
  if (edns) q.edns = Edns{4096, 0, 0, false, {}};
  return decode(encode(q).wire);
}

class DefaultWorldAuthority : public ::testing::Test {
 protected:
  Authority authority{sim::default_world()};
};

TEST_F(DefaultWorldAuthority, AnswersMxWithGlueAuthoritatively) {
  auto answer = authority.answer(query_for("beta.test", RrType::MX));
  const auto& r = answer.response;
  EXPECT_FALSE(answer.drop);
  EXPECT_TRUE(r.header.qr);
  EXPECT_TRUE(r.header.aa);
  EXPECT_TRUE(r.header.rd) << "RD is echoed";
  EXPECT_FALSE(r.header.ra) << "no recursion here";
  EXPECT_EQ(r.header.id, 42);
  EXPECT_EQ(r.header.rcode, Rcode::NoError);
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(to_presentation(r.answers[0]), "beta.test. 300 IN MX 10 mx.beta.test.");
  ASSERT_EQ(r.additional.size(), 1u);
  EXPECT_EQ(to_presentation(r.additional[0]), "mx.beta.test. 300 IN A 127.10.2.2");
}

TEST_F(DefaultWorldAuthority, AnswersHostAddresses) {
  auto r = authority.answer(query_for("mail.alpha.test", RrType::A)).response;
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(to_presentation(r.answers[0]), "mail.alpha.test. 300 IN A 127.10.1.3");
  auto ns = authority.answer(query_for("ns.lab.test", RrType::A)).response;
  ASSERT_EQ(ns.answers.size(), 1u);
  EXPECT_EQ(to_presentation(ns.answers[0]), "ns.lab.test. 300 IN A 127.10.0.53");
}

TEST(WorldAuthority, DeclaredRecordsReplaceTheHostAddressDerivedFromTheWorld) {
  sim::World world = sim::default_world();
  for (auto& domain : world.domains) {
    if (domain.name == "beta.test") domain.records.push_back({"mx.beta.test", "A", "127.10.2.9", 60});
  }
  Authority authority{world};
  auto r = authority.answer(query_for("mx.beta.test", RrType::A)).response;
  ASSERT_EQ(r.answers.size(), 1u) << "the derived 127.10.2.2 is gone";
  EXPECT_EQ(to_presentation(r.answers[0]), "mx.beta.test. 60 IN A 127.10.2.9");
}

TEST_F(DefaultWorldAuthority, ReplaceRecordsSwapsOneNameAndTypeOnly) {
  std::vector<ResourceRecord> mx{ResourceRecord{name("beta.test"), static_cast<std::uint16_t>(RrType::MX), kClassIn, 120,
                                                MxData{10, name("mx.alpha.test")}}};
  ASSERT_TRUE(authority.replace_records(name("beta.test"), static_cast<std::uint16_t>(RrType::MX), std::move(mx)));
  auto r = authority.answer(query_for("beta.test", RrType::MX)).response;
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(to_presentation(r.answers[0]), "beta.test. 120 IN MX 10 mx.alpha.test.");
  auto soa = authority.answer(query_for("beta.test", RrType::SOA)).response;
  EXPECT_EQ(soa.answers.size(), 1u) << "the apex's other records stay";
  EXPECT_FALSE(authority.replace_records(name("example.com"), static_cast<std::uint16_t>(RrType::A), {}))
      << "no zone of the lab holds it";
}

TEST_F(DefaultWorldAuthority, EchoesTheQuestionsCase) {
  auto r = authority.answer(query_for("Mx.BeTa.TeSt", RrType::A)).response;
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(r.answers[0].name.to_string(), "Mx.BeTa.TeSt.");
  EXPECT_EQ(r.questions[0].name.to_string(), "Mx.BeTa.TeSt.");
}

TEST_F(DefaultWorldAuthority, NxDomainCarriesSoaWithNegativeTtl) {
  auto r = authority.answer(query_for("nobody.beta.test", RrType::A)).response;
  EXPECT_EQ(r.header.rcode, Rcode::NxDomain);
  EXPECT_TRUE(r.header.aa);
  EXPECT_TRUE(r.answers.empty());
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(to_presentation(r.authority[0]),
            "beta.test. 60 IN SOA ns.lab.test. hostmaster.beta.test. 1 3600 600 86400 60");
}

TEST_F(DefaultWorldAuthority, NoDataForExistingNameWithoutThatType) {
  auto r = authority.answer(query_for("mx.beta.test", RrType::MX)).response;
  EXPECT_EQ(r.header.rcode, Rcode::NoError);
  EXPECT_TRUE(r.answers.empty());
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(r.authority[0].type, static_cast<std::uint16_t>(RrType::SOA));
  auto aaaa = authority.answer(query_for("beta.test", RrType::AAAA)).response;
  EXPECT_EQ(aaaa.header.rcode, Rcode::NoError);
  EXPECT_TRUE(aaaa.answers.empty());
}

TEST_F(DefaultWorldAuthority, RefusesZonesItDoesNotServe) {
  for (auto qname : {"example.com", "test", "alpha.test.example"}) {
    SCOPED_TRACE(qname);
    auto r = authority.answer(query_for(qname, RrType::A)).response;
    EXPECT_EQ(r.header.rcode, Rcode::Refused);
    EXPECT_FALSE(r.header.aa);
  }
}

TEST_F(DefaultWorldAuthority, RefusesZoneTransfers) {
  EXPECT_EQ(authority.answer(query_for("beta.test", RrType::AXFR)).response.header.rcode, Rcode::Refused);
}

TEST_F(DefaultWorldAuthority, ServesSoaAndNsAtTheApex) {
  auto soa = authority.answer(query_for("alpha.test", RrType::SOA)).response;
  ASSERT_EQ(soa.answers.size(), 1u);
  auto ns = authority.answer(query_for("alpha.test", RrType::NS)).response;
  ASSERT_EQ(ns.answers.size(), 1u);
  EXPECT_EQ(to_presentation(ns.answers[0]), "alpha.test. 300 IN NS ns.lab.test.");
  ASSERT_EQ(ns.additional.size(), 1u) << "glue for the name server";
}

TEST_F(DefaultWorldAuthority, ServesReversePointersForHostAddresses) {
  auto r = authority.answer(query_for("2.2.10.127.in-addr.arpa", RrType::PTR)).response;
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(to_presentation(r.answers[0]), "2.2.10.127.in-addr.arpa. 300 IN PTR mx.beta.test.");
  auto ent = authority.answer(query_for("10.127.in-addr.arpa", RrType::PTR)).response;
  EXPECT_EQ(ent.header.rcode, Rcode::NoError) << "an empty non-terminal is NODATA, not NXDOMAIN (RFC 8020)";
}

TEST_F(DefaultWorldAuthority, AnyReturnsEveryRecordAtTheName) {
  auto r = authority.answer(query_for("beta.test", RrType::ANY)).response;
  EXPECT_EQ(r.answers.size(), 3u) << "SOA, NS, MX";
}

TEST_F(DefaultWorldAuthority, DropsResponsesSentToIt) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({name("beta.test"), 15, kClassIn});
  EXPECT_TRUE(authority.answer(decode(encode(m).wire)).drop);
}

TEST_F(DefaultWorldAuthority, FormErrForMalformedOrMultiQuestionQueries) {
  Message two;
  two.header.id = 9;
  two.questions.push_back({name("beta.test"), 15, kClassIn});
  two.questions.push_back({name("alpha.test"), 15, kClassIn});
  auto r = authority.answer(decode(encode(two).wire)).response;
  EXPECT_EQ(r.header.rcode, Rcode::FormErr);
  EXPECT_EQ(r.header.id, 9);

  std::vector<std::uint8_t> broken = {0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1};
  auto bad = authority.answer(decode(broken));
  EXPECT_FALSE(bad.drop);
  EXPECT_EQ(bad.response.header.rcode, Rcode::FormErr);
  EXPECT_EQ(bad.response.header.id, 9);
}

TEST_F(DefaultWorldAuthority, NotImpForOtherOpcodes) {
  Message update;
  update.header.opcode = Opcode::Update;
  update.questions.push_back({name("beta.test"), 6, kClassIn});
  EXPECT_EQ(authority.answer(decode(encode(update).wire)).response.header.rcode, Rcode::NotImp);
}

TEST_F(DefaultWorldAuthority, BadVersForEdnsVersionOne) {
  Message q;
  q.questions.push_back({name("beta.test"), 15, kClassIn});
  q.edns = Edns{4096, 0, 1, false, {}};
  auto r = authority.answer(decode(encode(q).wire)).response;
  EXPECT_EQ(r.header.rcode, Rcode::BadVers);
  ASSERT_TRUE(r.edns);
  EXPECT_EQ(r.edns->version, 0);
}

TEST_F(DefaultWorldAuthority, OffersEdnsWhenAsked) {
  auto r = authority.answer(query_for("beta.test", RrType::MX, true)).response;
  ASSERT_TRUE(r.edns);
  EXPECT_EQ(r.edns->udp_payload_size, 1232);
  EXPECT_FALSE(authority.answer(query_for("beta.test", RrType::MX)).response.edns);
}

TEST(Authority, FollowsCnameChainsWithinItsZones) {
  auto world = sim::default_world();
  world.domains[1].records.push_back({"www.alpha.test", "CNAME", "web.alpha.test", 120});
  world.domains[1].records.push_back({"web.alpha.test", "CNAME", "smtp.alpha.test", 120});
  world.domains[1].records.push_back({"out.alpha.test", "CNAME", "elsewhere.example", 120});
  ASSERT_EQ(world.domains[1].name, "alpha.test");
  Authority authority(world);
  auto r = authority.answer(query_for("www.alpha.test", RrType::A)).response;
  ASSERT_EQ(r.answers.size(), 3u);
  EXPECT_EQ(to_presentation(r.answers[0]), "www.alpha.test. 120 IN CNAME web.alpha.test.");
  EXPECT_EQ(to_presentation(r.answers[2]), "smtp.alpha.test. 300 IN A 127.10.1.1");
  auto out = authority.answer(query_for("out.alpha.test", RrType::A)).response;
  EXPECT_EQ(out.header.rcode, Rcode::NoError);
  EXPECT_EQ(out.answers.size(), 1u) << "the alias leaves our zones";
  auto cname = authority.answer(query_for("www.alpha.test", RrType::CNAME)).response;
  EXPECT_EQ(cname.answers.size(), 1u);
}

TEST(Authority, StopsCnameLoops) {
  auto world = sim::default_world();
  world.domains[1].records.push_back({"a.alpha.test", "CNAME", "b.alpha.test", 60});
  world.domains[1].records.push_back({"b.alpha.test", "CNAME", "a.alpha.test", 60});
  Authority authority(world);
  auto r = authority.answer(query_for("a.alpha.test", RrType::A)).response;
  EXPECT_LE(r.answers.size(), Authority::kMaxCnameChain + 1);
}

TEST(Authority, ServesExtraRecordsOfTheWorld) {
  auto world = sim::default_world();
  world.domains[2].records.push_back({"beta.test", "TXT", "v=spf1 mx -all", 300});
  world.domains[2].mx.push_back({"mx.beta.test", 20});
  Authority authority(world);
  auto txt = authority.answer(query_for("beta.test", RrType::TXT)).response;
  ASSERT_EQ(txt.answers.size(), 1u);
  EXPECT_EQ(to_presentation(txt.answers[0]), "beta.test. 300 IN TXT \"v=spf1 mx -all\"");
  auto mx = authority.answer(query_for("beta.test", RrType::MX)).response;
  EXPECT_EQ(mx.answers.size(), 2u);
  EXPECT_EQ(mx.additional.size(), 1u) << "glue once per address";
}

TEST(UdpResponseLimit, Is512WithoutEdnsAndClampedWithIt) {
  Message q;
  EXPECT_EQ(udp_response_limit(nullptr, 1232), 512u);
  EXPECT_EQ(udp_response_limit(&q, 1232), 512u);
  q.edns = Edns{4096, 0, 0, false, {}};
  EXPECT_EQ(udp_response_limit(&q, 1232), 1232u);
  q.edns->udp_payload_size = 100;
  EXPECT_EQ(udp_response_limit(&q, 1232), 512u);
}

}  // namespace
}  // namespace mailflow::dns
