// Fuzz target: the POP3 command side and multi-line responses. Each line of the input
// (split by LineBuffer at 255 octets, as the session does) goes through parse_command;
// the whole input goes through dot_stuff and top_of. Invariants: no crash; an accepted
// command has no CR, LF or NUL in its arguments, numbers where its grammar wants them, and
// a known verb; a byte-stuffed body has only CRLF line ends, no bare "." line before the
// terminator, and un-stuffs to the input's lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "servers/net/line_buffer.hpp"
#include "servers/pop3/pop3_command.hpp"
#include "servers/pop3/pop3_text.hpp"

namespace {

using namespace mailflow::pop3;

void check_command(const Command& c) {
  (void)verb_name(c.verb);
  if (c.error != CommandError::None) return;
  if (c.verb == Verb::Unknown) std::abort();
  for (const auto& a : c.arguments) {
    if (a.empty() || a.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) std::abort();
  }
  bool numeric = c.verb == Verb::Retr || c.verb == Verb::Dele || c.verb == Verb::Top ||
                 ((c.verb == Verb::List || c.verb == Verb::Uidl) && !c.arguments.empty());
  if (numeric && !parse_number(c.arguments.front())) std::abort();
  if (c.verb == Verb::Top && (c.arguments.size() != 2 || !parse_number(c.arguments[1]))) std::abort();
}

void check_stuffed(std::string_view input, const std::string& wire) {
  if (wire.size() < 3 || wire.compare(wire.size() - 3, 3, ".\r\n") != 0) std::abort();
  std::string unstuffed;
  std::size_t start = 0;
  while (true) {
    auto end = wire.find('\n', start);
    if (end == std::string::npos || end == start || wire[end - 1] != '\r') std::abort();
    std::string_view line = std::string_view(wire).substr(start, end - 1 - start);
    start = end + 1;
    if (line == ".") break;
    if (!line.empty() && line.front() == '.') line.remove_prefix(1);
    unstuffed.append(line).append("\n");
  }
  if (start != wire.size()) std::abort();  // nothing after the terminator
  // The input's lines with every line end made LF (a CR before LF is part of the ending).
  std::string expected;
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\r' && i + 1 < input.size() && input[i + 1] == '\n') continue;
    expected += input[i];
  }
  if (!expected.empty() && expected.back() != '\n') expected += '\n';
  if (unstuffed != expected) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  mailflow::net::LineBuffer lines(255);
  lines.append(input);
  lines.append("\r\n");
  for (;;) {
    auto next = lines.next_line();
    if (next.status == mailflow::net::LineBuffer::Status::NeedMore) break;
    if (next.status == mailflow::net::LineBuffer::Status::TooLong) continue;
    check_command(parse_command(next.line));
  }
  check_stuffed(input, dot_stuff(input));
  std::string top = top_of(input, size % 7);
  if (top.size() > 2 * input.size() + 2) std::abort();  // a CRLF for each LF at most doubles it
  return 0;
}
