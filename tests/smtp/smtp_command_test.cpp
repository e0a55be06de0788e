// parse_command: verbs in any case, argument after the first space with trailing spaces
// trimmed, unknown verbs.
#include <gtest/gtest.h>

#include "servers/smtp/smtp_command.hpp"

namespace mailflow::smtp {
namespace {

TEST(SmtpCommandParser, TableOfLines) {
  struct Case { const char* line; Verb verb; const char* verb_text; const char* argument; };
  for (const auto& c : std::initializer_list<Case>{
           {"EHLO client.test", Verb::Ehlo, "EHLO", "client.test"},
           {"ehlo client.test", Verb::Ehlo, "ehlo", "client.test"},
           {"HeLo x", Verb::Helo, "HeLo", "x"},
           {"MAIL FROM:<a@b.test> SIZE=10", Verb::Mail, "MAIL", "FROM:<a@b.test> SIZE=10"},
           {"rcpt TO:<b@c.test>   ", Verb::Rcpt, "rcpt", "TO:<b@c.test>"},
           {"DATA", Verb::Data, "DATA", ""},
           {"DATA ", Verb::Data, "DATA", ""},
           {"RSET", Verb::Rset, "RSET", ""},
           {"NOOP anything", Verb::Noop, "NOOP", "anything"},
           {"QUIT", Verb::Quit, "QUIT", ""},
           {"VRFY bob", Verb::Vrfy, "VRFY", "bob"},
           {"EXPN list", Verb::Expn, "EXPN", "list"},
           {"HELP", Verb::Help, "HELP", ""},
           {"StartTLS", Verb::StartTls, "StartTLS", ""},
           {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", Verb::Auth, "AUTH", "PLAIN AGFsaWNlAHNlY3JldA=="},
           {"BDAT 100 LAST", Verb::Bdat, "BDAT", "100 LAST"},
           {"MAIL  FROM:<a@b>", Verb::Mail, "MAIL", " FROM:<a@b>"},
           {"", Verb::Unknown, "", ""},
           {" EHLO x", Verb::Unknown, "", "EHLO x"},
           {"EHLOX y", Verb::Unknown, "EHLOX", "y"},
           {"GET / HTTP/1.1", Verb::Unknown, "GET", "/ HTTP/1.1"},
           {"MAIL:FROM", Verb::Unknown, "MAIL:FROM", ""},
       }) {
    SCOPED_TRACE(c.line);
    auto command = parse_command(c.line);
    EXPECT_EQ(command.verb, c.verb);
    EXPECT_EQ(command.verb_text, c.verb_text);
    EXPECT_EQ(command.argument, c.argument);
  }
}

TEST(SmtpCommandParser, VerbNamesRoundTrip) {
  for (Verb verb : {Verb::Helo, Verb::Ehlo, Verb::Mail, Verb::Rcpt, Verb::Data, Verb::Rset, Verb::Noop, Verb::Quit,
                    Verb::Vrfy, Verb::Expn, Verb::Help, Verb::StartTls, Verb::Auth, Verb::Bdat}) {
    SCOPED_TRACE(verb_name(verb));
    EXPECT_EQ(parse_command(std::string(verb_name(verb))).verb, verb);
  }
  EXPECT_EQ(verb_name(Verb::Unknown), "UNKNOWN");
}

TEST(SmtpCommandParser, KeepsControlCharactersForTheHandlerToReject) {
  auto command = parse_command(std::string_view("MAIL FROM:<a@b>\0x", 17));
  EXPECT_EQ(command.verb, Verb::Mail);
  EXPECT_EQ(command.argument.size(), 12u);
}

}  // namespace
}  // namespace mailflow::smtp
