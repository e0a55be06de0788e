// SASL helpers: see sasl.hpp.
#include "servers/smtp/sasl.hpp"

#include <array>
#include <cstdint>

namespace mailflow::smtp {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto kDecode = make_decode_table();

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                      static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += rest == 2 ? kAlphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // RFC 4648 §3.2: SASL uses padding, so the length is a multiple of 4.
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    std::size_t pad = 0;
    if (last) {
      if (text[i + 3] == '=') ++pad;
      if (pad == 1 && text[i + 2] == '=') ++pad;
    }
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      std::int8_t d = k >= 4 - pad ? 0 : kDecode[static_cast<unsigned char>(text[i + k])];
      if (d < 0) return std::nullopt;  // RFC 4648 §3.3: reject characters outside the alphabet ("=" too)
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    // RFC 4648 §3.5: the bits under the padding must be zero (one canonical encoding).
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) return std::nullopt;
    out += static_cast<char>(v >> 16 & 0xFF);
    if (pad < 2) out += static_cast<char>(v >> 8 & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

std::optional<std::string> decode_sasl_response(std::string_view text) {
  if (text == "=") return std::string();  // RFC 4954 §4: an empty initial response
  return base64_decode(text);
}

bool is_sasl_cancel(std::string_view line) { return line == "*"; }

std::optional<PlainCredentials> decode_sasl_plain(std::string_view base64) {
  // Three fields of 255 octets and two NULs at most: anything longer is refused unread.
  if (base64.size() > (3 * kMaxSaslField + 2 + 2) / 3 * 4) return std::nullopt;
  auto message = decode_sasl_response(base64);
  if (!message) return std::nullopt;
  std::string_view m = *message;
  auto first = m.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = m.find('\0', first + 1);
  if (second == std::string_view::npos || m.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
  PlainCredentials credentials{std::string(m.substr(0, first)), std::string(m.substr(first + 1, second - first - 1)),
                               std::string(m.substr(second + 1))};
  // RFC 4616 §2: authcid = 1*SAFE, passwd = 1*SAFE, each up to 255 octets.
  if (credentials.authcid.empty() || credentials.password.empty()) return std::nullopt;
  if (credentials.authzid.size() > kMaxSaslField || credentials.authcid.size() > kMaxSaslField ||
      credentials.password.size() > kMaxSaslField) {
    return std::nullopt;
  }
  if (has_line_break(credentials.authzid) || has_line_break(credentials.authcid)) return std::nullopt;
  return credentials;
}

std::string encode_sasl_plain(std::string_view authzid, std::string_view authcid, std::string_view password) {
  std::string message;
  message.append(authzid).append(1, '\0').append(authcid).append(1, '\0').append(password);
  return base64_encode(message);
}

std::optional<std::string> decode_sasl_login_response(std::string_view base64) {
  if (base64.size() > (kMaxSaslField + 2) / 3 * 4) return std::nullopt;
  auto value = base64_decode(base64);
  if (!value || value->empty() || value->size() > kMaxSaslField) return std::nullopt;
  if (value->find('\0') != std::string::npos || has_line_break(*value)) return std::nullopt;
  return value;
}

}  // namespace mailflow::smtp
