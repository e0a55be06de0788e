// ImapScanner: reads the tokens of one whole IMAP command (CommandReader assembled it:
// its lines joined by CRLF with each literal's bytes right after its "{n}" marker), for
// the parsers in imap_command.cpp, imap_fetch_items.cpp and imap_search.cpp.
//
// RFC 3501 §4 (atom, number, string = quoted / literal, astring, nstring, NIL,
// parenthesized lists), §9 (ATOM-CHAR, ASTRING-CHAR = ATOM-CHAR / "]", tag = 1*<any
// ASTRING-CHAR except "+">, list-mailbox with "%" and "*"), RFC 7888 ("{n+}"
// non-synchronizing literals).
// Lenient where real clients are: quoted strings may hold 8-bit octets (UTF-8 search
// strings); strict where it matters: no CR, LF or NUL inside quoted strings and no NUL in
// literals (RFC 3501 §4.3), "\" only before '"' and "\".
// The first failure is kept (error()) and every later read fails, so a parser can read
// on and check once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailflow::imap {

struct CodeSpec;

class ImapScanner {
 public:
  ImapScanner(std::string_view text, std::size_t max_depth) : text_(text), max_depth_(max_depth) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The response code for the error (BADCHARSET), or nullptr.
  const CodeSpec* error_code() const { return error_code_; }
  // Records the first error (and its response code); returns false.
  bool fail(std::string message, const CodeSpec* code = nullptr);

  bool at_end() const { return pos_ >= text_.size(); }
  // The next octet, or '\0' at the end.
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool peek_is(char c) const { return ok() && peek() == c; }
  // Consumes `c` when it is next.
  bool accept(char c);
  // Consumes `c` or fails with "Expected <what>".
  bool expect(char c, std::string_view what);
  bool space() { return expect(' ', "a space"); }
  // Fails unless the whole command has been read.
  bool expect_end();

  // 1*ATOM-CHAR ("[" included, so BODY[ is read by fetch_name instead).
  std::optional<std::string> atom();
  // 1*ASTRING-CHAR: an atom that may hold "]".
  std::optional<std::string> astring_atom();
  std::optional<std::string> tag();
  // quoted / literal.
  std::optional<std::string> string();
  // 1*ASTRING-CHAR / string.
  std::optional<std::string> astring();
  // string, or nullopt-with-ok() for NIL. `is_nil` tells the two apart.
  std::optional<std::string> nstring(bool& is_nil);
  // list-mailbox: 1*(ATOM-CHAR / "%" / "*" / "]") / string.
  std::optional<std::string> list_mailbox();
  // number (up to 2^32-1) and nz-number; number64 for LARGER / SMALLER (RFC 9051 widens).
  std::optional<std::uint32_t> number();
  std::optional<std::uint64_t> number64();
  // Octets up to (not including) the next space, ")" or end, for sequence sets and the
  // like that the caller parses itself. Fails when empty.
  std::optional<std::string_view> until_delimiter();
  // A letters-digits-dots name (FETCH item names, section words): stops at "[", "<",
  // space, "(" and ")".
  std::optional<std::string> word();

  // Parenthesized lists: open() consumes "(" and counts depth against the limit; close()
  // consumes ")".
  bool open_list();
  bool close_list();

  std::size_t position() const { return pos_; }
  // Back to an earlier position() (only while ok()), to read a token a second way.
  void rewind(std::size_t position) { pos_ = position; }

 private:
  std::optional<std::string> quoted();
  std::optional<std::string> literal();
  template <typename Pred>
  std::string take_while(Pred pred);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  std::string error_;
  const CodeSpec* error_code_ = nullptr;
};

}  // namespace mailflow::imap
