// SmtpReply's wire form and ReplyParser: multi-line replies, enhanced code extraction,
// mismatched codes, bounds on line length and line count, garbage.
#include <gtest/gtest.h>

#include "servers/smtp/smtp_reply.hpp"

namespace mailflow::smtp {
namespace {

using Status = ReplyParser::Status;

TEST(SmtpReply, FormatsSingleAndMultiLineWithEnhancedCodeOnEveryLine) {
  EXPECT_EQ((SmtpReply{250, "", {"OK"}}).format(), "250 OK\r\n");
  EXPECT_EQ((SmtpReply{550, "5.1.1", {"User unknown"}}).format(), "550 5.1.1 User unknown\r\n");
  EXPECT_EQ((SmtpReply{250, "", {"mx.beta.test", "PIPELINING", "SIZE 10485760"}}).format(),
            "250-mx.beta.test\r\n250-PIPELINING\r\n250 SIZE 10485760\r\n");
  EXPECT_EQ((SmtpReply{452, "4.5.3", {"a", "b"}}).format(), "452-4.5.3 a\r\n452 4.5.3 b\r\n");
  EXPECT_EQ((SmtpReply{334, "", {""}}).format(), "334\r\n");
  EXPECT_EQ((SmtpReply{221, "2.0.0", {}}).format(), "221 2.0.0\r\n");
}

TEST(SmtpReply, FormatNeverLetsCrOrLfAddALine) {
  EXPECT_EQ((SmtpReply{250, "", {"hello evil\r\n250 injected"}}).format(), "250 hello evil  250 injected\r\n");
}

TEST(SmtpReply, TextSummaryAndClasses) {
  SmtpReply reply{550, "5.1.1", {"User", "unknown"}};
  EXPECT_EQ(reply.text(), "User unknown");
  EXPECT_EQ(reply.summary(), "550 5.1.1 User unknown");
  EXPECT_TRUE(reply.permanent());
  EXPECT_FALSE(reply.positive());
  EXPECT_TRUE((SmtpReply{354, "", {"go"}}).positive());
  EXPECT_TRUE((SmtpReply{451, "4.3.0", {}}).transient());
  EXPECT_EQ((SmtpReply{250, "", {}}).summary(), "250");
}

TEST(EnhancedStatusCode, RecognisesClassSubjectDetail) {
  struct Case { const char* text; bool valid; };
  for (auto [text, valid] : std::initializer_list<Case>{
           {"2.0.0", true}, {"5.1.1", true}, {"4.7.11", true}, {"5.123.456", true},
           {"3.0.0", false}, {"5.1", false}, {"5.1.", false}, {"5..1", false}, {"5.1234.1", false},
           {"5.1.1x", false}, {"", false}, {"55.1.1", false}}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(is_enhanced_status_code(text), valid);
  }
}

TEST(ReplyParser, ParsesMultiLineEhloReply) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed_line("250-mx.beta.test greets you"), Status::NeedMore);
  EXPECT_EQ(parser.feed_line("250-PIPELINING"), Status::NeedMore);
  EXPECT_EQ(parser.feed_line("250 STARTTLS"), Status::Complete);
  auto reply = parser.take();
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(reply.enhanced, "");
  EXPECT_EQ(reply.lines, (std::vector<std::string>{"mx.beta.test greets you", "PIPELINING", "STARTTLS"}));
}

TEST(ReplyParser, ExtractsEnhancedCodeFromEveryLine) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed_line("550-5.1.1 The email account that you tried to reach"), Status::NeedMore);
  EXPECT_EQ(parser.feed_line("550 5.1.1 does not exist."), Status::Complete);
  auto reply = parser.take();
  EXPECT_EQ(reply.enhanced, "5.1.1");
  EXPECT_EQ(reply.lines, (std::vector<std::string>{"The email account that you tried to reach", "does not exist."}));
  EXPECT_EQ(reply.format(), "550-5.1.1 The email account that you tried to reach\r\n550 5.1.1 does not exist.\r\n");
}

TEST(ReplyParser, TableOfSingleLines) {
  struct Case { const char* line; Status status; int code; const char* enhanced; const char* text; };
  for (const auto& c : std::initializer_list<Case>{
           {"220 mx.beta.test ESMTP", Status::Complete, 220, "", "mx.beta.test ESMTP"},
           {"250", Status::Complete, 250, "", ""},
           {"250 ", Status::Complete, 250, "", ""},
           {"354 End data with <CR><LF>.<CR><LF>", Status::Complete, 354, "", "End data with <CR><LF>.<CR><LF>"},
           {"250 2.0.0", Status::Complete, 250, "2.0.0", ""},
           {"550 4.1.1 class mismatch stays text", Status::Complete, 550, "", "4.1.1 class mismatch stays text"},
           {"250 2.0.0Ok", Status::Complete, 250, "", "2.0.0Ok"},
           {"25", Status::Malformed, 0, "", ""},
           {"abc hello", Status::Malformed, 0, "", ""},
           {"199 too low", Status::Malformed, 0, "", ""},
           {"600 too high", Status::Malformed, 0, "", ""},
           {"260 second digit", Status::Malformed, 0, "", ""},
           {"250x", Status::Malformed, 0, "", ""},
           {"", Status::Malformed, 0, "", ""},
       }) {
    SCOPED_TRACE(c.line);
    ReplyParser parser;
    EXPECT_EQ(parser.feed_line(c.line), c.status);
    if (c.status == Status::Complete) {
      auto reply = parser.take();
      EXPECT_EQ(reply.code, c.code);
      EXPECT_EQ(reply.enhanced, c.enhanced);
      EXPECT_EQ(reply.text(), c.text);
    } else {
      EXPECT_FALSE(parser.error().empty());
    }
  }
}

TEST(ReplyParser, RejectsNulCrAndLfInsideALine) {
  for (std::string_view line : {std::string_view("250 a\0b", 7), std::string_view("250 a\rb"), std::string_view("250 a\nb")}) {
    ReplyParser parser;
    EXPECT_EQ(parser.feed_line(line), Status::Malformed);
  }
}

TEST(ReplyParser, RejectsLinesWithDifferentCodes) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed_line("250-first"), Status::NeedMore);
  EXPECT_EQ(parser.feed_line("550 second"), Status::Malformed);
  EXPECT_NE(parser.error().find("different codes"), std::string::npos);
  EXPECT_EQ(parser.feed_line("250 ok"), Status::Malformed) << "Malformed sticks until take()";
  parser.take();
  EXPECT_EQ(parser.feed_line("250 ok"), Status::Complete);
}

TEST(ReplyParser, BoundsLineLengthAndLineCount) {
  ReplyParser parser(100, 3);
  EXPECT_EQ(parser.feed_line("250 " + std::string(96, 'x')), Status::Complete);
  parser.take();
  EXPECT_EQ(parser.feed_line("250 " + std::string(97, 'x')), Status::Malformed);
  parser.reset();
  EXPECT_EQ(parser.feed_line("250-a"), Status::NeedMore);
  EXPECT_EQ(parser.feed_line("250-b"), Status::NeedMore);
  EXPECT_EQ(parser.feed_line("250-c"), Status::NeedMore);
  EXPECT_EQ(parser.feed_line("250 d"), Status::Malformed);
  EXPECT_NE(parser.error().find("lines"), std::string::npos);
}

TEST(ReplyParser, NextLineAfterCompleteStartsANewReply) {
  ReplyParser parser;
  EXPECT_EQ(parser.feed_line("250 first"), Status::Complete);
  EXPECT_EQ(parser.feed_line("221 2.0.0 Bye"), Status::Complete);
  auto reply = parser.take();
  EXPECT_EQ(reply.summary(), "221 2.0.0 Bye");
}

TEST(ReplyParser, RoundTripsFormat) {
  SmtpReply original{452, "4.5.3", {"Too many recipients", "try the rest later"}};
  ReplyParser parser;
  std::string wire = original.format();
  Status status = Status::NeedMore;
  for (std::size_t start = 0; start < wire.size();) {
    auto end = wire.find("\r\n", start);
    status = parser.feed_line(std::string_view(wire).substr(start, end - start));
    start = end + 2;
  }
  ASSERT_EQ(status, Status::Complete);
  auto parsed = parser.take();
  EXPECT_EQ(parsed.code, original.code);
  EXPECT_EQ(parsed.enhanced, original.enhanced);
  EXPECT_EQ(parsed.lines, original.lines);
}

}  // namespace
}  // namespace mailflow::smtp
