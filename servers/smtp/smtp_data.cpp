// DataReader and dot_stuff: see smtp_data.hpp.
#include "servers/smtp/smtp_data.hpp"

namespace mailflow::smtp {

DataReader::DataReader(std::size_t max_message_bytes, std::size_t max_line)
    : max_message_bytes_(max_message_bytes), max_line_(max_line) {}

std::size_t DataReader::feed(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && !done_) {
    char c = bytes[i];
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        ++i;
        end_line(true);
      } else {
        // RFC 5321 §2.3.8: a CR not followed by LF is not a line ending. Stored as one
        // (flagged), and c is read again as the first byte of the next line.
        bare_newline_ = true;
        end_line(false);
      }
      continue;
    }
    if (c == '\r') {
      pending_cr_ = true;
      ++i;
      continue;
    }
    if (c == '\n') {
      bare_newline_ = true;  // LF without CR
      ++i;
      end_line(false);
      continue;
    }
    if (at_line_start_ && c == '.') {
      // Hold the dot: it is either the end of data, a stuffed dot, or a lone "." line.
      held_dot_ = true;
      at_line_start_ = false;
      ++line_octets_;
      ++i;
      continue;
    }
    // RFC 5321 §4.5.2: a line that starts with "." and has more characters loses the
    // first "." (held_dot_ is simply not stored).
    held_dot_ = false;
    at_line_start_ = false;
    auto end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) end = bytes.size();
    auto run = bytes.substr(i, end - i);
    line_octets_ += run.size();
    if (line_octets_ + 2 > max_line_) line_too_long_ = true;  // §4.5.3.1.6
    store(run);
    i = end;
  }
  octets_ += i;
  return i;
}

void DataReader::end_line(bool crlf) {
  // RFC 5321 §4.1.1.4: <CRLF>.<CRLF> — the dot line must end in CRLF and follow a CRLF.
  if (held_dot_ && crlf && previous_crlf_) {
    done_ = true;
    return;
  }
  if (held_dot_) store(".");  // a lone "." that does not end the data
  store("\r\n");
  // The line's octets with its ending; a bare ending counts as the CRLF it becomes.
  if (line_octets_ + 2 > max_line_) line_too_long_ = true;  // §4.5.3.1.6
  previous_crlf_ = crlf;
  at_line_start_ = true;
  held_dot_ = false;
  line_octets_ = 0;
}

void DataReader::store(std::string_view text) {
  if (too_big_) return;
  // RFC 1870 §6: past the limit, read on to the end but keep nothing more.
  if (text.size() > max_message_bytes_ - message_.size()) {
    // Drop what was stored too: the message will be refused, and what is kept must not
    // depend on how the bytes were chunked.
    too_big_ = true;
    std::string().swap(message_);
    return;
  }
  message_.append(text);
}

std::string DataReader::take_message() {
  std::string out = std::move(message_);
  message_.clear();
  return out;
}

void DataReader::reset() {
  *this = DataReader(max_message_bytes_, max_line_);
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\r' || c == '\n') {
      // CRLF stays; a bare CR or bare LF becomes CRLF (RFC 5321 §2.3.8).
      if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out += '.';  // RFC 5321 §4.5.2
    line_start = false;
    out += c;
  }
  if (!message.empty() && !line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace mailflow::smtp
