// BODY[section] extraction: see imap_section.hpp.
#include "servers/imap/imap_section.hpp"

#include <algorithm>

#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using sim::mime::Part;

// RFC 3501 §6.4.5: part n of an entity. A message's parts are its multipart children,
// or it is itself part 1; a message/rfc822 part's are those of the message inside.
const Part* child(const Part& entity, std::uint32_t n) {
  const Part* e = &entity;
  if (e->is_message() && !e->children.empty()) {
    e = &e->children.front();
    if (!e->is_multipart()) return n == 1 ? e : nullptr;
  }
  if (!e->is_multipart()) return nullptr;
  return n >= 1 && n <= e->children.size() ? &e->children[n - 1] : nullptr;
}

const Part* find_part(const Part& message, const std::vector<std::uint32_t>& numbers) {
  const Part* at = &message;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (i == 0 && !message.is_multipart()) {
      at = numbers[0] == 1 ? &message : nullptr;  // a single-part message is part 1
    } else {
      at = child(*at, numbers[i]);
    }
    if (at == nullptr) return nullptr;
  }
  return at;
}

// The message whose header and text HEADER / TEXT / HEADER.FIELDS name.
const Part* message_for(const Part& message, const Section& section) {
  if (section.part.empty()) return &message;
  const Part* at = find_part(message, section.part);
  if (at == nullptr || !at->is_message() || at->children.empty()) return nullptr;
  return &at->children.front();
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return sim::ascii_iequals(n, name); });
}

}  // namespace

std::string format_section(const Section& section) {
  std::string out;
  for (auto n : section.part) {
    if (!out.empty()) out += '.';
    out += std::to_string(n);
  }
  auto add = [&](std::string_view word) {
    if (!out.empty()) out += '.';
    out += word;
  };
  switch (section.text) {
    case Section::Text::None: break;
    case Section::Text::Header: add("HEADER"); break;
    case Section::Text::Text: add("TEXT"); break;
    case Section::Text::Mime: add("MIME"); break;
    case Section::Text::HeaderFields:
    case Section::Text::HeaderFieldsNot: {
      add(section.text == Section::Text::HeaderFields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (");
      // Upper case, as clients most often write them and as Dovecot echoes them.
      for (std::size_t i = 0; i < section.fields.size(); ++i) out += (i ? " " : "") + sim::upper_ascii(section.fields[i]);
      out += ')';
      break;
    }
  }
  return out;
}

std::optional<std::string_view> section_bytes(const Part& message, std::string_view text, const Section& section) {
  auto span = [&](std::size_t begin, std::size_t end) { return text.substr(begin, end - begin); };
  switch (section.text) {
    case Section::Text::None: {
      if (section.part.empty()) return text;
      const Part* at = find_part(message, section.part);
      if (at == nullptr) return std::nullopt;
      return span(at->body_begin, at->body_end);
    }
    case Section::Text::Mime: {
      const Part* at = section.part.empty() ? nullptr : find_part(message, section.part);
      if (at == nullptr) return std::nullopt;
      return span(at->header_begin, at->header_end);
    }
    case Section::Text::Header:
    case Section::Text::Text: {
      const Part* inner = message_for(message, section);
      if (inner == nullptr) return std::nullopt;
      return section.text == Section::Text::Header ? span(inner->header_begin, inner->header_end)
                                                   : span(inner->body_begin, inner->body_end);
    }
    case Section::Text::HeaderFields:
    case Section::Text::HeaderFieldsNot: return std::nullopt;  // built by section_text
  }
  return std::nullopt;
}

std::optional<std::string> section_text(const Part& message, std::string_view text, const Section& section) {
  if (section.text != Section::Text::HeaderFields && section.text != Section::Text::HeaderFieldsNot) {
    auto bytes = section_bytes(message, text, section);
    return bytes ? std::optional<std::string>(*bytes) : std::nullopt;
  }
  const Part* inner = message_for(message, section);
  if (inner == nullptr) return std::nullopt;
  bool wanted_if_listed = section.text == Section::Text::HeaderFields;
  std::string out;
  for (const auto& field : inner->fields) {
    if (listed(section.fields, field.name) == wanted_if_listed) out += text.substr(field.begin, field.end - field.begin);
  }
  return out + "\r\n";
}

std::string_view apply_partial(std::string_view bytes, const std::optional<Partial>& partial) {
  if (!partial) return bytes;
  if (partial->origin >= bytes.size()) return {};
  return bytes.substr(partial->origin, partial->length);
}

}  // namespace mailflow::imap
