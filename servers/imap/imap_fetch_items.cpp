// FETCH data items: see imap_fetch_items.hpp.
#include "servers/imap/imap_fetch_items.hpp"

#include <array>
#include <utility>

#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using Kind = FetchItem::Kind;

constexpr std::array<std::pair<std::string_view, Kind>, 10> kSimpleItems{{
    {"ENVELOPE", Kind::Envelope}, {"FLAGS", Kind::Flags}, {"INTERNALDATE", Kind::InternalDate},
    {"RFC822", Kind::Rfc822}, {"RFC822.HEADER", Kind::Rfc822Header}, {"RFC822.SIZE", Kind::Rfc822Size},
    {"RFC822.TEXT", Kind::Rfc822Text}, {"BODY", Kind::Body}, {"BODYSTRUCTURE", Kind::BodyStructure},
    {"UID", Kind::Uid},
}};

std::vector<FetchItem> macro(std::string_view name) {
  // RFC 3501 §6.4.5: ALL = FLAGS INTERNALDATE RFC822.SIZE ENVELOPE, FAST = the first
  // three, FULL = ALL and BODY.
  std::vector<FetchItem> items{{Kind::Flags}, {Kind::InternalDate}, {Kind::Rfc822Size}};
  if (sim::ascii_iequals(name, "FAST")) return items;
  items.push_back({Kind::Envelope});
  if (sim::ascii_iequals(name, "FULL")) items.push_back({Kind::Body});
  return items;
}

// section-part and section-text, after "[" (the "]" is left for the caller).
bool parse_section(ImapScanner& in, Section& section) {
  while (!in.peek_is(']') && in.ok()) {
    if (in.peek() >= '1' && in.peek() <= '9') {
      auto n = in.number();
      if (!n) return false;
      section.part.push_back(*n);
      if (!in.accept('.')) break;
      if (in.peek_is(']')) return in.fail("Section ends in \".\"");
      continue;
    }
    auto word = in.word();
    if (!word) return false;
    std::string name = sim::upper_ascii(*word);
    if (name == "HEADER") {
      section.text = Section::Text::Header;
    } else if (name == "TEXT") {
      section.text = Section::Text::Text;
    } else if (name == "MIME" && !section.part.empty()) {
      section.text = Section::Text::Mime;  // MIME only after a part number
    } else if (name == "HEADER.FIELDS" || name == "HEADER.FIELDS.NOT") {
      section.text = name == "HEADER.FIELDS" ? Section::Text::HeaderFields : Section::Text::HeaderFieldsNot;
      if (!in.space() || !in.open_list()) return false;
      do {
        auto field = in.astring();
        if (!field) return false;
        section.fields.push_back(std::move(*field));
      } while (in.accept(' '));
      if (!in.close_list()) return false;
    } else {
      return in.fail("Unknown section " + *word);
    }
    break;
  }
  return in.ok();
}

bool parse_partial(ImapScanner& in, std::optional<Partial>& partial) {
  if (!in.accept('<')) return in.ok();
  auto origin = in.number();
  if (!in.expect('.', "\".\" in a partial")) return false;
  auto length = in.number();
  if (!length || *length == 0) return in.fail("Partial length must be a non-zero number");
  if (!in.expect('>', "\">\"")) return false;
  partial = Partial{*origin, *length};
  return true;
}

bool parse_item(ImapScanner& in, std::vector<FetchItem>& items) {
  auto word = in.word();
  if (!word) return false;
  std::string name = sim::upper_ascii(*word);
  if (in.peek_is('[')) {
    FetchItem item;
    if (name == "BODY" || name == "BODY.PEEK") {
      item.kind = Kind::BodySection;
    } else if (name == "BINARY" || name == "BINARY.PEEK") {
      item.kind = Kind::BinarySection;
    } else if (name == "BINARY.SIZE") {
      item.kind = Kind::BinarySize;
    } else {
      return in.fail("Unknown FETCH item " + *word);
    }
    item.peek = name.ends_with(".PEEK");
    in.accept('[');
    if (!parse_section(in, item.section) || !in.expect(']', "\"]\"")) return false;
    if (item.kind != Kind::BodySection && (item.section.text != Section::Text::None)) {
      return in.fail("BINARY takes part numbers only");  // RFC 3516 §4.1
    }
    if (item.kind != Kind::BinarySize && !parse_partial(in, item.partial)) return false;
    items.push_back(std::move(item));
    return true;
  }
  for (const auto& [simple, kind] : kSimpleItems) {
    if (name == simple) {
      items.push_back(FetchItem{kind});
      return true;
    }
  }
  return in.fail("Unknown FETCH item " + *word);
}

}  // namespace

bool FetchItem::sets_seen() const {
  if (kind == Kind::BodySection || kind == Kind::BinarySection) return !peek;
  return kind == Kind::Rfc822 || kind == Kind::Rfc822Text;
}

std::string FetchItem::response_name() const {
  switch (kind) {
    case Kind::BodySection:
    case Kind::BinarySection: {
      std::string out = (kind == Kind::BodySection ? "BODY[" : "BINARY[") + format_section(section) + "]";
      if (partial) out += "<" + std::to_string(partial->origin) + ">";
      return out;
    }
    case Kind::BinarySize: return "BINARY.SIZE[" + format_section(section) + "]";
    default: break;
  }
  for (const auto& [simple, k] : kSimpleItems) {
    if (k == kind) return std::string(simple);
  }
  return "";
}

bool parse_fetch_items(ImapScanner& in, std::vector<FetchItem>& items) {
  if (in.peek_is('(')) {
    if (!in.open_list()) return false;
    do {
      if (!parse_item(in, items)) return false;
    } while (in.accept(' '));
    return in.close_list();
  }
  auto start = in.position();
  auto word = in.word();
  if (!word) return false;
  for (std::string_view m : {"ALL", "FAST", "FULL"}) {
    if (sim::ascii_iequals(*word, m)) {
      items = macro(m);
      return true;
    }
  }
  in.rewind(start);  // a single item without parentheses
  return parse_item(in, items);
}

}  // namespace mailflow::imap
