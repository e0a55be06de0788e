// SASL for SMTP AUTH: strict base64, the PLAIN mechanism, and the LOGIN mechanism's
// prompts. Pure functions; the session runs the exchange.
//
// RFC 4648 §4 (base64; §3.3 / §3.5: characters outside the alphabet and non-canonical
// padding are rejected), RFC 4954 §4 (AUTH: "=" is an empty initial response, "*"
// cancels), RFC 4616 §2 (PLAIN: [authzid] NUL authcid NUL passwd), the LOGIN mechanism
// (draft-murchison-sasl-login-00: prompts "Username:" and "Password:").
// Leaves out: SCRAM, CRAM-MD5 (not offered by the lab), SASLprep (RFC 4013): identities are
// compared as octets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailflow::smtp {

// Most octets of a PLAIN identity or password, and of a LOGIN response (RFC 4616 §2:
// receivers must accept up to 255).
inline constexpr std::size_t kMaxSaslField = 255;

std::string base64_encode(std::string_view bytes);
// nullopt for anything but canonical, padded base64 (no spaces, no line breaks).
std::optional<std::string> base64_decode(std::string_view text);

// A client's AUTH initial response or reply to a 334 challenge: "=" means empty
// (RFC 4954 §4); otherwise strict base64.
std::optional<std::string> decode_sasl_response(std::string_view text);
// RFC 4954 §4: a client answers "*" to a challenge to cancel the exchange (501 5.7.0).
bool is_sasl_cancel(std::string_view line);

struct PlainCredentials {
  std::string authzid;  // usually empty: act as the authcid
  std::string authcid;  // the login
  std::string password;
};
// RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd. Exactly two NULs; the
// authcid and password are not empty; each part at most kMaxSaslField octets; no CR or LF
// in the identities (they reach the trace). nullopt otherwise, or for bad base64.
std::optional<PlainCredentials> decode_sasl_plain(std::string_view base64);
// The client side: base64 of authzid NUL authcid NUL password.
std::string encode_sasl_plain(std::string_view authzid, std::string_view authcid, std::string_view password);

// LOGIN: the server's two 334 challenges, base64 of "Username:" and "Password:".
inline constexpr std::string_view kLoginUsernameChallenge = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordChallenge = "UGFzc3dvcmQ6";
// A LOGIN answer (user name or password): base64, not empty, at most kMaxSaslField octets,
// no NUL, CR or LF.
std::optional<std::string> decode_sasl_login_response(std::string_view base64);

}  // namespace mailflow::smtp
