// IMAP string formatting and modified UTF-7: see imap_string.hpp.
#include "servers/imap/imap_string.hpp"

#include <cstdint>
#include <vector>

#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
constexpr std::size_t kMaxQuoted = 1024;  // longer values go as literals, as Dovecot does

int base64_value(char c) {
  auto at = kBase64.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// One UTF-8 sequence at text[i]; advances i. nullopt for an invalid or overlong sequence.
std::optional<std::uint32_t> next_code_point(std::string_view text, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3 : (lead >> 3) == 30 ? 4 : 0;
  if (length == 0 || i + length > text.size()) return std::nullopt;
  std::uint32_t cp = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += length;
  return cp;
}

bool is_printable_ascii(unsigned char c) { return c >= 0x20 && c <= 0x7E; }

// Decodes the modified base64 between "&" and "-" into UTF-8; false when invalid.
bool decode_shifted(std::string_view b64, std::string& out) {
  std::vector<std::uint16_t> units;
  std::uint32_t bits = 0;
  int nbits = 0;
  for (char c : b64) {
    int v = base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push_back(static_cast<std::uint16_t>(bits >> nbits));
      bits &= (1u << nbits) - 1;
    }
  }
  if (units.empty() || nbits >= 6 || bits != 0) return false;  // RFC 2152: padding bits are zero
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t u = units[i];
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 >= units.size() || units[i + 1] < 0xDC00 || units[i + 1] > 0xDFFF) return false;
      u = 0x10000 + ((u - 0xD800) << 10) + (units[++i] - 0xDC00);
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return false;
    } else if (is_printable_ascii(static_cast<unsigned char>(u)) && u < 0x80) {
      return false;  // RFC 3501 §5.1.3: printable US-ASCII must represent itself
    }
    append_utf8(out, u);
  }
  return true;
}

void encode_shifted(const std::vector<std::uint16_t>& units, std::string& out) {
  out += '&';
  std::uint32_t bits = 0;
  int nbits = 0;
  for (auto u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kBase64[(bits >> nbits) & 0x3F];
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out += kBase64[(bits << (6 - nbits)) & 0x3F];
  out += '-';
}

}  // namespace

bool is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x1F || u >= 0x7F) return false;
  return std::string_view("(){ %*\"\\]").find(c) == std::string_view::npos;
}

std::string format_string(std::string_view text) {
  bool quotable = text.size() < kMaxQuoted;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) quotable = false;
  }
  if (!quotable) return "{" + std::to_string(text.size()) + "}\r\n" + std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string format_nstring(std::optional<std::string_view> text) { return text ? format_string(*text) : "NIL"; }

std::string format_astring(std::string_view text) {
  bool atom = !text.empty() && !sim::ascii_iequals(text, "NIL");
  for (char c : text) atom = atom && is_atom_char(c);
  return atom ? std::string(text) : format_string(text);
}

std::optional<std::string> decode_mailbox_name(std::string_view utf7) {
  std::string out;
  for (std::size_t i = 0; i < utf7.size(); ++i) {
    char c = utf7[i];
    if (!is_printable_ascii(static_cast<unsigned char>(c))) return std::nullopt;
    if (c != '&') {
      out += c;
      continue;
    }
    auto dash = utf7.find('-', i + 1);
    if (dash == std::string_view::npos) return std::nullopt;
    if (dash == i + 1) {
      out += '&';  // "&-"
    } else if (!decode_shifted(utf7.substr(i + 1, dash - i - 1), out)) {
      return std::nullopt;
    }
    i = dash;
  }
  return out;
}

std::optional<std::string> encode_mailbox_name(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> pending;  // UTF-16 units of the current non-ASCII run
  for (std::size_t i = 0; i < utf8.size();) {
    auto cp = next_code_point(utf8, i);
    if (!cp) return std::nullopt;
    if (*cp < 0x80 && is_printable_ascii(static_cast<unsigned char>(*cp))) {
      if (!pending.empty()) encode_shifted(pending, out), pending.clear();
      out += static_cast<char>(*cp);
      if (*cp == '&') out += '-';
    } else if (*cp >= 0x10000) {
      pending.push_back(static_cast<std::uint16_t>(0xD800 + ((*cp - 0x10000) >> 10)));
      pending.push_back(static_cast<std::uint16_t>(0xDC00 + ((*cp - 0x10000) & 0x3FF)));
    } else {
      pending.push_back(static_cast<std::uint16_t>(*cp));
    }
  }
  if (!pending.empty()) encode_shifted(pending, out);
  return out;
}

}  // namespace mailflow::imap
