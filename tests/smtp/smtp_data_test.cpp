// DataReader and dot_stuff: the end of data in any chunking, every SMTP smuggling
// variant, dot-unstuffing, bare CR / LF normalised and flagged, size and line limits,
// pipelined bytes left for the caller, and the dot_stuff -> DataReader round trip.
#include <gtest/gtest.h>

#include <random>

#include "servers/smtp/smtp_data.hpp"

namespace mailflow::smtp {
namespace {

struct Read {
  bool done = false;
  std::string message;
  std::size_t consumed = 0;
  bool bare_newline = false;
  bool too_big = false;
  bool line_too_long = false;
};

Read read_all(std::string_view input, std::size_t chunk, std::size_t max_bytes = 1 << 20, std::size_t max_line = 1000) {
  DataReader reader(max_bytes, max_line);
  Read out;
  for (std::size_t i = 0; i < input.size() && !reader.done(); i += chunk) {
    auto piece = input.substr(i, chunk);
    auto used = reader.feed(piece);
    out.consumed += used;
    EXPECT_TRUE(used == piece.size() || reader.done()) << "only the terminator stops the reader early";
  }
  out.done = reader.done();
  out.message = reader.message();
  out.bare_newline = reader.bare_newline();
  out.too_big = reader.too_big();
  out.line_too_long = reader.line_too_long();
  EXPECT_EQ(reader.octets_received(), out.consumed);
  return out;
}

TEST(DataReader, EndsAtCrlfDotCrlfInEveryChunking) {
  std::string body = "Subject: hi\r\n\r\nHello Bob.\r\n";
  std::string input = body + ".\r\nQUIT\r\n";
  for (std::size_t chunk : {1u, 2u, 3u, 5u, 16u, 1000u}) {
    SCOPED_TRACE(chunk);
    auto r = read_all(input, chunk);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.message, body);
    EXPECT_EQ(r.consumed, body.size() + 3) << "QUIT stays for the command reader";
    EXPECT_FALSE(r.bare_newline);
  }
}

TEST(DataReader, FirstLineFollowsTheCrlfOfDataItself) {
  auto r = read_all(".\r\n", 1);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(r.consumed, 3u);
}

TEST(DataReader, SmugglingVariantsNeverEndTheData) {
  // CVE-2023-51764/5/6: each of these is text inside the message, and the smuggled
  // "MAIL FROM" stays text. The message ends only at the real <CRLF>.<CRLF>.
  struct Case { const char* name; std::string separator; std::string stored; };
  for (const auto& c : std::vector<Case>{
           {"LF dot LF", "\n.\n", "\r\n.\r\n"},
           {"CR dot CR", "\r.\r", "\r\n.\r\n"},
           {"LF dot CRLF", "\n.\r\n", "\r\n.\r\n"},
           {"CRLF dot LF", "\r\n.\n", "\r\n.\r\n"},
           {"CR dot CRLF", "\r.\r\n", "\r\n.\r\n"},
           {"CRLF dot CR", "\r\n.\r", "\r\n.\r\n"},
       }) {
    SCOPED_TRACE(c.name);
    std::string input = "first" + c.separator + "MAIL FROM:<evil@x.test>\r\n.\r\n";
    for (std::size_t chunk : {1u, 4u, 1000u}) {
      SCOPED_TRACE(chunk);
      auto r = read_all(input, chunk);
      EXPECT_TRUE(r.done);
      EXPECT_EQ(r.message, "first" + c.stored + "MAIL FROM:<evil@x.test>\r\n");
      EXPECT_TRUE(r.bare_newline);
      EXPECT_EQ(r.consumed, input.size());
    }
  }
}

TEST(DataReader, UnfinishedSmugglingKeepsReading) {
  for (std::string input : {"a\n.\n", "a\r.\r", "a\n.\r\n", "a\r\n.\n", "a\r\n.", "a\r\n.\r"}) {
    SCOPED_TRACE(testing::PrintToString(input));
    EXPECT_FALSE(read_all(input, 1).done);
    EXPECT_FALSE(read_all(input, 100).done);
  }
}

TEST(DataReader, BareCrAndLfBecomeCrlfAndAreFlagged) {
  struct Case { std::string input; std::string message; bool bare; };
  for (const auto& c : std::vector<Case>{
           {"a\r\nb\r\n.\r\n", "a\r\nb\r\n", false},
           {"a\nb\r\n.\r\n", "a\r\nb\r\n", true},
           {"a\rb\r\n.\r\n", "a\r\nb\r\n", true},
           {"a\r\rb\r\n.\r\n", "a\r\n\r\nb\r\n", true},
           {"a\r\r\n.\r\n", "a\r\n\r\n", true},
           {"\n\r\n.\r\n", "\r\n\r\n", true},
       }) {
    SCOPED_TRACE(testing::PrintToString(c.input));
    for (std::size_t chunk : {1u, 1000u}) {
      auto r = read_all(c.input, chunk);
      EXPECT_TRUE(r.done);
      EXPECT_EQ(r.message, c.message);
      EXPECT_EQ(r.bare_newline, c.bare);
    }
  }
}

TEST(DataReader, RemovesTheStuffedDot) {
  struct Case { std::string input; std::string message; };
  for (const auto& c : std::vector<Case>{
           {"..\r\n.\r\n", ".\r\n"},
           {"..hidden\r\n.\r\n", ".hidden\r\n"},
           {"...\r\n.\r\n", "..\r\n"},
           {".x\r\n.\r\n", "x\r\n"},  // a client that forgot to stuff loses one dot (RFC 5321 §4.5.2)
           {"a.\r\n.b\r\n.\r\n", "a.\r\nb\r\n"},
           {"a\r\n. \r\n.\r\n", "a\r\n \r\n"},
       }) {
    SCOPED_TRACE(testing::PrintToString(c.input));
    auto r = read_all(c.input, 1);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.message, c.message);
  }
}

TEST(DataReader, TooBigKeepsReadingToTheEndAndStoresNothingMore) {
  std::string input = std::string(100, 'x') + "\r\n" + std::string(100, 'y') + "\r\n.\r\nQUIT\r\n";
  auto r = read_all(input, 7, 150);
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.too_big);
  EXPECT_EQ(r.message, "") << "nothing of a refused message is kept";
  EXPECT_EQ(r.consumed, input.size() - 6);
  auto fits = read_all(input, 7, 204);
  EXPECT_FALSE(fits.too_big);
  EXPECT_EQ(fits.message.size(), 204u);
}

TEST(DataReader, FlagsALineOverTheTextLineLimit) {
  // RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF.
  auto ok = read_all(std::string(998, 'x') + "\r\n.\r\n", 1);
  EXPECT_FALSE(ok.line_too_long);
  auto stuffed = read_all("." + std::string(997, 'x') + "\r\n.\r\n", 1);
  EXPECT_FALSE(stuffed.line_too_long);
  auto long_line = read_all(std::string(999, 'x') + "\r\n.\r\n", 100);
  EXPECT_TRUE(long_line.done);
  EXPECT_TRUE(long_line.line_too_long);
  auto bare = read_all(std::string(998, 'x') + "\n.\r\n", 1);
  EXPECT_FALSE(bare.line_too_long) << "a bare LF counts as the CRLF it becomes";
}

TEST(DataReader, ConsumesNothingOnceDoneAndResets) {
  DataReader reader(1000, 1000);
  EXPECT_EQ(reader.feed("hi\r\n.\r\nRSET\r\n"), 7u);
  EXPECT_EQ(reader.feed("more"), 0u);
  EXPECT_EQ(reader.take_message(), "hi\r\n");
  reader.reset();
  EXPECT_FALSE(reader.done());
  EXPECT_EQ(reader.octets_received(), 0u);
  EXPECT_EQ(reader.feed("x\r\n.\r\n"), 6u);
  EXPECT_EQ(reader.message(), "x\r\n");
}

TEST(DotStuff, GoldenStrings) {
  struct Case { std::string message; std::string wire; };
  for (const auto& c : std::vector<Case>{
           {"", ".\r\n"},
           {"hello\r\n", "hello\r\n.\r\n"},
           {"hello", "hello\r\n.\r\n"},
           {".\r\n", "..\r\n.\r\n"},
           {".hidden\r\n..two\r\n", "..hidden\r\n...two\r\n.\r\n"},
           {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},
           {"a\r.\rb\r", "a\r\n..\r\nb\r\n.\r\n"},
           {"a\r\n.", "a\r\n..\r\n.\r\n"},
       }) {
    SCOPED_TRACE(testing::PrintToString(c.message));
    EXPECT_EQ(dot_stuff(c.message), c.wire);
  }
}

std::string normalise(std::string_view message) {
  std::string out;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r' || message[i] == '\n') {
      if (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      out += "\r\n";
    } else {
      out += message[i];
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

TEST(DotStuff, RoundTripsThroughDataReader) {
  std::mt19937 random(5321);
  const std::string alphabet = "ab.\r\n";
  std::vector<std::string> messages{"", ".", "..", "\r\n.\r\n", "\n.\n", "x\r\n.\r\n.\r\n", ".\r.\n.\r\n"};
  for (int i = 0; i < 300; ++i) {
    std::string m;
    for (int k = static_cast<int>(random() % 40); k > 0; --k) m += alphabet[random() % alphabet.size()];
    messages.push_back(m);
  }
  for (const auto& m : messages) {
    SCOPED_TRACE(testing::PrintToString(m));
    std::string wire = dot_stuff(m) + "NOOP\r\n";
    auto r = read_all(wire, 1 + random() % 5);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.message, normalise(m));
    EXPECT_FALSE(r.bare_newline) << "dot_stuff sends only CRLF";
    EXPECT_EQ(r.consumed, wire.size() - 6);
  }
}

}  // namespace
}  // namespace mailflow::smtp
