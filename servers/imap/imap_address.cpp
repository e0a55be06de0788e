// RFC 5322 address lists for ENVELOPE: see imap_address.hpp.
#include "servers/imap/imap_address.hpp"

namespace mailflow::imap {
namespace {

enum class Kind { Word, Quoted, DomainLiteral, Special, End };

struct Token {
  Kind kind = Kind::End;
  std::string text;  // the word, the unquoted string, "[1.2.3.4]", or the special
};

// RFC 5322 §3.2.3: atext plus "." (dot-atoms and obs-phrase dots stay in one word).
bool is_word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 32 && u != 127 && std::string_view("()<>[]:;@\\,\"").find(c) == std::string_view::npos;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) { advance(); }
  const Token& peek() const { return token_; }
  Token take() {
    Token t = std::move(token_);
    advance();
    return t;
  }
  bool at_special(char c) const { return token_.kind == Kind::Special && token_.text[0] == c; }

 private:
  void skip_cfws() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i_;
      } else if (c == '(') {  // §3.2.2: comments nest, "\" quotes
        for (int depth = 0; i_ < s_.size(); ++i_) {
          if (s_[i_] == '\\') ++i_;
          else if (s_[i_] == '(') ++depth;
          else if (s_[i_] == ')' && --depth == 0) break;
        }
        ++i_;
      } else {
        break;
      }
    }
  }
  void advance() {
    skip_cfws();
    token_ = Token{};
    if (i_ >= s_.size()) return;
    char c = s_[i_];
    if (c == '"') {
      token_.kind = Kind::Quoted;
      for (++i_; i_ < s_.size() && s_[i_] != '"'; ++i_) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        if (s_[i_] != '\r' && s_[i_] != '\n') token_.text += s_[i_];
      }
      ++i_;
    } else if (c == '[') {
      token_.kind = Kind::DomainLiteral;
      auto close = s_.find(']', i_);
      close = close == std::string_view::npos ? s_.size() : close + 1;
      token_.text = std::string(s_.substr(i_, close - i_));
      i_ = close;
    } else if (is_word_char(c)) {
      token_.kind = Kind::Word;
      while (i_ < s_.size() && is_word_char(s_[i_])) token_.text += s_[i_++];
    } else {
      token_.kind = Kind::Special;
      token_.text = std::string(1, c);
      ++i_;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  Token token_;
};

class AddressParser {
 public:
  explicit AddressParser(std::string_view value) : lex_(value) {}

  std::vector<EnvelopeAddress> list() {
    while (lex_.peek().kind != Kind::End) address(false);
    return std::move(out_);
  }

 private:
  bool is_word(const Token& t) const { return t.kind == Kind::Word || t.kind == Kind::Quoted; }

  // One address (or, outside a group, a whole group); consumes its trailing ",".
  void address(bool in_group) {
    std::vector<Token> phrase;
    while (is_word(lex_.peek())) phrase.push_back(lex_.take());
    const Token& next = lex_.peek();
    if (next.kind == Kind::Special && next.text == ":" && !in_group) {
      lex_.take();
      out_.push_back(EnvelopeAddress{std::nullopt, std::nullopt, join(phrase, " "), std::nullopt});
      while (lex_.peek().kind != Kind::End && !lex_.at_special(';')) address(true);
      if (lex_.at_special(';')) lex_.take();
      out_.push_back(EnvelopeAddress{});
    } else if (lex_.at_special('<')) {
      lex_.take();
      angle_addr(phrase.empty() ? std::nullopt : std::optional(join(phrase, " ")));
    } else if (lex_.at_special('@') && !phrase.empty()) {
      lex_.take();
      out_.push_back(EnvelopeAddress{std::nullopt, std::nullopt, join(phrase, ""), domain()});
    } else if (!phrase.empty()) {
      out_.push_back(EnvelopeAddress{std::nullopt, std::nullopt, join(phrase, ""), ""});
    } else if (next.kind != Kind::End && !(in_group && lex_.at_special(';'))) {
      lex_.take();  // a stray special or domain literal: skip it
    }
    if (lex_.at_special(',')) lex_.take();
  }

  // After "<": [obs-route] local-part "@" domain ">".
  void angle_addr(std::optional<std::string> name) {
    std::optional<std::string> route;
    while (lex_.at_special('@') || (route && lex_.at_special(','))) {
      std::string hop = lex_.take().text;  // "@" or ","
      if (hop == "@") hop += domain();
      route = route.value_or("") + hop;
    }
    if (route && lex_.at_special(':')) lex_.take();
    std::vector<Token> local;
    while (is_word(lex_.peek())) local.push_back(lex_.take());
    std::optional<std::string> host = "";
    if (lex_.at_special('@')) {
      lex_.take();
      host = domain();
    }
    if (lex_.at_special('>')) lex_.take();
    if (local.empty() && !name) return;  // "<>": nobody
    out_.push_back(EnvelopeAddress{std::move(name), std::move(route), join(local, ""), std::move(host)});
  }

  std::string domain() {
    std::string d;
    while (lex_.peek().kind == Kind::Word || lex_.peek().kind == Kind::DomainLiteral) d += lex_.take().text;
    return d;
  }

  static std::string join(const std::vector<Token>& words, std::string_view separator) {
    std::string out;
    for (const auto& w : words) {
      if (!out.empty()) out += separator;
      out += w.text;
    }
    return out;
  }

  Lexer lex_;
  std::vector<EnvelopeAddress> out_;
};

}  // namespace

std::vector<EnvelopeAddress> parse_address_list(std::string_view value) { return AddressParser(value).list(); }

}  // namespace mailflow::imap
