// Fuzz target: the SMTP command side. Each line of the input (split by LineBuffer, as the
// session does) goes through parse_command, the MAIL / RCPT path parsers with and without
// SMTPUTF8, and ReplyParser. Invariants: no crash; an accepted path has no CR, LF or NUL
// and a mailbox within 254 octets; a completed reply re-formats to lines the parser
// accepts again with the same code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "servers/net/line_buffer.hpp"
#include "servers/smtp/smtp_address.hpp"
#include "servers/smtp/smtp_command.hpp"
#include "servers/smtp/smtp_reply.hpp"

namespace {

using namespace mailflow::smtp;

void check_path(const PathResult& result) {
  if (result.path.has_value() != (result.error == PathError::None)) std::abort();
  if (!result.path) return;
  const auto& mailbox = result.path->mailbox;
  if (mailbox.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos || mailbox.size() > 254) std::abort();
  for (const auto& [keyword, value] : result.path->params) {
    if (keyword.empty() || value.find_first_of(std::string_view("\r\n\0 ", 4)) != std::string::npos) std::abort();
  }
  (void)size_param(*result.path);
}

void check_reply(const SmtpReply& reply) {
  ReplyParser again(100000, 100000);
  std::string wire = reply.format();
  ReplyParser::Status status = ReplyParser::Status::NeedMore;
  for (std::size_t start = 0; start < wire.size();) {
    auto end = wire.find("\r\n", start);
    if (end == std::string::npos) std::abort();  // format() always ends lines in CRLF
    status = again.feed_line(std::string_view(wire).substr(start, end - start));
    start = end + 2;
  }
  if (status != ReplyParser::Status::Complete || again.take().code != reply.code) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mailflow::net::LineBuffer lines(512);
  lines.append(std::string_view(reinterpret_cast<const char*>(data), size));
  lines.append("\r\n");
  ReplyParser replies(1000, 20);
  for (;;) {
    auto next = lines.next_line();
    if (next.status == mailflow::net::LineBuffer::Status::NeedMore) break;
    if (next.status == mailflow::net::LineBuffer::Status::TooLong) continue;
    auto command = parse_command(next.line);
    (void)verb_name(command.verb);
    for (bool utf8 : {false, true}) {
      check_path(parse_mail_from(command.argument, utf8));
      check_path(parse_rcpt_to(command.argument, utf8));
    }
    (void)is_valid_mailbox(command.argument, true);
    (void)domain_of(command.argument);
    switch (replies.feed_line(next.line)) {
      case ReplyParser::Status::Complete: check_reply(replies.take()); break;
      case ReplyParser::Status::Malformed: replies.reset(); break;
      case ReplyParser::Status::NeedMore: break;
    }
  }
  return 0;
}
