// CommandReader: synchronizing and non-synchronizing literals, chunked and byte-by-byte
// ("trickle") input, and the refusals that keep attacker-chosen sizes out of memory.
#include <gtest/gtest.h>

#include "servers/imap/imap_command.hpp"
#include "servers/imap/imap_command_reader.hpp"

namespace mailflow::imap {
namespace {

using Kind = CommandReader::Step::Kind;

TEST(ImapCommandReader, LineWithoutLiteralIsComplete) {
  ImapLimits limits;
  CommandReader reader(limits);
  auto step = reader.add_line("a1 NOOP");
  EXPECT_EQ(step.kind, Kind::Complete);
  EXPECT_EQ(reader.text(), "a1 NOOP");
  EXPECT_EQ(reader.tag(), "a1");
}

TEST(ImapCommandReader, SynchronizingLiteralAsksForAContinuation) {
  ImapLimits limits;
  CommandReader reader(limits);
  auto step = reader.add_line("a LOGIN {3}");
  EXPECT_EQ(step.kind, Kind::NeedLiteral);
  EXPECT_EQ(step.literal_size, 3u);
  EXPECT_TRUE(step.synchronizing);
  step = reader.add_literal("bob");
  EXPECT_EQ(step.kind, Kind::NeedLine);
  step = reader.add_line(" {6+}");
  EXPECT_EQ(step.kind, Kind::NeedLiteral);
  EXPECT_FALSE(step.synchronizing);  // LITERAL+: no "+" continuation
  EXPECT_EQ(reader.add_literal("secret").kind, Kind::NeedLine);
  EXPECT_EQ(reader.add_line("").kind, Kind::Complete);
  EXPECT_EQ(reader.text(), "a LOGIN {3}\r\nbob {6+}\r\nsecret");
  auto parsed = parse_command(reader.text(), limits);
  ASSERT_TRUE(parsed.command.has_value()) << parsed.error;
  EXPECT_EQ(std::get<LoginArgs>(parsed.command->args), (LoginArgs{"bob", "secret"}));
}

TEST(ImapCommandReader, TrickledLiteralBytesOneAtATime) {
  ImapLimits limits;
  CommandReader reader(limits);
  std::string message = "Subject: hi\r\n\r\nbody\r\n";
  auto step = reader.add_line("t APPEND INBOX (\\Seen) {" + std::to_string(message.size()) + "}");
  for (char c : message) {
    ASSERT_EQ(step.kind, Kind::NeedLiteral);
    step = reader.add_literal(std::string_view(&c, 1));
  }
  ASSERT_EQ(step.kind, Kind::NeedLine);
  ASSERT_EQ(reader.add_line("").kind, Kind::Complete);
  auto parsed = parse_command(reader.text(), limits);
  ASSERT_TRUE(parsed.command.has_value()) << parsed.error;
  EXPECT_EQ(std::get<AppendArgs>(parsed.command->args).message, message);
}

TEST(ImapCommandReader, ExtraBytesPastTheLiteralAreNotTaken) {
  ImapLimits limits;
  CommandReader reader(limits);
  reader.add_line("a LOGIN {2}");
  EXPECT_EQ(reader.add_literal("abcdef").kind, Kind::NeedLine);
  EXPECT_EQ(reader.text(), "a LOGIN {2}\r\nab");
}

TEST(ImapCommandReader, MarkerInsideAQuotedStringIsText) {
  ImapLimits limits;
  CommandReader reader(limits);
  EXPECT_EQ(reader.add_line("a LOGIN bob \"x{5}\"").kind, Kind::Complete);
  reader.reset();
  EXPECT_EQ(reader.add_line("a LOGIN \"a\\\"b\" {1}").kind, Kind::NeedLiteral);
}

TEST(ImapCommandReader, RefusesLiteralsPastTheLimitBeforeReadingThem) {
  ImapLimits limits;
  limits.max_literal_bytes = 100;
  limits.max_append_bytes = 1000;
  CommandReader reader(limits);
  auto step = reader.add_line("a LOGIN {101}");
  EXPECT_EQ(step.kind, Kind::LiteralTooLarge);
  EXPECT_EQ(step.literal_size, 101u);
  EXPECT_FALSE(step.must_close);  // synchronizing: the client waits, answer NO and go on
  EXPECT_EQ(reader.tag(), "a");
  reader.reset();
  step = reader.add_line("b LOGIN {4294967296+}");
  EXPECT_EQ(step.kind, Kind::LiteralTooLarge);
  EXPECT_TRUE(step.must_close);  // the bytes are already coming: BAD, BYE, close
  reader.reset();
  step = reader.add_line("c LOGIN {99999999999999999999}");
  EXPECT_EQ(step.kind, Kind::LiteralTooLarge);
  // APPEND's message has its own, larger limit.
  reader.reset();
  EXPECT_EQ(reader.add_line("d APPEND INBOX {1000}").kind, Kind::NeedLiteral);
  reader.reset();
  EXPECT_EQ(reader.add_line("e append INBOX {1001}").kind, Kind::LiteralTooLarge);
}

TEST(ImapCommandReader, BoundsManySmallLiteralsAndASecondLargeOne) {
  ImapLimits limits;
  limits.max_literal_bytes = 100;
  limits.max_command_bytes = 1000;
  limits.max_append_bytes = 5000;
  CommandReader reader(limits);
  auto step = reader.add_line("a SEARCH TEXT {100}");
  int literals = 0;
  while (step.kind == Kind::NeedLiteral) {
    ++literals;
    reader.add_literal(std::string(100, 'x'));
    step = reader.add_line(" TEXT {100}");
  }
  EXPECT_EQ(step.kind, Kind::CommandTooLarge);
  EXPECT_LT(literals, 10);
  reader.reset();
  ASSERT_EQ(reader.add_line("b APPEND {4000}").kind, Kind::NeedLiteral);
  reader.add_literal(std::string(4000, 'm'));
  EXPECT_EQ(reader.add_line(" {4000}").kind, Kind::CommandTooLarge);
}

TEST(ImapCommandReader, RefusesLongLines) {
  ImapLimits limits;
  limits.line_length = 100;
  CommandReader reader(limits);
  EXPECT_EQ(reader.add_line("a NOOP " + std::string(200, 'x')).kind, Kind::LineTooLong);
  EXPECT_EQ(reader.tag(), "a");
}

TEST(ImapCommandReader, ZeroLengthLiteralAndIdleDone) {
  ImapLimits limits;
  CommandReader reader(limits);
  EXPECT_EQ(reader.add_line("a LOGIN {0}").kind, Kind::NeedLine);
  EXPECT_EQ(reader.add_line(" x").kind, Kind::Complete);
  EXPECT_TRUE(is_idle_done("done"));
  EXPECT_FALSE(is_idle_done("DONE "));
}

TEST(ImapCommandReader, FindsLiteralMarkers) {
  EXPECT_FALSE(find_literal_marker("a NOOP").present);
  EXPECT_FALSE(find_literal_marker("a \"{5}\"").present);
  auto marker = find_literal_marker("a LOGIN {12+}");
  EXPECT_TRUE(marker.present && marker.valid);
  EXPECT_EQ(marker.size, 12u);
  EXPECT_FALSE(marker.synchronizing);
  EXPECT_FALSE(find_literal_marker("a {1x}").valid);
}

}  // namespace
}  // namespace mailflow::imap
