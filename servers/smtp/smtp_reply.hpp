// SmtpReply: one SMTP reply (code, enhanced status code, text lines), its wire form, and
// ReplyParser, the client side's bounded parser for replies a remote server sends.
//
// RFC 5321 §4.2 (reply lines: "ddd-text" continues, "ddd text" or "ddd" ends, every line
// of one reply carries the same code), §4.2.1 (code classes), §4.5.3.1.5 (reply line 512
// octets; we accept up to max_line because real servers send longer ones);
// RFC 2034 §3 / RFC 3463 §2 (enhanced status codes "class.subject.detail" at the start of
// every line's text). No I/O: the session splits lines (servers/net/line_buffer.hpp).
// Leaves out: interpreting the text (that is smtp_codes.hpp's find_reply_spec).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::smtp {

struct SmtpReply {
  int code = 0;
  std::string enhanced;            // "5.1.1", or empty when the reply has none
  std::vector<std::string> lines;  // texts without the code or the enhanced code

  // Wire form: "250-first\r\n250 last\r\n"; with an enhanced code every line carries it
  // (RFC 2034 §3): "550 5.1.1 text\r\n". CR and LF inside a text become spaces, so a text
  // built from client input can never add a reply line.
  std::string format() const;
  // The lines joined with " ".
  std::string text() const;
  // "550 5.1.1 text" on one line, for events and logs.
  std::string summary() const;
  // RFC 5321 §4.2.1: 2yz completion and 3yz intermediate are positive.
  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }  // 4yz: try again later
  bool permanent() const { return code >= 500 && code < 600; }  // 5yz: do not retry
};

// True for "class.subject.detail" with class 2, 4 or 5, subject and detail 1 to 3 digits
// (RFC 3463 §2).
bool is_enhanced_status_code(std::string_view text);

class ReplyParser {
 public:
  // max_line: octets per line (without CRLF); max_lines: lines per reply.
  explicit ReplyParser(std::size_t max_line = 1000, std::size_t max_lines = 100);

  enum class Status { NeedMore, Complete, Malformed };
  // One line without its CRLF. After Complete, take() the reply; the next line starts a new
  // reply. After Malformed the parser stays Malformed until take() or reset(): the client
  // should give up on the connection (a peer that sends garbage is not resynchronised).
  Status feed_line(std::string_view line);
  // The completed reply (or what was gathered so far); resets the parser.
  SmtpReply take();
  void reset();
  // Why the reply was malformed; empty otherwise.
  std::string error() const { return error_; }

 private:
  Status fail(std::string why);

  std::size_t max_line_;
  std::size_t max_lines_;
  SmtpReply reply_;
  Status status_ = Status::NeedMore;
  std::string error_;
};

}  // namespace mailflow::smtp
