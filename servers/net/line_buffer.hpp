// LineBuffer: splits what a socket reads into protocol lines, for SMTP, POP3 and IMAP
// sessions. No I/O: the session appends the bytes it read and asks for lines; tests feed
// bytes in any chunking.
//
// RFC 5321 §2.3.8 (lines end in <CRLF>), §4.5.3.1.4 / §4.5.3.1.6 (bounded lines).
// A line that ends in a bare LF is returned with bare_lf set, so the session decides
// (most servers accept it on command lines; DATA bodies never use this class for the
// end-of-data decision — see servers/smtp/smtp_data.hpp). A CR that is not followed by LF
// stays inside the line; the command parsers reject it.
//
// Memory is bounded: an unfinished line is never kept beyond max_line octets (plus what
// one append() added). An overlong line is reported once as TooLong and its bytes are
// discarded through the next LF, so the session answers "500 5.5.2" and resynchronises.
// Leaves out: encodings, IMAP literals (the IMAP parser reads those through pending()).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailflow::net {

class LineBuffer {
 public:
  // max_line: the most octets a line may have, its line ending included.
  explicit LineBuffer(std::size_t max_line);

  // Adds what the socket read.
  void append(std::string_view bytes);

  enum class Status { Line, NeedMore, TooLong };
  struct Result {
    Status status = Status::NeedMore;
    std::string line;      // without the line ending
    bool bare_lf = false;  // the line ended in LF without CR
  };
  // The next complete line, NeedMore, or TooLong (once per overlong line).
  Result next_line();

  // Bytes not yet returned as lines (a DATA body or an IMAP literal reads these raw).
  std::string_view pending() const;
  void consume(std::size_t n);
  // STARTTLS: forget what the client pipelined in plaintext (RFC 3207 §4.2, CVE-2011-0411).
  void clear();
  std::size_t size() const;
  void set_max_line(std::size_t max_line);
  std::size_t max_line() const { return max_line_; }

 private:
  void compact();
  void drop_pending();

  std::string buffer_;
  std::size_t head_ = 0;         // first unconsumed byte of buffer_
  std::size_t max_line_;
  bool discarding_ = false;      // inside an overlong line: drop bytes through the next LF
};

}  // namespace mailflow::net
