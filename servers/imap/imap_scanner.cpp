// IMAP token reading: see imap_scanner.hpp.
#include "servers/imap/imap_scanner.hpp"

#include "servers/imap/imap_string.hpp"
#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }
bool is_list_char(char c) { return is_astring_char(c) || c == '%' || c == '*'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool ImapScanner::fail(std::string message, const CodeSpec* code) {
  if (error_.empty()) {
    error_ = std::move(message);
    error_code_ = code;
  }
  return false;
}

bool ImapScanner::accept(char c) {
  if (!ok() || peek() != c || at_end()) return false;
  ++pos_;
  return true;
}

bool ImapScanner::expect(char c, std::string_view what) {
  return accept(c) || fail("Expected " + std::string(what));
}

bool ImapScanner::expect_end() {
  return ok() && (at_end() || fail("Unexpected text after the command"));
}

template <typename Pred>
std::string ImapScanner::take_while(Pred pred) {
  std::size_t start = pos_;
  while (!at_end() && pred(text_[pos_])) ++pos_;
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::string> ImapScanner::atom() {
  if (!ok()) return std::nullopt;
  auto text = take_while(is_atom_char);
  if (text.empty()) return fail("Expected an atom"), std::nullopt;
  return text;
}

std::optional<std::string> ImapScanner::astring_atom() {
  if (!ok()) return std::nullopt;
  auto text = take_while(is_astring_char);
  if (text.empty()) return fail("Expected an astring"), std::nullopt;
  return text;
}

std::optional<std::string> ImapScanner::tag() {
  if (!ok()) return std::nullopt;
  auto text = take_while([](char c) { return is_astring_char(c) && c != '+'; });
  if (text.empty()) return fail("Expected a tag"), std::nullopt;
  return text;
}

std::optional<std::string> ImapScanner::quoted() {
  ++pos_;  // the opening quote
  std::string out;
  while (!at_end()) {
    char c = text_[pos_++];
    if (c == '"') return out;
    if (c == '\r' || c == '\n' || c == '\0') return fail("Quoted string holds CR, LF or NUL"), std::nullopt;
    if (c == '\\') {
      if (at_end() || (text_[pos_] != '"' && text_[pos_] != '\\')) {
        return fail("Bad escape in quoted string"), std::nullopt;
      }
      c = text_[pos_++];
    }
    out += c;
  }
  return fail("Unterminated quoted string"), std::nullopt;
}

std::optional<std::string> ImapScanner::literal() {
  // CommandReader checked the size against the limits before reading the bytes; here the
  // marker is read again to find them.
  ++pos_;  // "{"
  std::size_t start = pos_;
  while (!at_end() && is_digit(text_[pos_])) ++pos_;
  std::string_view digits = text_.substr(start, pos_ - start);
  accept('+');
  if (digits.empty() || digits.size() > 10 || !accept('}') || !accept('\r') || !accept('\n')) {
    return fail("Bad literal"), std::nullopt;
  }
  std::uint64_t size = 0;
  for (char d : digits) size = size * 10 + static_cast<std::uint64_t>(d - '0');
  if (size > text_.size() - pos_) return fail("Literal is shorter than announced"), std::nullopt;
  auto bytes = text_.substr(pos_, size);
  if (bytes.find('\0') != std::string_view::npos) return fail("Literal holds NUL"), std::nullopt;
  pos_ += size;
  return std::string(bytes);
}

std::optional<std::string> ImapScanner::string() {
  if (!ok()) return std::nullopt;
  if (peek() == '"' && !at_end()) return quoted();
  if (peek() == '{' && !at_end()) return literal();
  return fail("Expected a string"), std::nullopt;
}

std::optional<std::string> ImapScanner::astring() {
  if (!ok()) return std::nullopt;
  if (!at_end() && (peek() == '"' || peek() == '{')) return string();
  return astring_atom();
}

std::optional<std::string> ImapScanner::nstring(bool& is_nil) {
  is_nil = false;
  if (!ok()) return std::nullopt;
  if (!at_end() && (peek() == '"' || peek() == '{')) return string();
  auto a = atom();
  if (a && sim::ascii_iequals(*a, "NIL")) {
    is_nil = true;
    return std::nullopt;
  }
  return fail("Expected a string or NIL"), std::nullopt;
}

std::optional<std::string> ImapScanner::list_mailbox() {
  if (!ok()) return std::nullopt;
  if (!at_end() && (peek() == '"' || peek() == '{')) return string();
  auto text = take_while(is_list_char);
  if (text.empty()) return fail("Expected a mailbox pattern"), std::nullopt;
  return text;
}

std::optional<std::uint64_t> ImapScanner::number64() {
  if (!ok()) return std::nullopt;
  auto digits = take_while(is_digit);
  if (digits.empty() || digits.size() > 19) return fail("Expected a number"), std::nullopt;
  return std::stoull(digits);
}

std::optional<std::uint32_t> ImapScanner::number() {
  auto n = number64();
  if (n && *n > 0xFFFFFFFFull) return fail("Number too large"), std::nullopt;
  return n ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*n)) : std::nullopt;
}

std::optional<std::string_view> ImapScanner::until_delimiter() {
  if (!ok()) return std::nullopt;
  std::size_t start = pos_;
  while (!at_end() && text_[pos_] != ' ' && text_[pos_] != ')' && text_[pos_] != '(') ++pos_;
  if (pos_ == start) return fail("Expected a value"), std::nullopt;
  return text_.substr(start, pos_ - start);
}

std::optional<std::string> ImapScanner::word() {
  if (!ok()) return std::nullopt;
  auto text = take_while([](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '-' || c == '_';
  });
  if (text.empty()) return fail("Expected a name"), std::nullopt;
  return text;
}

bool ImapScanner::open_list() {
  if (!expect('(', "\"(\"")) return false;
  if (++depth_ > max_depth_) return fail("Lists nested too deeply");
  return true;
}

bool ImapScanner::close_list() {
  if (!expect(')', "\")\"")) return false;
  --depth_;
  return true;
}

}  // namespace mailflow::imap
