// The POP3 command parser: keywords, argument counts and forms per RFC 1939 §3/§5/§7,
// RFC 2449 §5, RFC 2595 §4 and RFC 5034 §4, as table tests.
#include "servers/pop3/pop3_command.hpp"

#include <gtest/gtest.h>

namespace mailflow::pop3 {
namespace {

TEST(Pop3CommandParser, RecognisesEveryKeywordInAnyCase) {
  struct Case {
    const char* line;
    Verb verb;
  };
  const Case cases[] = {{"CAPA", Verb::Capa}, {"stls", Verb::Stls}, {"User bob", Verb::User}, {"PASS x", Verb::Pass},
                        {"APOP bob c4c9334bac560ecc979e58001b3e22fb", Verb::Apop},     {"AUTH PLAIN", Verb::Auth},
                        {"STAT", Verb::Stat}, {"LIST", Verb::List}, {"uidl 1", Verb::Uidl}, {"RETR 1", Verb::Retr},
                        {"TOP 1 0", Verb::Top}, {"DELE 2", Verb::Dele}, {"RSET", Verb::Rset}, {"NOOP", Verb::Noop},
                        {"quit", Verb::Quit}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    Command command = parse_command(c.line);
    EXPECT_EQ(command.verb, c.verb);
    EXPECT_EQ(command.error, CommandError::None);
  }
}

TEST(Pop3CommandParser, UnknownAndEmptyLinesAreUnknownCommands) {
  for (const char* line : {"", " ", "EHLO x", "RETRX 1", "LIS", "HELO"}) {
    SCOPED_TRACE(line);
    Command command = parse_command(line);
    EXPECT_EQ(command.verb, Verb::Unknown);
    EXPECT_EQ(command.error, CommandError::UnknownCommand);
  }
}

TEST(Pop3CommandParser, SplitsArgumentsOnSingleSpaces) {
  Command top = parse_command("TOP 3 10");
  ASSERT_EQ(top.error, CommandError::None);
  EXPECT_EQ(top.arguments, (std::vector<std::string>{"3", "10"}));
  EXPECT_EQ(top.verb_text, "TOP");
  // Trailing spaces are forgiven (some clients send them).
  EXPECT_EQ(parse_command("STAT  ").error, CommandError::None);
  EXPECT_EQ(parse_command("LIST 1 ").arguments, (std::vector<std::string>{"1"}));
}

TEST(Pop3CommandParser, PassKeepsSpacesInThePassword) {
  Command pass = parse_command("PASS my secret  pass ");
  ASSERT_EQ(pass.error, CommandError::None);
  ASSERT_EQ(pass.arguments.size(), 1u);
  EXPECT_EQ(pass.arguments[0], "my secret  pass ");
  EXPECT_EQ(parse_command("PASS").error, CommandError::BadArguments);
  EXPECT_EQ(parse_command("PASS ").error, CommandError::BadArguments);
}

TEST(Pop3CommandParser, RejectsBadArguments) {
  const char* cases[] = {
      "STAT 1",          // STAT takes none
      "RETR",            // RETR needs one
      "RETR 1 2",        // ... and only one
      "RETR one",        // numbers only
      "RETR -1",         // no sign
      "RETR +1",
      "TOP 1",           // TOP needs two
      "TOP 1 x",
      "LIST  1",         // two spaces make an empty argument
      "UIDL 1 2",
      "USER",            // USER needs a name
      "USER a b",
      "APOP bob",        // APOP needs name and digest
      "AUTH PLAIN a b",  // at most mechanism and initial response
      "RETR 1234567890123456789",  // more digits than fit
      "USER b\x7f",
      "USER bob\tx",     // control characters
      "LIST 12345678901234567890123456789012345678901",  // over 40 octets
  };
  for (const char* line : cases) {
    SCOPED_TRACE(line);
    Command command = parse_command(line);
    EXPECT_NE(command.verb, Verb::Unknown);
    EXPECT_EQ(command.error, CommandError::BadArguments);
    EXPECT_FALSE(command.syntax.empty());
  }
}

TEST(Pop3CommandParser, NamesAndSaslDataMayBeLongOrEightBit) {
  std::string long_name(100, 'a');
  EXPECT_EQ(parse_command("USER " + long_name + "@beta.test").error, CommandError::None);
  EXPECT_EQ(parse_command("USER b\xc3\xb6@beta.test").error, CommandError::None);
  EXPECT_EQ(parse_command("AUTH PLAIN " + std::string(200, 'A')).error, CommandError::None);
  EXPECT_EQ(parse_command("RETR \xc3\xb6").error, CommandError::BadArguments);
}

TEST(Pop3CommandParser, SyntaxLinesNameTheGrammar) {
  EXPECT_EQ(parse_command("TOP 1").syntax, "TOP msg n");
  EXPECT_EQ(parse_command("RETR").syntax, "RETR msg");
  EXPECT_EQ(verb_name(Verb::Uidl), "UIDL");
  EXPECT_EQ(verb_name(Verb::Unknown), "UNKNOWN");
}

TEST(Pop3CommandParser, ParsesNumbers) {
  EXPECT_EQ(parse_number("0"), 0u);
  EXPECT_EQ(parse_number("007"), 7u);
  EXPECT_EQ(parse_number("123456789012345678"), 123456789012345678u);
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("1234567890123456789"));
  EXPECT_FALSE(parse_number("1a"));
  EXPECT_FALSE(parse_number(" 1"));
}

}  // namespace
}  // namespace mailflow::pop3
