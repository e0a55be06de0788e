// SmtpReply and ReplyParser: see smtp_reply.hpp.
#include "servers/smtp/smtp_reply.hpp"

#include <algorithm>

namespace mailflow::smtp {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string one_line(std::string_view text) {
  std::string out(text);
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

// "2.1.5 rest" -> length of the enhanced code when the text starts with one followed by
// a space or the end of the text, else 0.
std::size_t enhanced_prefix(std::string_view text) {
  auto space = text.find(' ');
  auto candidate = text.substr(0, space);
  return is_enhanced_status_code(candidate) ? candidate.size() : 0;
}

}  // namespace

bool is_enhanced_status_code(std::string_view text) {
  // RFC 3463 §2: status-code = class "." subject "." detail; class = "2" / "4" / "5";
  // subject = 1*3digit; detail = 1*3digit.
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return false;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i]) && digits < 4) ++i, ++digits;
    if (digits == 0 || digits > 3) return false;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size();
}

std::string SmtpReply::format() const {
  std::string out;
  std::string code_text = std::to_string(code);
  std::size_t count = std::max<std::size_t>(lines.size(), 1);
  for (std::size_t i = 0; i < count; ++i) {
    std::string text = i < lines.size() ? one_line(lines[i]) : std::string();
    if (!enhanced.empty()) text = text.empty() ? enhanced : enhanced + " " + text;
    out += code_text;
    bool last = i + 1 == count;
    // RFC 5321 §4.2: Reply-code "-" [textstring] CRLF for all but the last line,
    // Reply-code [SP textstring] CRLF for the last.
    if (!last) {
      out += '-';
    } else if (!text.empty()) {
      out += ' ';
    }
    out += text;
    out += "\r\n";
  }
  return out;
}

std::string SmtpReply::text() const {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += ' ';
    out += one_line(line);
  }
  return out;
}

std::string SmtpReply::summary() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  auto t = text();
  if (!t.empty()) out += " " + t;
  return out;
}

ReplyParser::ReplyParser(std::size_t max_line, std::size_t max_lines) : max_line_(max_line), max_lines_(max_lines) {}

ReplyParser::Status ReplyParser::fail(std::string why) {
  status_ = Status::Malformed;
  error_ = std::move(why);
  return status_;
}

ReplyParser::Status ReplyParser::feed_line(std::string_view line) {
  if (status_ == Status::Malformed) return status_;
  if (status_ == Status::Complete) reset();
  // Remote replies are hostile too (RELIABILITY.md): bound the line and the line count.
  if (line.size() > max_line_) return fail("reply line longer than " + std::to_string(max_line_) + " octets");
  if (reply_.lines.size() >= max_lines_) return fail("reply longer than " + std::to_string(max_lines_) + " lines");
  if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return fail("reply line contains CR, LF or NUL");
  }
  // RFC 5321 §4.2.1: the first digit is 2 to 5, the second 0 to 5, the third any digit.
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || !is_digit(line[2])) {
    return fail("reply line does not start with a reply code");
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  bool last;
  if (line.size() == 3 || line[3] == ' ') {
    last = true;
  } else if (line[3] == '-') {
    last = false;
  } else {
    return fail("reply code not followed by space or hyphen");
  }
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (reply_.lines.empty()) {
    reply_.code = code;
    // RFC 3463 §2: the class of the enhanced code matches the class of the reply code;
    // a text that merely starts with something code-like in another class keeps it.
    if (auto n = enhanced_prefix(text); n > 0 && text[0] == line[0]) {
      reply_.enhanced = std::string(text.substr(0, n));
    }
  } else if (code != reply_.code) {
    return fail("reply lines carry different codes");
  }
  // RFC 2034 §3: each line of the reply carries the enhanced code; strip it where present.
  if (!reply_.enhanced.empty() && text.substr(0, reply_.enhanced.size()) == reply_.enhanced &&
      (text.size() == reply_.enhanced.size() || text[reply_.enhanced.size()] == ' ')) {
    text.remove_prefix(std::min(text.size(), reply_.enhanced.size() + 1));
  }
  reply_.lines.emplace_back(text);
  status_ = last ? Status::Complete : Status::NeedMore;
  return status_;
}

SmtpReply ReplyParser::take() {
  SmtpReply out = std::move(reply_);
  reset();
  return out;
}

void ReplyParser::reset() {
  reply_ = SmtpReply{};
  status_ = Status::NeedMore;
  error_.clear();
}

}  // namespace mailflow::smtp
