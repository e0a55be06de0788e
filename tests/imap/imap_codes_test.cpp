// The response code catalogue (every code unique and explained in both languages) and
// ImapLimits' defaults and verify().
#include <gtest/gtest.h>

#include <set>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_limits.hpp"

namespace mailflow::imap {
namespace {

TEST(ImapCodeCatalogue, EveryCodeIsUniqueAndExplained) {
  std::set<std::string_view> names, atoms;
  ASSERT_GE(all_codes().size(), 30u);
  for (const auto* spec : all_codes()) {
    SCOPED_TRACE(spec->name);
    EXPECT_TRUE(names.insert(spec->name).second);
    EXPECT_TRUE(atoms.insert(spec->atom).second);
    EXPECT_EQ(spec->rfc.substr(0, 4), "RFC ");
    EXPECT_FALSE(spec->explain_en.empty());
    EXPECT_FALSE(spec->explain_ja.empty());
    EXPECT_EQ(find_code(spec->atom), spec);
    for (char c : spec->atom) EXPECT_TRUE((c >= 'A' && c <= 'Z') || c == '-');
  }
  for (const char* atom : {"ALERT", "BADCHARSET", "CAPABILITY", "PARSE", "PERMANENTFLAGS", "READ-ONLY", "READ-WRITE",
                           "TRYCREATE", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "APPENDUID", "COPYUID",
                           "AUTHENTICATIONFAILED", "NONEXISTENT", "ALREADYEXISTS", "OVERQUOTA", "LIMIT", "CANNOT"}) {
    EXPECT_NE(find_code(atom), nullptr) << atom;
  }
  EXPECT_EQ(find_code("trycreate"), &codes::TryCreate);
  EXPECT_EQ(find_code("NOSUCHCODE"), nullptr);
}

TEST(ImapCodeCatalogue, FormatsCodes) {
  EXPECT_EQ(format_code(codes::TryCreate), "[TRYCREATE]");
  EXPECT_EQ(format_code(codes::UidNext, "42"), "[UIDNEXT 42]");
  EXPECT_EQ(format_code(codes::AppendUid, "38505 3955"), "[APPENDUID 38505 3955]");
}

TEST(ImapLimitsTest, DefaultsFollowTheRfcsAndVerify) {
  ImapLimits limits;
  EXPECT_EQ(limits.line_length, 8192u);
  EXPECT_EQ(limits.idle_timeout, std::chrono::minutes(30));
  EXPECT_EQ(limits.verify(), "");
  limits.idle_timeout = std::chrono::minutes(1);
  EXPECT_NE(limits.verify().find("RFC 3501"), std::string::npos);
  limits.allow_below_rfc_minimums = true;
  EXPECT_EQ(limits.verify(), "");
  limits.max_bad_commands = 0;
  limits.max_connections_per_client = 1000;
  EXPECT_NE(limits.verify().find("; "), std::string::npos);
}

}  // namespace
}  // namespace mailflow::imap
