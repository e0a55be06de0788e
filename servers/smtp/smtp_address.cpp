// Envelope address parsing: see smtp_address.hpp. The ABNF each function checks sits
// beside it (RFC 5321 §4.1.2 unless noted).
#include "servers/smtp/smtp_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace mailflow::smtp {
namespace {

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// atext (RFC 5322 §3.2.3): ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~"
bool is_atext(unsigned char c) {
  return is_alpha(c) || is_digit(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Length of the well-formed UTF-8 sequence of a non-ASCII character at s[i] (RFC 3629 §4:
// no overlong forms, no surrogates, nothing past U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c0 = byte(i);
  std::size_t length;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    length = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    length = 3;
    if (c0 == 0xE0) low = 0xA0;
    if (c0 == 0xED) high = 0x9F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    length = 4;
    if (c0 == 0xF0) low = 0x90;
    if (c0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// Dot-string = Atom *("." Atom); Atom = 1*atext (RFC 6531 §3.3: atext =/ UTF8-non-ascii).
bool valid_dot_string(std::string_view s, bool utf8) {
  bool atom_start = true;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (atom_start) return false;  // leading dot or ".."
      atom_start = true;
      ++i;
    } else if (c >= 0x80) {
      std::size_t n = utf8 ? utf8_sequence(s, i) : 0;
      if (n == 0) return false;
      atom_start = false;
      i += n;
    } else if (is_atext(c)) {
      atom_start = false;
      ++i;
    } else {
      return false;
    }
  }
  return !atom_start;  // not empty and no trailing dot
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE
// QcontentSMTP = qtextSMTP / quoted-pairSMTP; qtextSMTP = %d32-33 / %d35-91 / %d93-126
// quoted-pairSMTP = %d92 %d32-126 (RFC 6531 §3.3: qtextSMTP =/ UTF8-non-ascii)
bool valid_quoted_string(std::string_view s, bool utf8) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      if (i + 2 >= s.size()) return false;  // the escape would swallow the closing quote
      auto next = static_cast<unsigned char>(s[i + 1]);
      if (next < 32 || next > 126) return false;
      i += 2;
    } else if (c == '"') {
      return false;
    } else if (c >= 0x80) {
      std::size_t n = utf8 ? utf8_sequence(s, i) : 0;
      if (n == 0 || i + n >= s.size()) return false;
      i += n;
    } else if (c >= 32 && c <= 126) {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

// sub-domain = Let-dig [Ldh-str]; Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
// (RFC 6531 §3.3: sub-domain =/ U-label, checked here only as well-formed UTF-8).
bool valid_label(std::string_view label, bool utf8) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (std::size_t i = 0; i < label.size();) {
    auto c = static_cast<unsigned char>(label[i]);
    if (c >= 0x80) {
      std::size_t n = utf8 ? utf8_sequence(label, i) : 0;
      if (n == 0) return false;
      i += n;
    } else if (is_alpha(c) || is_digit(c) || c == '-') {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

// IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, 0 to 255
bool valid_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::size_t digits = 0;
    int value = 0;
    while (i < s.size() && is_digit(static_cast<unsigned char>(s[i])) && digits < 4) {
      value = value * 10 + (s[i] - '0');
      ++i, ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]" (§4.1.3);
// IPv6-address-literal = "IPv6:" IPv6-addr
bool valid_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  auto inner = s.substr(1, s.size() - 2);
  if (inner.size() > 5 && iequals(inner.substr(0, 5), "IPv6:")) {
    std::string text(inner.substr(5));
    if (text.size() > 45) return false;
    in6_addr address{};
    return inet_pton(AF_INET6, text.c_str(), &address) == 1;
  }
  return valid_ipv4(inner);
}

// Domain = sub-domain *("." sub-domain) / address-literal, at most 255 octets.
bool valid_domain(std::string_view s, bool utf8) {
  if (s.empty() || s.size() > kMaxDomain) return false;
  if (s.front() == '[') return valid_address_literal(s);
  std::size_t start = 0;
  for (;;) {
    auto dot = s.find('.', start);
    if (!valid_label(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start), utf8)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Why a mailbox is not valid; "" when it is. Mailbox = Local-part "@" ( Domain / address-literal )
std::string mailbox_problem(std::string_view mailbox, bool utf8) {
  auto at = mailbox.rfind('@');
  if (at == std::string_view::npos) return "no @ in the mailbox";
  auto local = mailbox.substr(0, at);
  auto domain = mailbox.substr(at + 1);
  if (local.empty()) return "empty local part";
  if (local.size() > kMaxLocalPart) return "local part longer than 64 octets";  // §4.5.3.1.1
  bool local_ok = local.front() == '"' ? valid_quoted_string(local, utf8) : valid_dot_string(local, utf8);
  if (!local_ok) return utf8 ? "bad local part" : "bad local part (non-ASCII needs SMTPUTF8)";
  if (domain.empty()) return "empty domain";
  if (domain.size() > kMaxDomain) return "domain longer than 255 octets";  // §4.5.3.1.2
  if (!valid_domain(domain, utf8)) return "bad domain";
  if (mailbox.size() + 2 > kMaxPath) return "path longer than 256 octets";  // §4.5.3.1.3
  return {};
}

PathResult failure(PathError error, std::string detail) { return {std::nullopt, error, std::move(detail)}; }

// Mail-parameters = esmtp-param *(SP esmtp-param)
// esmtp-param = esmtp-keyword ["=" esmtp-value]
// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
// esmtp-value = 1*(%d33-60 / %d62-126) (RFC 6531 §3.3: =/ UTF8-non-ascii)
std::string parse_params(std::string_view text, bool utf8, Path& path) {
  std::size_t i = 0;
  for (;;) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) return {};
    auto end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    auto token = text.substr(i, end - i);
    i = end;
    auto eq = token.find('=');
    auto keyword = token.substr(0, eq);
    if (keyword.empty() || !(is_alpha(keyword[0]) || is_digit(keyword[0]))) return "bad parameter keyword";
    for (unsigned char c : keyword) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return "bad parameter keyword";
    }
    std::string value;
    if (eq != std::string_view::npos) {
      auto raw = token.substr(eq + 1);
      if (raw.empty()) return "empty parameter value";
      for (std::size_t k = 0; k < raw.size();) {
        auto c = static_cast<unsigned char>(raw[k]);
        if (c >= 0x80) {
          std::size_t n = utf8 ? utf8_sequence(raw, k) : 0;
          if (n == 0) return "bad parameter value";
          k += n;
        } else if (c >= 33 && c <= 126 && c != '=') {
          ++k;
        } else {
          return "bad parameter value";
        }
      }
      value = std::string(raw);
    }
    std::string upper_keyword(keyword);
    std::transform(upper_keyword.begin(), upper_keyword.end(), upper_keyword.begin(), upper);
    for (const auto& [k, v] : path.params) {
      if (k == upper_keyword) return "parameter " + upper_keyword + " given twice";
    }
    path.params.emplace_back(std::move(upper_keyword), std::move(value));
  }
}

PathResult parse_path(std::string_view argument, std::string_view prefix, bool is_rcpt, bool utf8) {
  // Header injection: no CR, LF, NUL or other control character anywhere.
  for (unsigned char c : argument) {
    if (c < 0x20 || c == 0x7f) return failure(PathError::Syntax, "control character in the argument");
  }
  if (argument.size() < prefix.size() || !iequals(argument.substr(0, prefix.size()), prefix)) {
    return failure(PathError::Syntax, std::string("argument does not start with ") + std::string(prefix));
  }
  auto rest = argument.substr(prefix.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);  // lenient: "FROM: <a@b>"
  if (rest.empty() || rest.front() != '<') return failure(PathError::Syntax, "address not in <angle brackets>");
  // Find the closing ">" outside a quoted local part (qtextSMTP may hold ">").
  std::size_t close = std::string_view::npos;
  bool quoted = false;
  for (std::size_t i = 1; i < rest.size(); ++i) {
    if (quoted && rest[i] == '\\') {
      ++i;
    } else if (rest[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && rest[i] == '>') {
      close = i;
      break;
    }
  }
  if (close == std::string_view::npos) return failure(PathError::Syntax, "no closing >");
  if (close + 1 > kMaxPath) return failure(PathError::BadMailbox, "path longer than 256 octets");  // §4.5.3.1.3
  auto inner = rest.substr(1, close - 1);
  auto after = rest.substr(close + 1);
  if (!after.empty() && after.front() != ' ') return failure(PathError::Syntax, "text right after >");

  // Path = "<" [ A-d-l ":" ] Mailbox ">"; A-d-l = At-domain *( "," At-domain );
  // At-domain = "@" Domain. §4.1.1.3 and Appendix C: accept the source route, ignore it.
  bool had_route = false;
  if (!inner.empty() && inner.front() == '@') {
    auto colon = inner.find(':');
    if (colon == std::string_view::npos) return failure(PathError::BadMailbox, "source route without :");
    auto route = inner.substr(0, colon);
    std::size_t start = 0;
    for (;;) {
      auto comma = route.find(',', start);
      auto hop = route.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (hop.size() < 2 || hop.front() != '@' || !valid_domain(hop.substr(1), utf8)) {
        return failure(PathError::BadMailbox, "bad source route");
      }
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    inner = inner.substr(colon + 1);
    had_route = true;
  }

  Path path;
  if (inner.empty()) {
    // Reverse-path = Path / "<>" (§4.1.2): the null sender of bounces. Never a recipient.
    if (had_route) return failure(PathError::BadMailbox, "source route without a mailbox");
    if (is_rcpt) return failure(PathError::NullNotAllowed, "<> is not a recipient");
  } else if (is_rcpt && !had_route && iequals(inner, "postmaster")) {
    // §4.1.1.3: "<Postmaster>" without a domain must be accepted.
    path.mailbox = std::string(inner);
  } else if (auto problem = mailbox_problem(inner, utf8); !problem.empty()) {
    return failure(PathError::BadMailbox, problem);
  } else {
    path.mailbox = std::string(inner);
  }
  if (auto problem = parse_params(after, utf8, path); !problem.empty()) {
    return failure(PathError::BadParameter, problem);
  }
  return {std::move(path), PathError::None, {}};
}

}  // namespace

// Mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF (§4.1.1.2)
PathResult parse_mail_from(std::string_view argument, bool smtputf8_allowed) {
  return parse_path(argument, "FROM:", false, smtputf8_allowed);
}

// Rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
//        [SP Rcpt-parameters] CRLF (§4.1.1.3)
PathResult parse_rcpt_to(std::string_view argument, bool smtputf8_allowed) {
  return parse_path(argument, "TO:", true, smtputf8_allowed);
}

bool is_valid_mailbox(std::string_view mailbox, bool utf8) { return mailbox_problem(mailbox, utf8).empty(); }

std::string domain_of(std::string_view mailbox) {
  auto at = mailbox.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string domain(mailbox.substr(at + 1));
  std::transform(domain.begin(), domain.end(), domain.begin(), lower);
  return domain;
}

std::string local_part_of(std::string_view mailbox) {
  return std::string(mailbox.substr(0, mailbox.rfind('@')));
}

std::optional<std::uint64_t> size_param(const Path& path) {
  // size-value = 1*20DIGIT (RFC 1870 §3)
  auto value = param(path, "SIZE");
  if (!value || value->empty() || value->size() > 20) return std::nullopt;
  std::uint64_t size = 0;
  for (char c : *value) {
    if (!is_digit(static_cast<unsigned char>(c))) return std::nullopt;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (size > (UINT64_MAX - digit) / 10) return std::nullopt;
    size = size * 10 + digit;
  }
  return size;
}

std::optional<std::string> param(const Path& path, std::string_view keyword) {
  for (const auto& [k, v] : path.params) {
    if (iequals(k, keyword)) return v;
  }
  return std::nullopt;
}

}  // namespace mailflow::smtp
