// Fuzz target: the MIME parser and everything IMAP computes from it. The input is one
// message; it is parsed with the default limits and with tight ones, then BODY,
// BODYSTRUCTURE and ENVELOPE are formatted and every section of every part is cut out.
// Invariants: no crash; every part's offsets are ordered and inside its parent's body;
// no more parts than the limit allows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "servers/imap/imap_body.hpp"
#include "servers/imap/imap_section.hpp"
#include "sim/mime.hpp"

namespace {

using mailflow::imap::Section;
using mailflow::sim::mime::Part;

std::size_t check_part(const Part& part, std::size_t begin, std::size_t end) {
  if (!(begin <= part.header_begin && part.header_begin <= part.header_end && part.header_end == part.body_begin &&
        part.body_begin <= part.body_end && part.body_end <= end)) {
    std::abort();
  }
  if (part.is_message() && part.children.size() > 1) std::abort();
  std::size_t parts = 1;
  for (const auto& child : part.children) parts += check_part(child, part.body_begin, part.body_end);
  return parts;
}

void cut_sections(const Part& message, const Part& part, std::string_view text, Section& section, int depth) {
  using T = Section::Text;
  for (T kind : {T::None, T::Header, T::HeaderFields, T::HeaderFieldsNot, T::Text, T::Mime}) {
    section.text = kind;
    section.fields = {"From", "content-type"};
    (void)mailflow::imap::section_text(message, text, section);
  }
  section.text = T::None;
  if (depth > 6) return;
  for (std::uint32_t n = 1; n <= part.children.size() + 1 && n <= 4; ++n) {
    section.part.push_back(n);
    const Part& next = n <= part.children.size() ? part.children[n - 1] : part;
    cut_sections(message, next, text, section, depth + 1);
    section.part.pop_back();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mailflow::sim::mime::MimeLimits tight;
  tight.max_depth = 4;
  tight.max_parts = 12;
  tight.max_fields_per_part = 8;
  for (const auto& limits : {mailflow::sim::mime::MimeLimits{}, tight}) {
    auto message = mailflow::sim::mime::parse_message(text, limits);
    if (check_part(message, 0, text.size()) > limits.max_parts + 1) std::abort();
    auto structure = mailflow::imap::format_body_structure(message, true);
    auto body = mailflow::imap::format_body_structure(message, false);
    if (structure.empty() || body.empty() || structure.front() != '(' || structure.back() != ')') std::abort();
    (void)mailflow::imap::format_envelope(message.fields);
    Section section;
    cut_sections(message, message, text, section, 0);
  }
  return 0;
}
