// MAIL FROM / RCPT TO paths: a table of valid and invalid addresses, header-injection
// attempts, length limits, SMTPUTF8, source routes, parameters and SIZE.
#include <gtest/gtest.h>

#include "servers/smtp/smtp_address.hpp"

namespace mailflow::smtp {
namespace {

struct Case {
  std::string argument;
  PathError error;
  std::string mailbox = {};
};

TEST(SmtpPathParser, MailFromTable) {
  std::string local64(64, 'a'), local65(65, 'a');
  std::string label63(63, 'd');
  std::string domain_255 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'e') + "";  // 253
  for (const auto& c : std::vector<Case>{
           {"FROM:<alice@alpha.test>", PathError::None, "alice@alpha.test"},
           {"from:<alice@alpha.test>", PathError::None, "alice@alpha.test"},
           {"FROM: <alice@alpha.test>", PathError::None, "alice@alpha.test"},
           {"FROM:<>", PathError::None, ""},
           {"FROM:<Alice.Smith+tag@Alpha.Test>", PathError::None, "Alice.Smith+tag@Alpha.Test"},
           {"FROM:<\"john doe\"@alpha.test>", PathError::None, "\"john doe\"@alpha.test"},
           {"FROM:<\"a>b@c\"@alpha.test>", PathError::None, "\"a>b@c\"@alpha.test"},
           {"FROM:<\"a\\\"b\"@alpha.test>", PathError::None, "\"a\\\"b\"@alpha.test"},
           {"FROM:<user@[127.0.0.1]>", PathError::None, "user@[127.0.0.1]"},
           {"FROM:<user@[IPv6:::1]>", PathError::None, "user@[IPv6:::1]"},
           {"FROM:<@relay.test,@hop.test:alice@alpha.test>", PathError::None, "alice@alpha.test"},
           {"FROM:<a@localhost>", PathError::None, "a@localhost"},
           {"FROM:<" + local64 + "@alpha.test>", PathError::None, local64 + "@alpha.test"},
           {"FROM:alice@alpha.test", PathError::Syntax},
           {"FROM:<alice@alpha.test", PathError::Syntax},
           {"TO:<alice@alpha.test>", PathError::Syntax},
           {"FROM<alice@alpha.test>", PathError::Syntax},
           {"", PathError::Syntax},
           {"FROM:<alice@alpha.test>x", PathError::Syntax},
           {"FROM:<alice>", PathError::BadMailbox},
           {"FROM:<@alpha.test>", PathError::BadMailbox},
           {"FROM:<alice@>", PathError::BadMailbox},
           {"FROM:<alice@@alpha.test>", PathError::BadMailbox},
           {"FROM:<.alice@alpha.test>", PathError::BadMailbox},
           {"FROM:<alice.@alpha.test>", PathError::BadMailbox},
           {"FROM:<al..ice@alpha.test>", PathError::BadMailbox},
           {"FROM:<al ice@alpha.test>", PathError::BadMailbox},
           {"FROM:<alice@alpha..test>", PathError::BadMailbox},
           {"FROM:<alice@-alpha.test>", PathError::BadMailbox},
           {"FROM:<alice@alpha-.test>", PathError::BadMailbox},
           {"FROM:<alice@alpha.test.>", PathError::BadMailbox},
           {"FROM:<alice@alpha_test>", PathError::BadMailbox},
           {"FROM:<alice@[127.0.0.256]>", PathError::BadMailbox},
           {"FROM:<alice@[127.0.0]>", PathError::BadMailbox},
           {"FROM:<alice@[IPv6:zz::1]>", PathError::BadMailbox},
           {"FROM:<alice@[tag:content]>", PathError::BadMailbox},
           {"FROM:<\"unterminated@alpha.test>", PathError::Syntax},
           {"FROM:<" + local65 + "@alpha.test>", PathError::BadMailbox},
           {"FROM:<a@" + label63 + "d.test>", PathError::BadMailbox},
           {"FROM:<" + local64 + "@" + domain_255 + ">", PathError::BadMailbox},
           {"FROM:<@relay.test:>", PathError::BadMailbox},
           {"FROM:<@bad_route:alice@alpha.test>", PathError::BadMailbox},
           {"FROM:<alice@alpha.test> SIZE", PathError::None, "alice@alpha.test"},
           {"FROM:<alice@alpha.test> SIZE=", PathError::BadParameter},
           {"FROM:<alice@alpha.test> =1", PathError::BadParameter},
           {"FROM:<alice@alpha.test> -X=1", PathError::BadParameter},
           {"FROM:<alice@alpha.test> SIZE=1=2", PathError::BadParameter},
           {"FROM:<alice@alpha.test> SIZE=1 size=2", PathError::BadParameter},
           {"FROM:<alice@alpha.test> X_Y=1", PathError::BadParameter},
       }) {
    SCOPED_TRACE(c.argument);
    auto result = parse_mail_from(c.argument, false);
    EXPECT_EQ(result.error, c.error) << result.detail;
    EXPECT_EQ(result.path.has_value(), c.error == PathError::None);
    if (result.path) {
      EXPECT_EQ(result.path->mailbox, c.mailbox);
    } else {
      EXPECT_FALSE(result.detail.empty());
    }
  }
}

TEST(SmtpPathParser, RejectsHeaderInjectionAndControlCharacters) {
  for (std::string argument : {std::string("FROM:<a@b.test>\r\nX: y"), std::string("FROM:<a@b.test>\nX: y"),
                               std::string("FROM:<a@b.test\r>"), std::string("FROM:<a\0@b.test>", 17),
                               std::string("FROM:<a@b.test>\0", 16), std::string("FROM:<\"a\rb\"@b.test>"),
                               std::string("FROM:<a@b.test> BODY=8BIT\tMIME"), std::string("FROM:<a\x7f@b.test>")}) {
    SCOPED_TRACE(testing::PrintToString(argument));
    EXPECT_EQ(parse_mail_from(argument, false).error, PathError::Syntax);
    EXPECT_EQ(parse_mail_from(argument, true).error, PathError::Syntax);
  }
  EXPECT_FALSE(is_valid_mailbox(std::string("a\0b@c.test", 10), true));
  EXPECT_FALSE(is_valid_mailbox("a@b.test\r\nBcc: x@y.test", true));
}

TEST(SmtpPathParser, RcptToTable) {
  for (const auto& c : std::vector<Case>{
           {"TO:<bob@beta.test>", PathError::None, "bob@beta.test"},
           {"to: <bob@beta.test> NOTIFY=SUCCESS,FAILURE", PathError::None, "bob@beta.test"},
           {"TO:<postmaster>", PathError::None, "postmaster"},
           {"TO:<PostMaster>", PathError::None, "PostMaster"},
           {"TO:<Postmaster@beta.test>", PathError::None, "Postmaster@beta.test"},
           {"TO:<@relay.test:bob@beta.test>", PathError::None, "bob@beta.test"},
           {"TO:<>", PathError::NullNotAllowed},
           {"TO:<bob>", PathError::BadMailbox},
           {"TO:<@relay.test:postmaster>", PathError::BadMailbox},
           {"FROM:<bob@beta.test>", PathError::Syntax},
           {"TO:bob@beta.test", PathError::Syntax},
       }) {
    SCOPED_TRACE(c.argument);
    auto result = parse_rcpt_to(c.argument, false);
    EXPECT_EQ(result.error, c.error) << result.detail;
    if (result.path) {
      EXPECT_EQ(result.path->mailbox, c.mailbox);
    }
  }
}

TEST(SmtpPathParser, Utf8OnlyWithSmtpUtf8) {
  std::string japanese = "FROM:<\xe3\x81\x8a\xe3\x81\x8b\xe3\x82\x82\xe3\x81\xa8@\xe4\xbe\x8b\xe3\x81\x88.test> SMTPUTF8";
  EXPECT_EQ(parse_mail_from(japanese, false).error, PathError::BadMailbox);
  auto allowed = parse_mail_from(japanese, true);
  ASSERT_EQ(allowed.error, PathError::None) << allowed.detail;
  EXPECT_TRUE(param(*allowed.path, "smtputf8").has_value());
  // Malformed UTF-8 stays rejected even with SMTPUTF8: a lone continuation byte, an
  // overlong "/", a surrogate, a truncated sequence.
  for (std::string bad : {"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe3\x81"}) {
    SCOPED_TRACE(testing::PrintToString(bad));
    EXPECT_EQ(parse_mail_from("FROM:<a" + bad + "@b.test>", true).error, PathError::BadMailbox);
  }
  EXPECT_EQ(parse_mail_from("FROM:<a@b.test> X=\xc3\xa9", false).error, PathError::BadParameter);
  EXPECT_EQ(parse_mail_from("FROM:<a@b.test> X=\xc3\xa9", true).error, PathError::None);
}

TEST(SmtpPathParser, ParametersAreUpperCasedWithValuesAsGiven) {
  auto result = parse_mail_from("FROM:<a@b.test>  size=1234   Body=8BITMIME ret=HDRS  ", false);
  ASSERT_EQ(result.error, PathError::None) << result.detail;
  using Params = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(result.path->params, (Params{{"SIZE", "1234"}, {"BODY", "8BITMIME"}, {"RET", "HDRS"}}));
  EXPECT_EQ(param(*result.path, "body"), "8BITMIME");
  EXPECT_EQ(param(*result.path, "ENVID"), std::nullopt);
  EXPECT_EQ(size_param(*result.path), 1234u);
}

TEST(SmtpPathParser, SizeParamRejectsNonNumbersAndOverflow) {
  struct SizeCase { const char* value; std::optional<std::uint64_t> size; };
  for (const auto& c : std::initializer_list<SizeCase>{{"0", 0}, {"10485760", 10485760u},
                                                       {"18446744073709551615", UINT64_MAX},
                                                       {"18446744073709551616", std::nullopt},
                                                       {"99999999999999999999", std::nullopt},
                                                       {"12a", std::nullopt}, {"-1", std::nullopt}}) {
    SCOPED_TRACE(c.value);
    Path path{"a@b.test", {{"SIZE", c.value}}};
    EXPECT_EQ(size_param(path), c.size);
  }
  EXPECT_EQ(size_param(Path{"a@b.test", {}}), std::nullopt);
  EXPECT_EQ(size_param(Path{"a@b.test", {{"SIZE", ""}}}), std::nullopt);
}

TEST(SmtpPathParser, PathLongerThan256OctetsIsRejected) {
  // 64 + "@" + 189 = 254 octets of mailbox: exactly 256 with the brackets.
  std::string domain = std::string(63, 'd') + "." + std::string(63, 'd') + "." + std::string(61, 'd');
  std::string mailbox = std::string(64, 'a') + "@" + domain;
  ASSERT_EQ(mailbox.size(), 254u);
  EXPECT_EQ(parse_mail_from("FROM:<" + mailbox + ">", false).error, PathError::None);
  EXPECT_EQ(parse_mail_from("FROM:<" + mailbox + "d>", false).error, PathError::BadMailbox);
}

TEST(SmtpMailbox, DomainAndLocalPart) {
  EXPECT_EQ(domain_of("Bob@Beta.TEST"), "beta.test");
  EXPECT_EQ(local_part_of("Bob@Beta.TEST"), "Bob");
  EXPECT_EQ(domain_of("\"a@b\"@c.test"), "c.test");
  EXPECT_EQ(local_part_of("\"a@b\"@c.test"), "\"a@b\"");
  EXPECT_EQ(domain_of("postmaster"), "");
  EXPECT_EQ(local_part_of("postmaster"), "postmaster");
  EXPECT_TRUE(is_valid_mailbox("alice@alpha.test", false));
  EXPECT_FALSE(is_valid_mailbox("<alice@alpha.test>", false));
  EXPECT_FALSE(is_valid_mailbox("", false));
}

}  // namespace
}  // namespace mailflow::smtp
