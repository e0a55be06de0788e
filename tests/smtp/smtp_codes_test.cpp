// The reply catalogue: every spec unique, well-formed and explained in both languages;
// make_reply and find_reply_spec.
#include <gtest/gtest.h>

#include <set>

#include "servers/smtp/smtp_codes.hpp"

namespace mailflow::smtp {
namespace {

TEST(ReplyCatalogue, EverySpecIsUniqueWellFormedAndExplained) {
  std::set<std::string_view> names;
  std::set<std::tuple<int, std::string_view, std::string_view>> replies_seen;
  ASSERT_GE(all_reply_specs().size(), 45u);
  for (const auto* spec : all_reply_specs()) {
    SCOPED_TRACE(spec->name);
    EXPECT_TRUE(names.insert(spec->name).second) << "duplicate name";
    EXPECT_TRUE(replies_seen.insert({spec->code, spec->enhanced, spec->text}).second) << "duplicate reply";
    EXPECT_GE(spec->code, 200);
    EXPECT_LT(spec->code, 600);
    if (!spec->enhanced.empty()) {
      EXPECT_TRUE(is_enhanced_status_code(spec->enhanced));
      EXPECT_EQ(spec->enhanced[0], static_cast<char>('0' + spec->code / 100)) << "enhanced class matches the code";
    } else {
      // Only the greeting and the SASL / DATA go-aheads go without an enhanced code.
      EXPECT_TRUE(spec->code == 220 || spec->code == 334 || spec->code == 354);
    }
    EXPECT_FALSE(spec->rfc.empty());
    EXPECT_EQ(spec->rfc.substr(0, 4), "RFC ");
    EXPECT_FALSE(spec->explain_en.empty());
    EXPECT_FALSE(spec->explain_ja.empty());
    EXPECT_EQ(spec->text.find_first_of("\r\n"), std::string_view::npos);
    EXPECT_EQ(find_reply_spec_by_name(spec->name), spec);
  }
}

TEST(ReplyCatalogue, HoldsTheRepliesTheServersNeed) {
  struct Case { const ReplySpec& spec; const char* wire; };
  for (const auto& c : std::initializer_list<Case>{
           {replies::Ready, "220 ESMTP mailflow\r\n"},
           {replies::Bye, "221 2.0.0 Bye\r\n"},
           {replies::UserUnknown, "550 5.1.1 User unknown\r\n"},
           {replies::UserNotLocal, "551 5.1.6 User not local; please try <forward-path>\r\n"},
           {replies::MailboxFull, "552 5.2.2 Mailbox full\r\n"},
           {replies::MessageTooBig, "552 5.3.4 Message size exceeds fixed limit\r\n"},
           {replies::RelayDenied, "554 5.7.1 Relay access denied\r\n"},
           {replies::TooManyRecipients, "452 4.5.3 Too many recipients\r\n"},
           {replies::StartTlsFirst, "530 5.7.0 Must issue a STARTTLS command first\r\n"},
           {replies::AuthFailed, "535 5.7.8 Authentication credentials invalid\r\n"},
           {replies::StartMailInput, "354 End data with <CR><LF>.<CR><LF>\r\n"},
       }) {
    SCOPED_TRACE(c.spec.name);
    EXPECT_EQ(make_reply(c.spec).format(), c.wire);
  }
}

TEST(MakeReply, TextOverridesAndSplitsIntoLines) {
  EXPECT_EQ(make_reply(replies::Queued, "OK: queued as 1A2B").format(), "250 2.0.0 OK: queued as 1A2B\r\n");
  EXPECT_EQ(make_reply(replies::Ok, "mx.beta.test\nPIPELINING\nSIZE 10485760").format(),
            "250-2.0.0 mx.beta.test\r\n250-2.0.0 PIPELINING\r\n250 2.0.0 SIZE 10485760\r\n");
  EXPECT_EQ(make_reply(replies::AuthChallenge, "VXNlcm5hbWU6").format(), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(make_reply(replies::AuthChallenge).format(), "334\r\n");
  EXPECT_EQ(make_reply(replies::Help, "a\nb\n").lines, (std::vector<std::string>{"a", "b"}));
}

TEST(FindReplySpec, ExplainsExactThenByClassSubjectThenNothing) {
  EXPECT_EQ(find_reply_spec(550, "5.1.1"), &replies::UserUnknown);
  EXPECT_EQ(find_reply_spec(552, "5.3.4"), &replies::MessageTooBig);
  EXPECT_EQ(find_reply_spec(550, "5.1.10"), &replies::UserUnknown) << "same class.subject";
  EXPECT_EQ(find_reply_spec(220, ""), &replies::Ready);
  EXPECT_EQ(find_reply_spec(550, "5.9.9"), nullptr);
  EXPECT_EQ(find_reply_spec(299, ""), nullptr);
}

}  // namespace
}  // namespace mailflow::smtp
