// Assembling commands with literals: see imap_command_reader.hpp.
#include "servers/imap/imap_command_reader.hpp"

#include "servers/imap/imap_string.hpp"
#include "sim/ascii.hpp"

namespace mailflow::imap {

LiteralMarker find_literal_marker(std::string_view line) {
  LiteralMarker marker;
  // Quoted strings cannot span lines and literals cannot sit inside them, so every line
  // starts outside quotes; a "{5}" inside a quoted string is text, not a marker.
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (quoted && line[i] == '\\') ++i;
    else if (line[i] == '"') quoted = !quoted;
  }
  if (quoted || line.empty() || line.back() != '}') return marker;
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return marker;
  std::string_view inside = line.substr(open + 1, line.size() - open - 2);
  if (!inside.empty() && inside.back() == '+') {
    marker.synchronizing = false;
    inside.remove_suffix(1);
  }
  if (inside.empty()) return marker;
  for (char c : inside) {
    if (c < '0' || c > '9') return marker;  // not a literal: the parser answers BAD
    // Saturate: twenty digits must not wrap around to a small size.
    marker.size = marker.size > 0xFFFFFFFFull ? marker.size : marker.size * 10 + static_cast<std::uint64_t>(c - '0');
  }
  marker.present = true;
  marker.valid = marker.size <= 0xFFFFFFFFull;  // RFC 3501 §9: number is 32 bits
  return marker;
}

bool is_idle_done(std::string_view line) { return sim::ascii_iequals(line, "DONE"); }

void CommandReader::reset() {
  text_.clear();
  tag_.clear();
  literal_left_ = 0;
  counted_bytes_ = 0;
  message_literal_seen_ = false;
  first_line_ = true;
}

bool CommandReader::is_append() const {
  auto space = text_.find(' ');
  if (space == std::string::npos) return false;
  auto name = std::string_view(text_).substr(space + 1, 7);
  return sim::ascii_iequals(name.substr(0, 6), "APPEND") && (name.size() == 6 || name[6] == ' ');
}

CommandReader::Step CommandReader::add_line(std::string_view line) {
  Step step;
  if (first_line_) {
    std::size_t end = 0;
    while (end < line.size() && end < 64 && is_atom_char(line[end]) && line[end] != '+') ++end;
    tag_ = std::string(line.substr(0, end));
    first_line_ = false;
  }
  if (line.size() > limits_.line_length) {
    step.kind = Step::Kind::LineTooLong;
    return step;
  }
  counted_bytes_ += line.size() + 2;
  if (counted_bytes_ > limits_.max_command_bytes) {
    step.kind = Step::Kind::CommandTooLarge;
    return step;
  }
  text_.append(line);
  auto marker = find_literal_marker(line);
  if (!marker.present) return step;  // Complete
  std::uint64_t limit = is_append() ? limits_.max_append_bytes : limits_.max_literal_bytes;
  if (!marker.valid || marker.size > limit) {
    step.kind = Step::Kind::LiteralTooLarge;
    step.literal_size = marker.size;
    step.must_close = !marker.synchronizing;
    return step;
  }
  // The APPEND message (one literal, RFC 3501 §6.3.11) is bounded by its own limit; every
  // other literal counts against max_command_bytes, so a second large one is refused.
  if (is_append() && marker.size > limits_.max_literal_bytes && !message_literal_seen_) {
    message_literal_seen_ = true;
  } else {
    counted_bytes_ += marker.size;
  }
  if (counted_bytes_ > limits_.max_command_bytes) {
    step.kind = Step::Kind::CommandTooLarge;
    step.literal_size = marker.size;
    step.must_close = !marker.synchronizing;
    return step;
  }
  text_ += "\r\n";
  literal_left_ = marker.size;
  step.kind = literal_left_ == 0 ? Step::Kind::NeedLine : Step::Kind::NeedLiteral;
  step.literal_size = literal_left_;
  step.synchronizing = marker.synchronizing;
  return step;
}

CommandReader::Step CommandReader::add_literal(std::string_view bytes) {
  Step step;
  auto take = bytes.size() < literal_left_ ? bytes.size() : static_cast<std::size_t>(literal_left_);
  text_.append(bytes.substr(0, take));
  literal_left_ -= take;
  step.kind = literal_left_ == 0 ? Step::Kind::NeedLine : Step::Kind::NeedLiteral;
  step.literal_size = literal_left_;
  return step;
}

}  // namespace mailflow::imap
