// Multi-line responses, TOP, CAPA, APOP and UIDL text: see pop3_text.hpp.
#include "servers/pop3/pop3_text.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fmt/format.h>

#include "sim/ascii.hpp"

namespace mailflow::pop3 {
namespace {

// Calls f(line) for each line of text without its line ending (LF or CRLF); a final line
// without an ending counts, an empty text has no lines.
template <class F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    auto lf = text.find('\n');
    std::string_view line = text.substr(0, lf);
    if (lf != std::string_view::npos && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
    if (lf == std::string_view::npos) break;
    text.remove_prefix(lf + 1);
  }
}

void append_stuffed(std::string& out, std::string_view line) {
  // RFC 1939 §3: a line that begins with the termination octet is byte-stuffed.
  if (!line.empty() && line.front() == '.') out += '.';
  out.append(line);
  out += "\r\n";
}

}  // namespace

std::string dot_stuff(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 3);
  for_each_line(text, [&](std::string_view line) { append_stuffed(out, line); });
  out += ".\r\n";
  return out;
}

std::string dot_stuff_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) append_stuffed(out, line);
  out += ".\r\n";
  return out;
}

std::string top_of(std::string_view message, std::uint64_t body_lines) {
  std::string out;
  bool in_body = false;
  std::uint64_t sent = 0;
  bool done = false;
  for_each_line(message, [&](std::string_view line) {
    if (done) return;
    if (in_body) {
      if (sent == body_lines) {
        done = true;
        return;
      }
      ++sent;
    } else if (line.empty()) {
      in_body = true;  // the blank line after the header is always sent
    }
    out.append(line);
    out += "\r\n";
  });
  return out;
}

std::vector<std::string> capabilities(const CapabilityOptions& options) {
  std::vector<std::string> lines = {"TOP", "UIDL"};               // RFC 2449 §6.1, §6.8
  if (options.plaintext_login) {
    lines.emplace_back("USER");                                   // RFC 2449 §6.2
    lines.emplace_back("SASL PLAIN");                             // RFC 2449 §6.3, RFC 5034 §3
  }
  if (options.stls) lines.emplace_back("STLS");                   // RFC 2595 §4
  lines.emplace_back("RESP-CODES");                               // RFC 2449 §6.4
  lines.emplace_back("AUTH-RESP-CODE");                           // RFC 3206 §6
  lines.emplace_back("PIPELINING");                               // RFC 2449 §6.6
  lines.emplace_back("EXPIRE NEVER");                             // RFC 2449 §6.7
  if (options.login_delay.count() > 0) {
    lines.push_back(fmt::format("LOGIN-DELAY {}", options.login_delay.count()));  // RFC 2449 §6.5
  }
  lines.push_back(fmt::format("IMPLEMENTATION {}", options.implementation));     // RFC 2449 §6.9
  return lines;
}

std::string apop_timestamp(long pid, std::uint64_t counter, std::int64_t unix_seconds, std::string_view host) {
  return fmt::format("<{}.{}.{}@{}>", pid, counter, unix_seconds, host);
}

std::string apop_digest(std::string_view timestamp, std::string_view secret) {
  std::string input;
  input.append(timestamp).append(secret);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), md, &length, EVP_md5(), nullptr) != 1) return {};
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

bool apop_matches(std::string_view timestamp, std::string_view secret, std::string_view client_digest) {
  std::string expected = apop_digest(timestamp, secret);
  std::string given = sim::lower_ascii(client_digest);
  if (expected.empty() || given.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

std::string unique_id(std::uint32_t uidvalidity, std::uint32_t uid) { return fmt::format("{:08X}{:08X}", uid, uidvalidity); }

}  // namespace mailflow::pop3
