// SASL: strict base64 against RFC 4648 §10 test vectors and malformed inputs; PLAIN
// (RFC 4616) good and bad; LOGIN prompts and answers.
#include <gtest/gtest.h>

#include "servers/smtp/sasl.hpp"

namespace mailflow::smtp {
namespace {

TEST(Base64, Rfc4648TestVectorsRoundTrip) {
  struct Case { const char* plain; const char* encoded; };
  for (const auto& c : std::initializer_list<Case>{{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}}) {
    SCOPED_TRACE(c.plain);
    EXPECT_EQ(base64_encode(c.plain), c.encoded);
    EXPECT_EQ(base64_decode(c.encoded), c.plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Base64, RejectsBadCharactersPaddingAndNonCanonicalBits) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "Zm9v YmFy", "Zm9v\r\n", "Zm9v!", "Zm=v", "Zg==Zg==",
                          "Zh==", "Zm9=", "Zm-_", "\xc3\xa9\xc3\xa9"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(base64_decode(bad), std::nullopt);
  }
}

TEST(SaslResponse, EqualsSignIsEmptyAndStarCancels) {
  EXPECT_EQ(decode_sasl_response("="), "");
  EXPECT_EQ(decode_sasl_response("Zm9v"), "foo");
  EXPECT_EQ(decode_sasl_response("Zm9"), std::nullopt);
  EXPECT_TRUE(is_sasl_cancel("*"));
  EXPECT_FALSE(is_sasl_cancel("* "));
}

TEST(SaslPlain, DecodesAuthzidAuthcidPassword) {
  auto plain = decode_sasl_plain(base64_encode(std::string("\0alice@alpha.test\0alice-secret", 30)));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->authzid, "");
  EXPECT_EQ(plain->authcid, "alice@alpha.test");
  EXPECT_EQ(plain->password, "alice-secret");
  auto with_authzid = decode_sasl_plain(encode_sasl_plain("admin", "bob@beta.test", "p w"));
  ASSERT_TRUE(with_authzid);
  EXPECT_EQ(with_authzid->authzid, "admin");
  EXPECT_EQ(with_authzid->authcid, "bob@beta.test");
  EXPECT_EQ(with_authzid->password, "p w");
  // swaks / curl golden: AUTH PLAIN AGFsaWNlAHNlY3JldA== is "\0alice\0secret".
  auto golden = decode_sasl_plain("AGFsaWNlAHNlY3JldA==");
  ASSERT_TRUE(golden);
  EXPECT_EQ(golden->authcid, "alice");
  EXPECT_EQ(golden->password, "secret");
}

TEST(SaslPlain, RejectsMalformedMessages) {
  struct Case { const char* name; std::string encoded; };
  std::string big(256, 'x');
  for (const auto& c : std::vector<Case>{
           {"not base64", "!!!!"},
           {"empty", "="},
           {"one NUL", base64_encode(std::string("alice\0secret", 12))},
           {"three NULs", base64_encode(std::string("\0alice\0sec\0ret", 14))},
           {"empty authcid", base64_encode(std::string("\0\0secret", 8))},
           {"empty password", base64_encode(std::string("\0alice\0", 7))},
           {"authcid over 255", encode_sasl_plain("", big, "secret")},
           {"password over 255", encode_sasl_plain("", "alice", big)},
           {"authzid over 255", encode_sasl_plain(big, "alice", "secret")},
           {"CR LF in authcid", encode_sasl_plain("", "alice\r\nX: y", "secret")},
           {"huge input", std::string(100000, 'A')},
       }) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(decode_sasl_plain(c.encoded), std::nullopt);
  }
  std::string max(255, 'x');
  EXPECT_TRUE(decode_sasl_plain(encode_sasl_plain(max, max, max)));
}

TEST(SaslLogin, PromptsAndAnswers) {
  EXPECT_EQ(base64_decode(kLoginUsernameChallenge), "Username:");
  EXPECT_EQ(base64_decode(kLoginPasswordChallenge), "Password:");
  EXPECT_EQ(decode_sasl_login_response(base64_encode("alice@alpha.test")), "alice@alpha.test");
  EXPECT_EQ(decode_sasl_login_response(""), std::nullopt);
  EXPECT_EQ(decode_sasl_login_response(base64_encode(std::string("a\0b", 3))), std::nullopt);
  EXPECT_EQ(decode_sasl_login_response(base64_encode(std::string(256, 'x'))), std::nullopt);
  EXPECT_EQ(decode_sasl_login_response("bad"), std::nullopt);
}

}  // namespace
}  // namespace mailflow::smtp
