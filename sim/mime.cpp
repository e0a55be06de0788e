// The MIME structure parser: see mime.hpp.
#include "sim/mime.hpp"

#include <algorithm>

#include "sim/ascii.hpp"

namespace mailflow::sim::mime {
namespace {

enum class Delimiter { None, Open, Close };

class Parser {
 public:
  Parser(std::string_view text, const MimeLimits& limits) : text_(text), limits_(limits) {}

  Part entity(std::size_t begin, std::size_t end, std::size_t depth, bool digest_child) {
    ++parts_;
    Part part;
    auto header = parse_header_section(text_, begin, end, limits_.max_fields_per_part);
    part.header_begin = begin;
    part.header_end = part.body_begin = header.end;
    part.body_end = end;
    part.truncated = header.truncated;
    part.fields = std::move(header.fields);
    if (digest_child) part.type = "message", part.subtype = "rfc822";  // RFC 2046 §5.1.5
    describe(part);
    if (part.type == "text" || part.is_message()) {
      part.lines = count_lines(text_.substr(part.body_begin, part.body_size()));
    }
    if (!part.is_multipart() && !part.is_message()) return part;
    if (depth >= limits_.max_depth || parts_ >= limits_.max_parts) {
      part.truncated = true;
      return part;
    }
    if (part.is_message()) {
      part.children.push_back(entity(part.body_begin, part.body_end, depth + 1, false));
    } else {
      split_multipart(part, depth);
    }
    return part;
  }

 private:
  // Fills the Content-* fields of a part from its header fields.
  void describe(Part& part) const {
    if (const auto* f = find_field(part.fields, "Content-Type")) {
      auto value = parse_structured_value(f->value);
      auto slash = value.token.find('/');
      // RFC 2045 §5.2: a syntactically invalid Content-Type means the default.
      if (slash != std::string::npos && slash > 0 && slash + 1 < value.token.size()) {
        part.type = value.token.substr(0, slash);
        part.subtype = value.token.substr(slash + 1);
        part.type_parameters = std::move(value.parameters);
        part.has_content_type = true;
        if (part.is_multipart()) part.boundary = find_parameter(part.type_parameters, "boundary").value_or("");
      }
    }
    if (const auto* f = find_field(part.fields, "Content-Transfer-Encoding")) part.encoding = strip_comments(f->value);
    if (const auto* f = find_field(part.fields, "Content-ID")) part.id = f->value;
    if (const auto* f = find_field(part.fields, "Content-Description")) part.description = f->value;
    if (const auto* f = find_field(part.fields, "Content-MD5")) part.md5 = f->value;
    if (const auto* f = find_field(part.fields, "Content-Location")) part.location = f->value;
    if (const auto* f = find_field(part.fields, "Content-Language")) part.languages = split_list(f->value);
    if (const auto* f = find_field(part.fields, "Content-Disposition")) {
      auto value = parse_structured_value(f->value);
      part.disposition = std::move(value.token);
      part.disposition_parameters = std::move(value.parameters);
    }
  }

  // RFC 2046 §5.1.1: a delimiter line is "--" boundary, a close delimiter adds "--";
  // both may be followed by transport padding (white space) only.
  Delimiter delimiter(std::string_view line, std::string_view boundary) const {
    if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-' ||
        line.compare(2, boundary.size(), boundary) != 0) {
      return Delimiter::None;
    }
    auto rest = line.substr(boundary.size() + 2);
    Delimiter kind = Delimiter::Open;
    if (rest.size() >= 2 && rest[0] == '-' && rest[1] == '-') {
      kind = Delimiter::Close;
      rest.remove_prefix(2);
    }
    for (char c : rest) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return Delimiter::None;
    }
    return kind;
  }

  void split_multipart(Part& part, std::size_t depth) {
    if (part.boundary.empty()) return;  // nothing can delimit a part: no parts
    bool digest = part.subtype == "digest";
    constexpr std::size_t kNone = std::string_view::npos;
    std::size_t part_start = kNone;  // kNone while in the preamble
    for (std::size_t pos = part.body_begin; pos < part.body_end;) {
      std::size_t next = line_end(text_, pos, part.body_end);
      auto kind = delimiter(text_.substr(pos, next - pos), part.boundary);
      if (kind != Delimiter::None) {
        if (part_start != kNone) {
          if (parts_ >= limits_.max_parts) {
            part.truncated = true;
            return;
          }
          part.children.push_back(entity(part_start, std::max(part_start, before_line_break(pos)), depth + 1, digest));
        }
        if (kind == Delimiter::Close) return;  // the rest is the epilogue
        part_start = next;
      }
      pos = next;
    }
    // No close delimiter: the last part runs to the end of the enclosing body.
    if (part_start != kNone && parts_ < limits_.max_parts) {
      part.children.push_back(entity(part_start, part.body_end, depth + 1, digest));
    }
  }

  // The CRLF (or LF) before a delimiter line belongs to the delimiter (RFC 2046 §5.1.1).
  std::size_t before_line_break(std::size_t pos) const {
    if (pos > 0 && text_[pos - 1] == '\n') --pos;
    if (pos > 0 && text_[pos - 1] == '\r') --pos;
    return pos;
  }

  std::string_view text_;
  const MimeLimits& limits_;
  std::size_t parts_ = 0;
};

}  // namespace

Part parse_message(std::string_view text, const MimeLimits& limits) {
  Parser parser(text, limits);
  return parser.entity(0, text.size(), 0, false);
}

std::size_t count_lines(std::string_view body) {
  auto lines = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
  return body.empty() || body.back() == '\n' ? lines : lines + 1;
}

}  // namespace mailflow::sim::mime
