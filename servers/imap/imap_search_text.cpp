// Decoding header values and text parts for SEARCH: see imap_search_text.hpp.
#include "servers/imap/imap_search_text.hpp"

#include <iconv.h>

#include <cerrno>

#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_plain_charset(std::string_view charset) {
  return charset.empty() || sim::ascii_iequals(charset, "utf-8") || sim::ascii_iequals(charset, "utf8") ||
         sim::ascii_iequals(charset, "us-ascii");
}

// RFC 2047 §4.2: like quoted-printable, with "_" for a space and no soft line breaks.
std::string decode_q(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=' && i + 2 < encoded.size() && hex_value(encoded[i + 1]) >= 0 && hex_value(encoded[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(encoded[i + 1]) * 16 + hex_value(encoded[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

struct EncodedWord {
  std::string charset;
  std::string bytes;  // decoded, still in `charset`
  std::size_t end = 0;  // just past "?="
};

// An encoded-word starting at `pos` ("=?"), or nullopt if the text there is not one.
std::optional<EncodedWord> parse_encoded_word(std::string_view text, std::size_t pos) {
  if (text.substr(pos, 2) != "=?") return std::nullopt;
  const std::size_t charset_end = text.find('?', pos + 2);
  if (charset_end == std::string_view::npos || charset_end + 2 >= text.size() || text[charset_end + 2] != '?') {
    return std::nullopt;
  }
  const char encoding = sim::ascii_lower(text[charset_end + 1]);
  const std::size_t payload = charset_end + 3;
  const std::size_t close = text.find("?=", payload);
  if (close == std::string_view::npos || (encoding != 'b' && encoding != 'q')) return std::nullopt;
  std::string_view charset = text.substr(pos + 2, charset_end - pos - 2);
  charset = charset.substr(0, charset.find('*'));  // RFC 2231 §5: charset*language
  const std::string_view encoded = text.substr(payload, close - payload);
  if (charset.empty() || encoded.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  EncodedWord word;
  word.charset = std::string(charset);
  word.bytes = encoding == 'b' ? decode_base64(encoded) : decode_q(encoded);
  word.end = close + 2;
  return word;
}

}  // namespace

std::string decode_quoted_printable(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c != '=') {
      out += c;
      continue;
    }
    // A soft line break: "=" then optional trailing white space, then CRLF or LF.
    std::size_t j = i + 1;
    while (j < encoded.size() && (encoded[j] == ' ' || encoded[j] == '\t')) ++j;
    if (j < encoded.size() && (encoded[j] == '\n' || (encoded[j] == '\r' && j + 1 < encoded.size() && encoded[j + 1] == '\n'))) {
      i = encoded[j] == '\r' ? j + 1 : j;
      continue;
    }
    if (j == encoded.size()) break;  // "=" at the very end: a soft break before nothing
    if (i + 2 < encoded.size() && hex_value(encoded[i + 1]) >= 0 && hex_value(encoded[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(encoded[i + 1]) * 16 + hex_value(encoded[i + 2]));
      i += 2;
    } else {
      out += c;  // RFC 2045 §6.7 note (2): a robust decoder keeps a stray "="
    }
  }
  return out;
}

std::string decode_base64(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size() / 4 * 3 + 3);
  unsigned bits = 0;
  int count = 0;
  for (char c : encoded) {
    if (c == '=') break;
    const int v = base64_value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  if (is_plain_charset(charset) || bytes.empty()) return std::string(bytes);
  const std::string name(charset);
  iconv_t cd = ::iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::string(bytes);
  std::string out;
  std::string input(bytes);
  char* in = input.data();
  std::size_t in_left = input.size();
  char buffer[4096];
  while (in_left > 0) {
    char* to = buffer;
    std::size_t to_left = sizeof buffer;
    const std::size_t r = ::iconv(cd, &in, &in_left, &to, &to_left);
    out.append(buffer, sizeof buffer - to_left);
    if (r != static_cast<std::size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ or a truncated sequence (EINVAL): drop one byte and go on.
    ++in;
    --in_left;
  }
  char* to = buffer;
  std::size_t to_left = sizeof buffer;
  ::iconv(cd, nullptr, nullptr, &to, &to_left);  // the shift back of stateful charsets
  out.append(buffer, sizeof buffer - to_left);
  ::iconv_close(cd);
  return out;
}

std::string decode_header_value(std::string_view value) {
  if (value.find("=?") == std::string_view::npos) return std::string(value);
  std::string out;
  std::string pending_charset, pending;  // adjacent words of one charset, converted together
  auto flush = [&] {
    if (!pending.empty()) out += to_utf8(pending, pending_charset);
    pending.clear();
  };
  std::size_t i = 0;
  while (i < value.size()) {
    if (auto word = parse_encoded_word(value, i)) {
      // A multi-byte character may be split over two words: convert their bytes at once.
      if (!pending.empty() && !sim::ascii_iequals(pending_charset, word->charset)) flush();
      pending_charset = word->charset;
      pending += word->bytes;
      i = word->end;
      // RFC 2047 §6.2: white space between two encoded-words is not displayed.
      std::size_t j = i;
      while (j < value.size() && (value[j] == ' ' || value[j] == '\t' || value[j] == '\r' || value[j] == '\n')) ++j;
      if (j < value.size() && parse_encoded_word(value, j)) i = j;
      continue;
    }
    flush();
    out += value[i++];
  }
  flush();
  return out;
}

std::string decode_part_text(const sim::mime::Part& part, std::string_view text) {
  const std::size_t begin = std::min(part.body_begin, text.size());
  const std::string_view body = text.substr(begin, std::min(part.body_end, text.size()) - begin);
  const std::string encoding = sim::lower_ascii(sim::mime::strip_comments(part.encoding));
  std::string decoded;
  if (encoding == "base64") {
    decoded = decode_base64(body);
  } else if (encoding == "quoted-printable") {
    decoded = decode_quoted_printable(body);
  } else {
    decoded = std::string(body);
  }
  const auto charset = sim::mime::find_parameter(part.type_parameters, "charset");
  return to_utf8(decoded, charset.value_or(""));
}

}  // namespace mailflow::imap
