// CommandReader: assembles one IMAP command from the lines and literals a session reads,
// deciding before a single literal byte is read whether the literal is acceptable.
//
// RFC 3501 §4.3 and §7.5: a line ending in "{n}" announces a synchronizing literal; the
// server answers "+ ..." (command continuation request) and the client sends n octets,
// then the rest of the command line. RFC 7888: "{n+}" is non-synchronizing; the client
// sends the octets at once, without waiting. RELIABILITY.md: a literal past the limit gets
// NO/BAD instead of "+", and nothing is allocated from a client-declared size.
//
// How a session uses it (one command):
//
//   CommandReader reader(limits);
//   auto step = reader.add_line(read_line());      // a line without its CRLF
//   for (;;) {
//     if (step.kind == Kind::NeedLiteral) {
//       if (step.synchronizing) write("+ Ready for literal data\r\n");
//       step = reader.add_literal(read_up_to(step.literal_size));  // chunks are fine
//     } else if (step.kind == Kind::NeedLine) {
//       step = reader.add_line(read_line());         // the rest of the command line
//     } else {
//       break;
//     }
//   }
//   switch (step.kind) {
//     case Kind::Complete: auto parsed = parse_command(reader.text(), limits); ...
//     case Kind::LiteralTooLarge, Kind::CommandTooLarge:
//       write(reader.tag() + " NO [TOOBIG] ..."); when step.must_close (a refused
//       non-synchronizing literal is already on its way) write "* BYE" and close
//       instead of reading it.
//     case Kind::LineTooLong: "* BAD" (or tagged when reader.tag() is known); drop it.
//   }
//   reader.reset();
//
// add_literal accepts partial chunks: it answers NeedLiteral with the octets still
// missing until the literal is complete, then NeedLine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "servers/imap/imap_limits.hpp"

namespace mailflow::imap {

class CommandReader {
 public:
  struct Step {
    enum class Kind {
      Complete,         // text() holds the whole command: parse it
      NeedLiteral,      // read literal_size more octets and pass them to add_literal
      NeedLine,         // the literal is complete: read the next line and pass it to add_line
      LineTooLong,      // a line exceeded ImapLimits::line_length
      LiteralTooLarge,  // the announced literal exceeds the limit for this command
      CommandTooLarge,  // lines and literals together exceed ImapLimits::max_command_bytes
    };
    Kind kind = Kind::Complete;
    std::uint64_t literal_size = 0;  // NeedLiteral: octets still to read; TooLarge: announced size
    bool synchronizing = false;      // NeedLiteral (first chunk): send the "+" continuation first
    bool must_close = false;         // a refused "{n+}" literal is already on the wire
  };

  explicit CommandReader(const ImapLimits& limits) : limits_(limits) {}

  Step add_line(std::string_view line);
  Step add_literal(std::string_view bytes);

  // The command so far: lines joined by CRLF, each literal right after its marker.
  const std::string& text() const { return text_; }
  // The command's tag as far as it can be told from the first line ("" when none), for
  // the tagged NO/BAD of a refused command.
  std::string_view tag() const { return tag_; }
  void reset();

 private:
  // RFC 3501 §6.3.11: APPEND's message literal may be as large as max_append_bytes.
  bool is_append() const;

  const ImapLimits& limits_;
  std::string text_;
  std::string tag_;
  std::uint64_t literal_left_ = 0;
  std::size_t counted_bytes_ = 0;  // lines and literals against max_command_bytes
  bool message_literal_seen_ = false;  // APPEND's one literal that max_append_bytes bounds
  bool first_line_ = true;
};

// The literal marker a line ends with, outside any quoted string: "{12}" or "{12+}".
struct LiteralMarker {
  bool present = false;  // "{digits}" or "{digits+}" ends the line
  bool valid = false;    // and the digits fit in 32 bits (RFC 3501 number)
  std::uint64_t size = 0;
  bool synchronizing = true;
};
LiteralMarker find_literal_marker(std::string_view line);

// RFC 2177: the line that ends IDLE ("DONE", any case).
bool is_idle_done(std::string_view line);

}  // namespace mailflow::imap
