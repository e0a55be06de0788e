// SmtpLimits: the defaults are the RFC / Postfix values and pass verify(); values below
// the RFC minimums fail unless a teaching demo allows them; nonsense always fails.
#include <gtest/gtest.h>

#include "servers/smtp/smtp_limits.hpp"

namespace mailflow::smtp {
namespace {

TEST(SmtpLimits, DefaultsAreTheRfcValuesAndVerify) {
  SmtpLimits limits;
  EXPECT_EQ(limits.command_line, 512u);
  EXPECT_EQ(limits.text_line, 1000u);
  EXPECT_EQ(limits.max_recipients, 100u);
  EXPECT_EQ(limits.max_message_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(limits.idle_timeout, std::chrono::seconds(300));
  EXPECT_EQ(limits.auth_line, 12288u);
  EXPECT_TRUE(limits.reject_bare_newlines);
  EXPECT_EQ(limits.verify(), "");
}

TEST(SmtpLimits, BelowRfcMinimumsNeedsTheTeachingSwitch) {
  struct Case { const char* name; void (*lower)(SmtpLimits&); };
  for (const auto& c : std::initializer_list<Case>{
           {"command_line", [](SmtpLimits& l) { l.command_line = 100; }},
           {"text_line", [](SmtpLimits& l) { l.text_line = 78; }},
           {"max_recipients", [](SmtpLimits& l) { l.max_recipients = 2; }},
       }) {
    SCOPED_TRACE(c.name);
    SmtpLimits limits;
    c.lower(limits);
    EXPECT_NE(limits.verify().find(c.name), std::string::npos);
    limits.allow_below_rfc_minimums = true;
    EXPECT_EQ(limits.verify(), "");
  }
}

TEST(SmtpLimits, NonsenseFailsEvenForDemos) {
  struct Case { const char* name; void (*spoil)(SmtpLimits&); };
  for (const auto& c : std::initializer_list<Case>{
           {"max_recipients", [](SmtpLimits& l) { l.max_recipients = 0; }},
           {"max_message_bytes", [](SmtpLimits& l) { l.max_message_bytes = 0; }},
           {"idle_timeout", [](SmtpLimits& l) { l.idle_timeout = std::chrono::seconds(0); }},
           {"data_timeout", [](SmtpLimits& l) { l.data_timeout = std::chrono::seconds(-1); }},
           {"max_errors", [](SmtpLimits& l) { l.max_errors = 0; }},
           {"max_connections_per_client", [](SmtpLimits& l) { l.max_connections_per_client = 500; }},
           {"command_line", [](SmtpLimits& l) { l.command_line = 4; }},
           {"max_auth_failures", [](SmtpLimits& l) { l.max_auth_failures = 0; }},
       }) {
    SCOPED_TRACE(c.name);
    SmtpLimits limits;
    limits.allow_below_rfc_minimums = true;
    c.spoil(limits);
    EXPECT_NE(limits.verify().find(c.name), std::string::npos) << limits.verify();
  }
}

}  // namespace
}  // namespace mailflow::smtp
