// Tests for the event catalogue: names, the JSON Lines format and credential masking.
#include "sim/event.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <random>
#include <string>

namespace mailflow::sim {
namespace {

using std::chrono::system_clock;

system_clock::time_point at_micros(std::int64_t micros_since_epoch) {
  return system_clock::time_point{std::chrono::microseconds{micros_since_epoch}};
}

// 2026-12-01T10:00:00.123456Z
const system_clock::time_point kSampleTime = at_micros(1796119200'123456);

Event sample_event() {
  Event e;
  e.seq = 42;
  e.time = kSampleTime;
  e.journey = "j-7";
  e.host = "mx.beta.test";
  e.peer = "127.10.1.2:40522";
  e.session = 9;
  e.protocol = Protocol::Smtp;
  e.kind = EventKind::Reply;
  e.line = "550 5.1.1 <dave@beta.test>: User unknown";
  e.code = 550;
  e.status = "5.1.1";
  return e;
}

void expect_same_event(const Event& a, const Event& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.journey, b.journey);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.peer, b.peer);
  EXPECT_EQ(a.session, b.session);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.line, b.line);
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.status, b.status);
}

TEST(EventNames, EveryKindRoundTripsThroughItsName) {
  for (const EventKind k : kAllEventKinds) {
    const auto name = event_kind_name(k);
    SCOPED_TRACE(std::string(name));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(event_kind_from_name(name), k);
  }
}

TEST(EventNames, EveryProtocolRoundTripsThroughItsName) {
  for (const Protocol p : kAllProtocols) {
    const auto name = protocol_name(p);
    SCOPED_TRACE(std::string(name));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(protocol_from_name(name), p);
  }
}

TEST(EventNames, KindsAreKebabCase) {
  EXPECT_EQ(event_kind_name(EventKind::DnsQuery), "dns-query");
  EXPECT_EQ(event_kind_name(EventKind::DnsAnswer), "dns-answer");
  EXPECT_EQ(event_kind_name(EventKind::Listening), "listening");
  EXPECT_EQ(protocol_name(Protocol::Pop3), "pop3");
  EXPECT_EQ(protocol_name(Protocol::Control), "control");
}

TEST(EventNames, UnknownNamesAreRejected) {
  EXPECT_EQ(event_kind_from_name("DnsQuery"), std::nullopt);
  EXPECT_EQ(event_kind_from_name(""), std::nullopt);
  EXPECT_EQ(protocol_from_name("SMTP"), std::nullopt);
}

TEST(EventTime, FormatsRfc3339UtcWithMicroseconds) {
  EXPECT_EQ(format_event_time(kSampleTime), "2026-12-01T10:00:00.123456Z");
  EXPECT_EQ(format_event_time(at_micros(0)), "1970-01-01T00:00:00.000000Z");
}

TEST(EventTime, TruncatesBelowMicroseconds) {
  const auto t = kSampleTime + std::chrono::nanoseconds{999};
  EXPECT_EQ(format_event_time(t), "2026-12-01T10:00:00.123456Z");
}

TEST(EventTime, ParsesWhatItFormats) {
  EXPECT_EQ(parse_event_time("2026-12-01T10:00:00.123456Z"), kSampleTime);
  EXPECT_EQ(parse_event_time("2026-12-01T10:00:00Z"), kSampleTime - std::chrono::microseconds{123456});
}

TEST(EventTime, AppliesNumericOffsets) {
  EXPECT_EQ(parse_event_time("2026-12-01T19:00:00.123456+09:00"), kSampleTime);
  EXPECT_EQ(parse_event_time("2026-12-01T05:30:00.123456-04:30"), kSampleTime);
}

TEST(EventTime, RejectsMalformedTimes) {
  for (const char* text : {"", "2026-12-01", "2026-12-01T10:00:00", "2026-13-01T10:00:00Z",
                           "2026-02-30T10:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T10:00:60Z",
                           "2026-12-01T10:00:00.Z", "2026-12-01T10:00:00.1234567890Z",
                           "2026-12-01T10:00:00Zjunk", "2026-12-01 10:00:00Z",
                           // past what system_clock's 64-bit nanoseconds hold (found by the fuzzer)
                           "2426-12-01T18:44:36.106835Z", "1600-01-01T00:00:00Z"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_event_time(text), std::nullopt);
  }
}

TEST(EventJson, RoundTripsEveryField) {
  const Event e = sample_event();
  const auto back = event_from_json_line(to_json_line(e));
  ASSERT_TRUE(back.has_value());
  expect_same_event(e, *back);
}

TEST(EventJson, WritesKeysInDocumentedOrder) {
  EXPECT_EQ(to_json_line(sample_event()),
            R"({"seq":42,"time":"2026-12-01T10:00:00.123456Z","kind":"reply","protocol":"smtp",)"
            R"("host":"mx.beta.test","peer":"127.10.1.2:40522","session":9,"journey":"j-7",)"
            R"("line":"550 5.1.1 <dave@beta.test>: User unknown","code":550,"status":"5.1.1"})");
}

TEST(EventJson, OmitsEmptyStringsAndZeroNumbers) {
  Event e;
  e.seq = 1;
  e.time = kSampleTime;
  e.kind = EventKind::Listening;
  e.protocol = Protocol::Dns;
  EXPECT_EQ(to_json_line(e),
            R"({"seq":1,"time":"2026-12-01T10:00:00.123456Z","kind":"listening","protocol":"dns"})");
  const auto back = event_from_json_line(to_json_line(e));
  ASSERT_TRUE(back.has_value());
  expect_same_event(e, *back);
}

TEST(EventJson, RoundTripsSpecialCharactersExactly) {
  const std::string lines[] = {
      "say \"hi\"",
      R"(C:\path\to\file \\ \n not a newline)",
      "Grüße, 日本語の件名, emoji \xF0\x9F\x93\xAE",
      std::string("control \x01\x02\x1f\t\r\n and nul ") + '\0' + " end",
      "\x7f delete",
  };
  for (const auto& line : lines) {
    SCOPED_TRACE(line);
    Event e = sample_event();
    e.line = line;
    e.host = line;
    const std::string json = to_json_line(e);
    EXPECT_EQ(json.find('\n'), std::string::npos) << "a trace line must stay one line";
    const auto back = event_from_json_line(json);
    ASSERT_TRUE(back.has_value()) << json;
    expect_same_event(e, *back);
  }
}

TEST(EventJson, ReplacesInvalidUtf8InsteadOfFailing) {
  Event e = sample_event();
  e.line = "bad \xC3\x28 byte";
  const auto back = event_from_json_line(to_json_line(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->line, "bad \xEF\xBF\xBD( byte");
}

// Appends code point cp as UTF-8.
void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

TEST(EventJson, RandomValidUtf8RoundTripsExactly) {
  std::mt19937 random(20261201);
  std::uniform_int_distribution<int> length(0, 40);
  // Weighted towards ASCII and its control characters, where escaping happens.
  std::uniform_int_distribution<std::uint32_t> ascii(0, 0x7F);
  std::uniform_int_distribution<std::uint32_t> any(0x80, 0x10FFFF);
  for (int round = 0; round < 2000; ++round) {
    std::string line;
    for (int i = length(random); i > 0; --i) {
      char32_t cp = (i % 3 == 0) ? any(random) : ascii(random);
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // surrogates are not characters
      append_utf8(line, cp);
    }
    Event e = sample_event();
    e.line = line;
    const auto back = event_from_json_line(to_json_line(e));
    ASSERT_TRUE(back.has_value()) << to_json_line(e);
    ASSERT_EQ(back->line, line);
  }
}

TEST(EventJson, RandomBytesAlwaysGiveAParseableLine) {
  std::mt19937 random(5321);
  std::uniform_int_distribution<int> length(0, 40);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string line;
    for (int i = length(random); i > 0; --i) line += static_cast<char>(byte(random));
    Event e = sample_event();
    e.line = line;
    const std::string json = to_json_line(e);
    ASSERT_TRUE(event_from_json_line(json).has_value()) << json;
  }
}

TEST(EventJson, ReplacesOverlongFormsAndSurrogates) {
  Event e = sample_event();
  e.line = "\xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80";  // overlong '/', a surrogate, > U+10FFFF
  const auto back = event_from_json_line(to_json_line(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->line.find('/'), std::string::npos);
  EXPECT_EQ(back->line.find("\xED\xA0"), std::string::npos);
  EXPECT_EQ(back->line.find("\xF4\x90"), std::string::npos);
}

TEST(EventJson, RoundTripsLargeNumbersAndNegativeCodes) {
  Event e = sample_event();
  e.seq = std::numeric_limits<std::uint64_t>::max();
  e.session = std::numeric_limits<std::uint64_t>::max() - 1;
  e.code = -3;
  const auto back = event_from_json_line(to_json_line(e));
  ASSERT_TRUE(back.has_value());
  expect_same_event(e, *back);
}

TEST(EventJson, RejectsLinesThatAreNotEvents) {
  for (const char* line :
       {"", "garbage", "[]", "42", R"({"seq":1})",
        R"({"seq":1,"time":"2026-12-01T10:00:00Z","kind":"no-such-kind","protocol":"smtp"})",
        R"({"seq":1,"time":"2026-12-01T10:00:00Z","kind":"reply","protocol":"smtp","code":"550"})",
        R"({"seq":-1,"time":"2026-12-01T10:00:00Z","kind":"reply","protocol":"smtp"})",
        R"({"seq":1,"time":"yesterday","kind":"reply","protocol":"smtp"})",
        R"({"seq":1,"time":"2026-12-01T10:00:00Z","kind":"reply","protocol":"smtp","line":5})",
        R"({"seq":1,"time":"2026-12-01T10:00:00Z","kind":"reply","protocol":"smtp")"}) {
    SCOPED_TRACE(line);
    EXPECT_EQ(event_from_json_line(line), std::nullopt);
  }
}

TEST(EventJson, IgnoresUnknownKeys) {
  const auto e = event_from_json_line(
      R"({"seq":3,"time":"2026-12-01T10:00:00.123456Z","kind":"auth","protocol":"imap","future":[1,2]})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->seq, 3u);
  EXPECT_EQ(e->kind, EventKind::Auth);
  EXPECT_EQ(e->protocol, Protocol::Imap);
}

TEST(MaskCredentials, HidesSecretsAndKeepsEverythingElse) {
  struct Case {
    const char* line;
    const char* masked;
  };
  const Case cases[] = {
      // SMTP AUTH (RFC 4954) and POP3 AUTH (RFC 5034)
      {"AUTH PLAIN dGVzdA==", "AUTH PLAIN ****"},
      {"auth plain dGVzdA==", "auth plain ****"},
      {"AUTH LOGIN", "AUTH LOGIN"},
      {"AUTH LOGIN Ym9i", "AUTH LOGIN ****"},
      {"AUTH PLAIN", "AUTH PLAIN"},
      {"AUTH PLAIN =", "AUTH PLAIN ****"},
      {"AUTH", "AUTH"},
      // POP3 PASS
      {"PASS secret", "PASS ****"},
      {"pass se cret", "pass ****"},
      {"PASS", "PASS"},
      {"USER bob", "USER bob"},
      // IMAP LOGIN
      {"a1 LOGIN bob secret", "a1 LOGIN bob ****"},
      {R"(a1 LOGIN "bob" "se cret")", "a1 LOGIN bob ****"},
      {R"(a1 login "bob smith" pw)", R"(a1 login "bob smith" ****)"},
      {R"(a1 LOGIN "b\"ob" pw)", R"(a1 LOGIN "b\"ob" ****)"},
      {"a1 LOGIN bob", "a1 LOGIN bob"},
      {"a1 LOGIN {3}", "a1 LOGIN {3}"},
      // IMAP AUTHENTICATE
      {"a1 AUTHENTICATE PLAIN xxx", "a1 AUTHENTICATE PLAIN ****"},
      {"a1 authenticate plain xxx", "a1 authenticate plain ****"},
      {"a1 AUTHENTICATE PLAIN", "a1 AUTHENTICATE PLAIN"},
      // Lines that carry no secret
      {"MAIL FROM:<alice@alpha.test>", "MAIL FROM:<alice@alpha.test>"},
      {"a2 SELECT INBOX", "a2 SELECT INBOX"},
      {"250 2.0.0 OK", "250 2.0.0 OK"},
      {"", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(mask_credentials(c.line), c.masked);
  }
}

}  // namespace
}  // namespace mailflow::sim
