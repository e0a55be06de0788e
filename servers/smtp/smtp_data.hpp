// The DATA body: DataReader (server side) collects the lines after "354" until the
// end-of-data line, undoing dot-stuffing; dot_stuff (client side) prepares a message for
// sending.
//
// RFC 5321 §4.1.1.4 (the mail data ends with <CRLF>.<CRLF>), §4.5.2 (transparency: a
// leading "." is doubled by the sender and removed by the receiver), §2.3.8 (lines end in
// CRLF; bare CR and bare LF are not line endings), §4.5.3.1.6 (text line 1000 octets),
// RFC 1870 (message size limit).
//
// SMTP smuggling (CVE-2023-51764/5/6): only <CRLF>.<CRLF> ends the data. "\n.\n",
// "\r.\r", "\n.\r\n" and "\r\n.\n" are ordinary text. A bare CR or bare LF is stored as
// CRLF and reported through bare_newline(), so the server may refuse the message
// (550 5.5.2) and never passes a stray CR or LF to the store or the next hop.
// The message's first line counts as following a CRLF (DATA's own line ended with one).
// Leaves out: BDAT/CHUNKING (RFC 3030), header parsing (message_headers.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailflow::smtp {

class DataReader {
 public:
  DataReader(std::size_t max_message_bytes, std::size_t max_line);

  // Reads the body. Returns how many bytes it consumed: it stops right after the
  // terminating <CRLF>.<CRLF>, so the caller keeps the rest for pipelined commands.
  // After done() it consumes nothing.
  std::size_t feed(std::string_view bytes);
  bool done() const { return done_; }

  // The unstuffed message with CRLF line endings, without the terminating ".\r\n".
  const std::string& message() const { return message_; }
  std::string take_message();

  // Past max_message_bytes: the reader drops what it stored, keeps reading to the end and
  // stores nothing more (the server answers 552 5.3.4 after the dot); message() is empty.
  bool too_big() const { return too_big_; }
  // A line was longer than max_line octets with its CRLF (500 5.5.2 after the dot).
  bool line_too_long() const { return line_too_long_; }
  // A bare LF or bare CR was seen (and stored as CRLF).
  bool bare_newline() const { return bare_newline_; }
  // Every byte consumed so far, terminator included.
  std::size_t octets_received() const { return octets_; }

  // Ready for the next message with the same limits.
  void reset();

 private:
  void end_line(bool crlf);
  void store(std::string_view text);

  std::size_t max_message_bytes_;
  std::size_t max_line_;
  std::string message_;
  std::size_t octets_ = 0;
  std::size_t line_octets_ = 0;  // octets of the current line, stuffing dot included, ending excluded
  bool previous_crlf_ = true;    // the previous line ended in CRLF (DATA's line did)
  bool at_line_start_ = true;
  bool held_dot_ = false;        // the line so far is a single "." not yet stored
  bool pending_cr_ = false;      // a CR arrived; the next byte decides CRLF or bare CR
  bool done_ = false;
  bool too_big_ = false;
  bool line_too_long_ = false;
  bool bare_newline_ = false;
};

// For the client: CRLF line endings (a bare LF or bare CR becomes CRLF), a leading "."
// doubled (RFC 5321 §4.5.2), a CRLF added when the message does not end with one, then
// ".\r\n". An empty message becomes just ".\r\n".
std::string dot_stuff(std::string_view message);

}  // namespace mailflow::smtp
