// LineBuffer: see line_buffer.hpp.
#include "servers/net/line_buffer.hpp"

#include <algorithm>

namespace mailflow::net {

LineBuffer::LineBuffer(std::size_t max_line) : max_line_(std::max<std::size_t>(max_line, 2)) {}

void LineBuffer::append(std::string_view bytes) {
  compact();
  buffer_.append(bytes);
}

LineBuffer::Result LineBuffer::next_line() {
  for (;;) {
    std::string_view rest = pending();
    auto lf = rest.find('\n');
    if (discarding_) {
      // Still inside an overlong line that was already reported: skip through its LF.
      if (lf == std::string_view::npos) {
        drop_pending();
        return {};
      }
      head_ += lf + 1;
      discarding_ = false;
      continue;
    }
    if (lf == std::string_view::npos) {
      // RFC 5321 §4.5.3.1.4: an unfinished line already at max_line octets can only end
      // longer than allowed (its LF is still to come). Report it now and drop what we hold.
      if (rest.size() >= max_line_) {
        drop_pending();
        discarding_ = true;
        return {Status::TooLong, {}, false};
      }
      return {};
    }
    std::size_t octets = lf + 1;  // the line with its ending
    head_ += octets;
    if (octets > max_line_) return {Status::TooLong, {}, false};
    bool crlf = lf > 0 && rest[lf - 1] == '\r';
    Result result{Status::Line, std::string(rest.substr(0, crlf ? lf - 1 : lf)), !crlf};
    return result;
  }
}

std::string_view LineBuffer::pending() const {
  return std::string_view(buffer_).substr(head_);
}

void LineBuffer::consume(std::size_t n) {
  head_ += std::min(n, buffer_.size() - head_);
}

void LineBuffer::clear() {
  drop_pending();
  discarding_ = false;  // the TLS stream starts a fresh line
}

void LineBuffer::drop_pending() {
  buffer_.clear();
  head_ = 0;
}

std::size_t LineBuffer::size() const { return buffer_.size() - head_; }

void LineBuffer::set_max_line(std::size_t max_line) { max_line_ = std::max<std::size_t>(max_line, 2); }

void LineBuffer::compact() {
  // Drop consumed bytes before growing, so the buffer holds only what is pending.
  if (head_ == 0) return;
  buffer_.erase(0, head_);
  head_ = 0;
}

}  // namespace mailflow::net
