// The POP3 response catalogue: unique names, every entry explained in both languages with
// its RFC, status lines and their golden bytes, and the limits' verify().
#include "servers/pop3/pop3_codes.hpp"

#include <gtest/gtest.h>

#include <set>

#include "servers/pop3/pop3_limits.hpp"

namespace mailflow::pop3 {
namespace {

TEST(Pop3Codes, EveryResponseIsUniqueAndExplained) {
  std::set<std::string_view> names;
  for (const auto* spec : all_response_specs()) {
    SCOPED_TRACE(std::string(spec->name));
    EXPECT_TRUE(names.insert(spec->name).second) << "duplicate name";
    EXPECT_FALSE(spec->text.empty());
    EXPECT_NE(spec->rfc.find("RFC "), std::string_view::npos);
    EXPECT_FALSE(spec->explain_en.empty());
    EXPECT_FALSE(spec->explain_ja.empty());
    EXPECT_EQ(find_response_spec_by_name(spec->name), spec);
    // RFC 2449 §4: a status line fits in 512 octets.
    EXPECT_LT(make_response(*spec).format().size(), kMaxResponseLine);
  }
  EXPECT_EQ(find_response_spec_by_name("NoSuchThing"), nullptr);
}

TEST(Pop3Codes, ExtendedCodesAreTheRegisteredOnes) {
  // RFC 2449 §8.1 and RFC 3206: the codes the lab sends.
  const std::set<std::string_view> registered = {"IN-USE", "LOGIN-DELAY", "SYS/TEMP", "SYS/PERM", "AUTH"};
  std::set<std::string_view> used;
  for (const auto* spec : all_response_specs()) {
    if (spec->code.empty()) continue;
    EXPECT_FALSE(spec->ok) << spec->name << ": codes only on -ERR";
    EXPECT_TRUE(registered.count(spec->code)) << spec->name << " " << spec->code;
    used.insert(spec->code);
  }
  EXPECT_EQ(used, registered) << "every code the brief names has a response";
}

TEST(Pop3Codes, StatusLinesHaveTheirGoldenBytes) {
  EXPECT_EQ(make_response(responses::Ok).format(), "+OK OK\r\n");
  EXPECT_EQ(make_response(responses::DropListing, "2 320").format(), "+OK 2 320\r\n");
  EXPECT_EQ(make_response(responses::InUse).format(), "-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n");
  EXPECT_EQ(make_response(responses::AuthFailed).format(), "-ERR [AUTH] Authentication failed\r\n");
  EXPECT_EQ(make_response(responses::MaildropUnavailable).status_line(), "-ERR [SYS/TEMP] Cannot open the mailbox right now");
  EXPECT_EQ(make_response(responses::MaildropBroken).status_line(), "-ERR [SYS/PERM] The mailbox cannot be used");
  EXPECT_EQ(make_response(responses::LoginDelay, "wait").format(), "-ERR [LOGIN-DELAY] wait\r\n");
  EXPECT_EQ(make_response(responses::NoSuchMessage).format(), "-ERR No such message\r\n");
  EXPECT_EQ(kSaslContinuation, "+ \r\n");
}

TEST(Pop3Codes, FormatKeepsOneShortLine) {
  Pop3Response r = make_response(responses::LoggedIn, "a\r\nb" + std::string(1000, 'x'));
  std::string wire = r.format();
  EXPECT_EQ(wire.size(), kMaxResponseLine);
  EXPECT_EQ(wire.find('\n'), wire.size() - 1);
  EXPECT_EQ(wire.substr(0, 10), "+OK a  bxx");
}

TEST(Pop3Limits, DefaultsAreTheRfcValuesAndVerify) {
  Pop3Limits limits;
  EXPECT_EQ(limits.command_line, 255u);               // RFC 2449 §4
  EXPECT_EQ(limits.idle_timeout, std::chrono::minutes(10));  // RFC 1939 §3
  EXPECT_EQ(limits.verify(), "");
  limits.command_line = 100;
  limits.idle_timeout = std::chrono::seconds(30);
  EXPECT_NE(limits.verify().find("command_line is below"), std::string::npos);
  EXPECT_NE(limits.verify().find("idle_timeout is below"), std::string::npos);
  limits.allow_below_rfc_minimums = true;
  EXPECT_EQ(limits.verify(), "");
  limits.max_connections_per_client = limits.max_connections + 1;
  limits.max_bad_commands = 0;
  EXPECT_NE(limits.verify().find("max_bad_commands"), std::string::npos);
  EXPECT_NE(limits.verify().find("exceeds max_connections"), std::string::npos);
}

}  // namespace
}  // namespace mailflow::pop3
