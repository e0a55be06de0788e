// Header sections and structured MIME values: see mime_header.hpp.
#include "sim/mime_header.hpp"

#include <algorithm>
#include <map>

#include "sim/ascii.hpp"

namespace mailflow::sim::mime {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }
bool is_space(char c) { return is_wsp(c) || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}


bool is_empty_line(std::string_view line) { return line == "\n" || line == "\r\n" || line.empty(); }

// RFC 5322 §2.2: field-name = 1*ftext (printable US-ASCII except ":"); obsolete syntax
// (§4.5.8) allows white space before the colon. Returns the name length, or 0.
std::size_t field_name_length(std::string_view line, std::size_t& colon) {
  std::size_t i = 0;
  while (i < line.size() && line[i] > 32 && line[i] < 127 && line[i] != ':') ++i;
  std::size_t name = i;
  while (i < line.size() && is_wsp(line[i])) ++i;
  if (name == 0 || i >= line.size() || line[i] != ':') return 0;
  colon = i;
  return name;
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') out += c;
  }
  return std::string(trim(out));
}

// A tiny cursor over a structured value; comments count as white space (RFC 5322 §3.2.2).
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i >= s.size(); }
  void skip_comment() {
    int depth = 0;
    for (; i < s.size(); ++i) {
      if (s[i] == '\\') { ++i; continue; }
      if (s[i] == '(') ++depth;
      if (s[i] == ')' && --depth == 0) { ++i; return; }
    }
  }
  void skip_cfws() {
    while (i < s.size()) {
      if (is_space(s[i])) ++i;
      else if (s[i] == '(') skip_comment();
      else break;
    }
  }
  std::string quoted() {  // at '"'
    std::string out;
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i];
    }
    if (i < s.size()) ++i;
    return out;
  }
  std::string_view until_any(std::string_view stops) {
    std::size_t start = i;
    while (i < s.size() && stops.find(s[i]) == std::string_view::npos && !is_space(s[i])) ++i;
    return s.substr(start, i - start);
  }
  void skip_past_semicolon() {
    while (i < s.size() && s[i] != ';') {
      if (s[i] == '"') quoted();
      else if (s[i] == '(') skip_comment();
      else ++i;
    }
  }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 2231 §4: the first extended segment starts with charset'language'.
std::string_view drop_charset_prefix(std::string_view v) {
  auto first = v.find('\'');
  if (first == std::string_view::npos) return v;
  auto second = v.find('\'', first + 1);
  return second == std::string_view::npos ? v : v.substr(second + 1);
}

}  // namespace

std::size_t line_end(std::string_view text, std::size_t pos, std::size_t limit) {
  auto lf = text.substr(0, limit).find('\n', pos);  // never past limit: keeps every scan linear
  return lf == std::string_view::npos ? limit : lf + 1;
}

HeaderSection parse_header_section(std::string_view text, std::size_t begin, std::size_t limit,
                                   std::size_t max_fields) {
  HeaderSection section;
  limit = std::min(limit, text.size());
  std::size_t pos = std::min(begin, limit);
  std::size_t kept_fields = 0;
  bool in_field = false;  // the last line started or continued a field
  while (pos < limit) {
    std::size_t next = line_end(text, pos, limit);
    std::string_view line = text.substr(pos, next - pos);
    if (is_empty_line(line)) {
      pos = next;  // the empty line belongs to the header section
      break;
    }
    std::size_t colon = 0;
    if (is_wsp(line.front()) && in_field) {
      // RFC 5322 §2.2.3: a continuation line of the field before.
      if (kept_fields <= max_fields && !section.fields.empty() && section.fields.back().end == pos) {
        section.fields.back().end = next;
      }
    } else if (std::size_t name = field_name_length(line, colon); name > 0) {
      in_field = true;
      if (++kept_fields <= max_fields) {
        section.fields.push_back(HeaderField{std::string(line.substr(0, name)), {}, pos, next});
      } else {
        section.truncated = true;
      }
    } else {
      break;  // neither a field nor a continuation: the body starts here
    }
    pos = next;
  }
  section.end = pos;
  for (auto& field : section.fields) {
    std::size_t colon = text.find(':', field.begin);
    field.value = unfold(text.substr(colon + 1, field.end - colon - 1));
  }
  return section;
}

const HeaderField* find_field(const std::vector<HeaderField>& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (ascii_iequals(field.name, name)) return &field;
  }
  return nullptr;
}

StructuredValue parse_structured_value(std::string_view value) {
  StructuredValue out;
  Cursor c{value};
  c.skip_cfws();
  out.token = lower_ascii(c.until_any(";("));
  for (;;) {
    c.skip_past_semicolon();
    if (c.done()) break;
    ++c.i;  // ';'
    c.skip_cfws();
    std::string name = lower_ascii(c.until_any(";=("));
    c.skip_cfws();
    if (name.empty() || c.done() || c.s[c.i] != '=') continue;
    ++c.i;
    c.skip_cfws();
    std::string v = !c.done() && c.s[c.i] == '"' ? c.quoted() : std::string(c.until_any(";("));
    out.parameters.push_back(Parameter{std::move(name), std::move(v)});
  }
  return out;
}

std::optional<std::string> find_parameter(const std::vector<Parameter>& parameters, std::string_view name) {
  std::map<unsigned, std::pair<std::string_view, bool>> segments;  // index -> value, extended
  std::optional<std::string> extended_whole;
  for (const auto& p : parameters) {
    if (p.name == name) return p.value;
    if (p.name.size() <= name.size() || p.name.compare(0, name.size(), name) != 0 || p.name[name.size()] != '*') {
      continue;
    }
    std::string_view rest = std::string_view(p.name).substr(name.size() + 1);
    if (rest.empty()) {  // "name*=charset'lang'value"
      extended_whole = percent_decode(drop_charset_prefix(p.value));
      continue;
    }
    bool extended = rest.back() == '*';
    if (extended) rest.remove_suffix(1);
    if (rest.empty() || rest.size() > 3 || !std::all_of(rest.begin(), rest.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      continue;
    }
    segments.emplace(static_cast<unsigned>(std::stoul(std::string(rest))), std::make_pair(std::string_view(p.value), extended));
  }
  if (extended_whole) return extended_whole;
  if (segments.empty()) return std::nullopt;
  std::string joined;
  for (const auto& [index, segment] : segments) {
    auto [v, extended] = segment;
    if (extended && index == 0) v = drop_charset_prefix(v);
    joined += extended ? percent_decode(v) : std::string(v);
  }
  return joined;
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> items;
  std::string cleaned = strip_comments(value);
  std::string_view rest = cleaned;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = trim(rest.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return items;
}

std::string strip_comments(std::string_view value) {
  std::string out;
  Cursor c{value};
  while (!c.done()) {
    char ch = c.s[c.i];
    if (ch == '(') {
      c.skip_comment();
      out += ' ';
    } else if (ch == '"') {
      std::size_t start = c.i;
      c.quoted();
      out += c.s.substr(start, c.i - start);
    } else {
      out += ch;
      ++c.i;
    }
  }
  return std::string(trim(out));
}

}  // namespace mailflow::sim::mime
