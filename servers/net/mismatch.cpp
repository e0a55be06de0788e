// Telling a client's mistake from its first bytes: see mismatch.hpp.
#include "servers/net/mismatch.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

namespace mailflow::net {
namespace {


// A TLS record carrying a handshake (RFC 8446 §5.1: type 22, legacy version 3.x); on a
// port that expects text nothing else starts with 0x16. Two bytes are enough to be sure.
bool is_tls_handshake(std::string_view b) {
  if (b.empty() || static_cast<unsigned char>(b[0]) != 0x16) return false;
  return b.size() < 2 || static_cast<unsigned char>(b[1]) == 0x03;
}

std::string upper_word(std::string_view line, std::size_t from, std::size_t* end) {
  std::string word;
  std::size_t i = from;
  while (i < line.size() && line[i] != ' ' && line[i] != '\r' && line[i] != '\n' && word.size() < 32) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(line[i])));
    ++i;
  }
  if (end) *end = i;
  return word;
}

template <std::size_t N>
bool one_of(const std::string& word, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Verbs only one protocol has; QUIT, NOOP, AUTH and RSET are shared by SMTP and POP3 and
// tell nothing.
constexpr std::array<std::string_view, 9> kHttpMethods{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"};
constexpr std::array<std::string_view, 6> kSmtpVerbs{"EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT"};
constexpr std::array<std::string_view, 9> kPop3Verbs{"USER", "PASS", "CAPA", "STAT", "APOP", "STLS", "UIDL", "RETR", "DELE"};
constexpr std::array<std::string_view, 8> kImapCommands{"LOGIN", "CAPABILITY", "AUTHENTICATE", "STARTTLS", "SELECT", "LOGOUT", "ID", "EXAMINE"};

std::string_view standard_plain_port(PortProtocol p) {
  switch (p) {
    case PortProtocol::Smtp: return "587";
    case PortProtocol::Pop3: return "110";
    case PortProtocol::Imap: return "143";
  }
  return "?";
}

std::string_view standard_tls_port(PortProtocol p) {
  switch (p) {
    case PortProtocol::Smtp: return "465";
    case PortProtocol::Pop3: return "995";
    case PortProtocol::Imap: return "993";
  }
  return "?";
}

// "an SMTP", "a POP3", "an IMAP": the article goes by how the name is spoken.
std::string with_article(PortProtocol p) {
  return std::string(p == PortProtocol::Pop3 ? "a " : "an ") + std::string(port_protocol_name(p));
}

std::string_view starttls_verb(PortProtocol p) { return p == PortProtocol::Pop3 ? "STLS" : "STARTTLS"; }

std::string_view spoken(Mismatch m) {
  switch (m) {
    case Mismatch::Http: return "HTTP";
    case Mismatch::SmtpCommands: return "SMTP";
    case Mismatch::Pop3Commands: return "POP3";
    case Mismatch::ImapCommands: return "IMAP";
    default: return "";
  }
}

}  // namespace

Mismatch plaintext_kind(std::string_view bytes) {
  std::size_t end = 0;
  const std::string first = upper_word(bytes, 0, &end);
  if (first.empty()) return Mismatch::None;
  const bool more = end < bytes.size() && bytes[end] == ' ';
  if (more && one_of(first, kHttpMethods)) return Mismatch::Http;
  if (one_of(first, kSmtpVerbs)) return Mismatch::SmtpCommands;
  if (one_of(first, kPop3Verbs)) return Mismatch::Pop3Commands;
  // IMAP (RFC 9051 §2.2.1): every command starts with a tag, then the command name.
  if (more && one_of(upper_word(bytes, end + 1, nullptr), kImapCommands)) return Mismatch::ImapCommands;
  return Mismatch::None;
}

Mismatch classify_first_bytes(std::string_view bytes, PortProtocol protocol, bool implicit_tls) {
  if (bytes.empty()) return Mismatch::None;
  const bool tls = is_tls_handshake(bytes);
  if (implicit_tls) return tls ? Mismatch::None : Mismatch::PlaintextOnTls;
  if (tls) return Mismatch::TlsOnPlaintext;
  const Mismatch kind = plaintext_kind(bytes);
  const bool own = (kind == Mismatch::SmtpCommands && protocol == PortProtocol::Smtp) ||
                   (kind == Mismatch::Pop3Commands && protocol == PortProtocol::Pop3) ||
                   (kind == Mismatch::ImapCommands && protocol == PortProtocol::Imap);
  return own ? Mismatch::None : kind;
}

std::string_view port_protocol_name(PortProtocol protocol) {
  switch (protocol) {
    case PortProtocol::Smtp: return "SMTP";
    case PortProtocol::Pop3: return "POP3";
    case PortProtocol::Imap: return "IMAP";
  }
  return "?";
}

std::string describe_mismatch(Mismatch mismatch, PortProtocol protocol, std::uint16_t port, std::string_view bytes) {
  const std::string_view name = port_protocol_name(protocol);
  switch (mismatch) {
    case Mismatch::None: return {};
    case Mismatch::TlsOnPlaintext:
      return fmt::format("this client tried TLS on port {}, where {} starts in plaintext; use {} or port {} (implicit TLS)",
                         port, name, starttls_verb(protocol), standard_tls_port(protocol));
    case Mismatch::PlaintextOnTls: {
      const std::string_view what = spoken(plaintext_kind(bytes));
      return fmt::format("this client spoke {} to the implicit-TLS port {}; use {} on port {} or turn on SSL/TLS",
                         what.empty() ? std::string_view("plaintext") : what, port, starttls_verb(protocol),
                         standard_plain_port(protocol));
    }
    case Mismatch::Http:
      return fmt::format("this client spoke HTTP to {} port ({}); a web browser or proxy was pointed at a mail server", with_article(protocol), port);
    case Mismatch::SmtpCommands:
    case Mismatch::Pop3Commands:
    case Mismatch::ImapCommands:
      return fmt::format("this client spoke {} to {} port ({}); check the account's server type and port",
                         spoken(mismatch), with_article(protocol), port);
  }
  return {};
}

}  // namespace mailflow::net
