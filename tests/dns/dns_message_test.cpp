// The DNS codec against golden bytes: decoding, encoding with compression, truncation, and
// every malformed case RFC 9267 names (pointer loops, forward pointers, pointers past the
// end, over-long labels and names, counts past the packet).
#include <gtest/gtest.h>

#include <random>

#include "servers/dns/dns_message.hpp"

namespace mailflow::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes label_bytes(std::string_view dotted) {
  Bytes out;
  std::size_t start = 0;
  while (start < dotted.size()) {
    auto dot = dotted.find('.', start);
    if (dot == std::string_view::npos) dot = dotted.size();
    out.push_back(static_cast<std::uint8_t>(dot - start));
    for (std::size_t i = start; i < dot; ++i) out.push_back(static_cast<std::uint8_t>(dotted[i]));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

const Bytes kHeaderOneQuestion = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
// dig beta.test MX +noedns, id 0x1234, RD.
const Bytes kMxQuery = concat({kHeaderOneQuestion, label_bytes("beta.test"), {0x00, 0x0f, 0x00, 0x01}});

DnsName name(std::string_view text) { return *DnsName::parse(text); }

TEST(DnsName, ParsesAndComparesCaseInsensitively) {
  auto n = DnsName::parse("MX.Beta.Test.");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->to_string(), "MX.Beta.Test.");
  EXPECT_EQ(n->key(), "mx.beta.test");
  EXPECT_EQ(*n, name("mx.beta.test"));
  EXPECT_TRUE(n->is_within(name("beta.test")));
  EXPECT_FALSE(name("beta.test").is_within(*n));
  EXPECT_FALSE(name("xbeta.test").is_within(name("beta.test")));
  EXPECT_EQ(n->wire_length(), 14u);
  EXPECT_TRUE(DnsName::parse(".")->is_root());
}

TEST(DnsName, RejectsEmptyAndOversizedLabels) {
  EXPECT_FALSE(DnsName::parse(""));
  EXPECT_FALSE(DnsName::parse("a..b"));
  EXPECT_FALSE(DnsName::parse(std::string(64, 'a') + ".test"));
  EXPECT_TRUE(DnsName::parse(std::string(63, 'a') + ".test"));
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  EXPECT_FALSE(DnsName::parse(long_name)) << "256 octets on the wire";
}

TEST(DnsCodec, DecodesGoldenQuery) {
  auto result = decode(kMxQuery);
  ASSERT_EQ(result.error, DecodeError::None);
  const auto& m = *result.message;
  EXPECT_EQ(m.header.id, 0x1234);
  EXPECT_FALSE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name.to_string(), "beta.test.");
  EXPECT_EQ(m.questions[0].type, 15);
  EXPECT_EQ(m.questions[0].klass, kClassIn);
  EXPECT_FALSE(m.edns);
}

TEST(DnsCodec, EncodesQueryToGoldenBytes) {
  Message m;
  m.header.id = 0x1234;
  m.header.rd = true;
  m.questions.push_back({name("beta.test"), 15, kClassIn});
  EXPECT_EQ(encode(m).wire, kMxQuery);
}

TEST(DnsCodec, CompressesRepeatedNamesToGoldenBytes) {
  Message m;
  m.header.id = 0x1234;
  m.header.qr = true;
  m.header.aa = true;
  m.questions.push_back({name("beta.test"), 15, kClassIn});
  m.answers.push_back({name("beta.test"), 15, kClassIn, 300, MxData{10, name("mx.beta.test")}});
  m.additional.push_back({name("mx.beta.test"), 1, kClassIn, 300, AData{{127, 10, 2, 2}}});
  const Bytes expected = concat({
      {0x12, 0x34, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01},
      label_bytes("beta.test"), {0x00, 0x0f, 0x00, 0x01},                   // question at 12
      {0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x07},  // beta.test MX, rdlength 7
      {0x00, 0x0a, 0x02, 'm', 'x', 0xc0, 0x0c},                             // 10 mx.<ptr 12>, "mx" at 41
      {0xc0, 0x29, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 127, 10, 2, 2},
  });
  auto encoded = encode(m);
  EXPECT_FALSE(encoded.truncated);
  EXPECT_EQ(encoded.wire, expected);
  auto back = decode(encoded.wire);
  ASSERT_EQ(back.error, DecodeError::None);
  EXPECT_EQ(std::get<MxData>(back.message->answers[0].data).exchange, name("mx.beta.test"));
  EXPECT_EQ(back.message->additional[0].name.to_string(), "mx.beta.test.");
}

TEST(DnsCodec, RoundTripsEveryRecordType) {
  Message m;
  m.header.id = 7;
  m.header.qr = true;
  m.header.rcode = Rcode::NxDomain;
  m.questions.push_back({name("alpha.test"), 255, kClassIn});
  m.answers = {
      {name("alpha.test"), 1, kClassIn, 1, AData{{127, 0, 0, 1}}},
      {name("alpha.test"), 28, kClassIn, 2, AaaaData{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}},
      {name("alpha.test"), 2, kClassIn, 3, NameData{name("ns.lab.test")}},
      {name("www.alpha.test"), 5, kClassIn, 4, NameData{name("alpha.test")}},
      {name("1.1.10.127.in-addr.arpa"), 12, kClassIn, 5, NameData{name("smtp.alpha.test")}},
      {name("alpha.test"), 15, kClassIn, 6, MxData{20, name("mx2.alpha.test")}},
      {name("alpha.test"), 16, kClassIn, 7, TxtData{{"v=spf1 -all", std::string(255, 'x'), ""}}},
      {name("alpha.test"), 99, kClassIn, 8, OpaqueData{{1, 2, 3}}},
  };
  m.authority = {{name("alpha.test"), 6, kClassIn, 60,
                  SoaData{name("ns.lab.test"), name("hostmaster.alpha.test"), 1, 3600, 600, 86400, 60}}};
  m.edns = Edns{4096, 0, 0, true, {}};
  auto back = decode(encode(m).wire);
  ASSERT_EQ(back.error, DecodeError::None) << decode_error_name(back.error);
  ASSERT_EQ(back.message->answers.size(), m.answers.size());
  for (std::size_t i = 0; i < m.answers.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(to_presentation(back.message->answers[i]), to_presentation(m.answers[i]));
  }
  EXPECT_EQ(to_presentation(back.message->authority[0]), to_presentation(m.authority[0]));
  ASSERT_TRUE(back.message->edns);
  EXPECT_EQ(back.message->edns->udp_payload_size, 4096);
  EXPECT_TRUE(back.message->edns->dnssec_ok);
  EXPECT_EQ(back.message->header.rcode, Rcode::NxDomain);
}

TEST(DnsCodec, ExtendedRcodeTravelsInOpt) {
  Message m;
  m.header.qr = true;
  m.header.rcode = Rcode::BadVers;
  m.edns = Edns{};
  auto wire = encode(m).wire;
  EXPECT_EQ(wire[3] & 0x0f, 0) << "low four bits of 16";
  auto back = decode(wire);
  ASSERT_TRUE(back.message);
  EXPECT_EQ(back.message->header.rcode, Rcode::BadVers);
}

TEST(DnsCodec, TruncatesAtLimitAndSetsTc) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({name("big.alpha.test"), 16, kClassIn});
  for (int i = 0; i < 10; ++i) {
    m.answers.push_back({name("big.alpha.test"), 16, kClassIn, 300, TxtData{{std::string(100, 'a' + i)}}});
  }
  auto encoded = encode(m, 512);
  EXPECT_TRUE(encoded.truncated);
  EXPECT_LE(encoded.wire.size(), 512u);
  EXPECT_TRUE(encoded.wire[2] & 0x02) << "TC bit";
  auto back = decode(encoded.wire);
  ASSERT_EQ(back.error, DecodeError::None) << "a truncated message is still well-formed";
  EXPECT_LT(back.message->answers.size(), 10u);
  EXPECT_GT(back.message->answers.size(), 0u);
  EXPECT_EQ(decode(encode(m, 65535).wire).message->answers.size(), 10u);
}

TEST(DnsCodec, DropsAdditionalRecordsWithoutTc) {
  Message m;
  m.header.qr = true;
  m.questions.push_back({name("alpha.test"), 15, kClassIn});
  m.answers.push_back({name("alpha.test"), 15, kClassIn, 300, MxData{10, name("mx.alpha.test")}});
  for (int i = 0; i < 40; ++i) {
    m.additional.push_back({name("mx.alpha.test"), 1, kClassIn, 300, AData{{127, 10, 1, static_cast<std::uint8_t>(i)}}});
  }
  m.edns = Edns{};
  auto encoded = encode(m, 512);
  EXPECT_FALSE(encoded.truncated);
  EXPECT_FALSE(encoded.wire[2] & 0x02);
  auto back = decode(encoded.wire);
  ASSERT_TRUE(back.message);
  EXPECT_EQ(back.message->answers.size(), 1u);
  EXPECT_LT(back.message->additional.size(), 40u);
  EXPECT_TRUE(back.message->edns) << "the OPT record always fits";
}

struct MalformedCase {
  const char* what;
  Bytes wire;
  DecodeError expected;
};

TEST(DnsCodec, RejectsMalformedMessages) {
  const Bytes header = kHeaderOneQuestion;
  Bytes long_label = header;
  long_label.push_back(0x40);  // 64: the reserved 01 label type
  long_label.insert(long_label.end(), 64, 'a');
  long_label.insert(long_label.end(), {0, 0, 1, 0, 1});
  Bytes long_name = header;  // 5 labels of 63: 321 octets
  for (int i = 0; i < 5; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.insert(long_name.end(), {0, 0, 1, 0, 1});
  const std::vector<MalformedCase> cases = {
      {"fewer than 12 octets", {0x12, 0x34, 0x01}, DecodeError::ShortHeader},
      {"question count past the end", header, DecodeError::Truncated},
      {"label past the end", concat({header, {5, 'a', 'b'}}), DecodeError::Truncated},
      {"missing type and class", concat({header, label_bytes("beta.test"), {0x00}}), DecodeError::Truncated},
      {"pointer to itself", concat({header, {0xC0, 0x0C}, {0, 1, 0, 1}}), DecodeError::BadPointer},
      {"pointer forwards", concat({header, {0xC0, 0x20}, {0, 1, 0, 1}}), DecodeError::BadPointer},
      {"pointer past the end", concat({header, {0xC0, 0xFF}, {0, 1, 0, 1}}), DecodeError::BadPointer},
      {"pointer loop", concat({header, {1, 'a', 0xC0, 0x0C}, {0, 1, 0, 1}}), DecodeError::BadPointer},
      {"half a pointer", concat({header, {0xC0}}), DecodeError::Truncated},
      {"reserved label type 0x40", long_label, DecodeError::BadLabelType},
      {"reserved label type 0x80", concat({header, {0x80, 'a', 0}, {0, 1, 0, 1}}), DecodeError::BadLabelType},
      {"name over 255 octets", long_name, DecodeError::NameTooLong},
      {"bytes after the last record", concat({kMxQuery, {0xde, 0xad}}), DecodeError::TrailingBytes},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto result = decode(c.wire);
    EXPECT_FALSE(result.message);
    EXPECT_EQ(result.error, c.expected) << decode_error_name(result.error);
    if (c.expected != DecodeError::ShortHeader) {
      ASSERT_TRUE(result.header) << "the id is still known for a FORMERR";
      EXPECT_EQ(result.header->id, 0x1234);
    }
  }
}

TEST(DnsCodec, CapsPointerJumps) {
  // A chain of 200 pointers, each pointing two octets back, ending in a root label. Every
  // jump goes backwards, so only the jump cap stops the walk. The chain sits inside the
  // opaque RDATA of a first answer; the second answer's owner name points at its end.
  Bytes wire = {0x12, 0x34, 0x84, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00};
  wire.insert(wire.end(), {0, 0, 99, 0, 1, 0, 0, 0, 0});  // root, TYPE99, IN, ttl 0
  const std::uint16_t rdlength = 1 + 2 * 200;
  wire.push_back(static_cast<std::uint8_t>(rdlength >> 8));
  wire.push_back(static_cast<std::uint8_t>(rdlength));
  std::size_t previous = wire.size();
  wire.push_back(0);
  for (int i = 0; i < 200; ++i) {
    std::size_t here = wire.size();
    wire.push_back(static_cast<std::uint8_t>(0xC0 | previous >> 8));
    wire.push_back(static_cast<std::uint8_t>(previous));
    previous = here;
  }
  wire.push_back(static_cast<std::uint8_t>(0xC0 | previous >> 8));
  wire.push_back(static_cast<std::uint8_t>(previous));
  wire.insert(wire.end(), {0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1});
  auto result = decode(wire);
  EXPECT_FALSE(result.message);
  EXPECT_EQ(result.error, DecodeError::TooManyPointers) << decode_error_name(result.error);
}

TEST(DnsCodec, RejectsBadRdata) {
  Bytes answer_header = {0x12, 0x34, 0x84, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  struct Case {
    const char* what;
    Bytes rr;
    DecodeError expected;
  };
  const std::vector<Case> cases = {
      {"A with 3 octets", {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 127, 0, 0}, DecodeError::BadRdata},
      {"AAAA with 4 octets", {0, 0, 28, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4}, DecodeError::BadRdata},
      {"RDLENGTH past the end", {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1, 2}, DecodeError::Truncated},
      {"MX name longer than RDLENGTH", {0, 0, 15, 0, 1, 0, 0, 0, 0, 0, 3, 0, 10, 2, 'm', 'x', 0}, DecodeError::BadRdata},
      {"TXT string past RDLENGTH", {0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 5, 'a'}, DecodeError::BadRdata},
      {"OPT in the answer section", {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0}, DecodeError::BadOpt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto result = decode(concat({answer_header, c.rr}));
    EXPECT_FALSE(result.message);
    EXPECT_EQ(result.error, c.expected) << decode_error_name(result.error);
  }
}

TEST(DnsCodec, RejectsTwoOptRecords) {
  Bytes wire = {0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02};
  Bytes opt = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
  auto result = decode(concat({wire, opt, opt}));
  EXPECT_EQ(result.error, DecodeError::BadOpt);
}

TEST(DnsCodec, SurvivesRandomBytesAndMutations) {
  std::mt19937 random(20261201);
  for (int i = 0; i < 20000; ++i) {
    Bytes wire;
    if (i % 2 == 0) {
      wire.resize(random() % 80);
      for (auto& b : wire) b = static_cast<std::uint8_t>(random());
    } else {
      wire = kMxQuery;
      wire[random() % wire.size()] = static_cast<std::uint8_t>(random());
      wire.resize(random() % (wire.size() + 1));
    }
    auto result = decode(wire);
    if (result.message) {
      // Whatever decodes must encode and decode to the same question.
      auto again = decode(encode(*result.message).wire);
      ASSERT_TRUE(again.message);
      ASSERT_EQ(again.message->questions.size(), result.message->questions.size());
    }
  }
}

TEST(DnsPresentation, ParsesValuesPerType) {
  EXPECT_TRUE(rdata_from_presentation(1, "127.10.2.2"));
  EXPECT_FALSE(rdata_from_presentation(1, "127.10.2"));
  EXPECT_FALSE(rdata_from_presentation(1, "::1"));
  EXPECT_TRUE(rdata_from_presentation(28, "::1"));
  auto mx = rdata_from_presentation(15, "10 mx.beta.test");
  ASSERT_TRUE(mx);
  EXPECT_EQ(std::get<MxData>(*mx).preference, 10);
  EXPECT_FALSE(rdata_from_presentation(15, "mx.beta.test"));
  EXPECT_FALSE(rdata_from_presentation(15, "70000 mx.beta.test"));
  auto txt = rdata_from_presentation(16, std::string(300, 'a'));
  ASSERT_TRUE(txt);
  EXPECT_EQ(std::get<TxtData>(*txt).strings.size(), 2u) << "split at 255 octets";
  EXPECT_EQ(rr_type_from_name("mx"), 15);
  EXPECT_EQ(rr_type_name(28), "AAAA");
}

}  // namespace
}  // namespace mailflow::dns
