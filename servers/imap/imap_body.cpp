// ENVELOPE, BODY and BODYSTRUCTURE: see imap_body.hpp.
#include "servers/imap/imap_body.hpp"

#include "servers/imap/imap_address.hpp"
#include "servers/imap/imap_string.hpp"
#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using sim::mime::HeaderField;
using sim::mime::Parameter;
using sim::mime::Part;

// RFC 3501 §9 nstring: NIL for an absent field or an empty value.
std::string nstring_or_nil(std::string_view value) { return value.empty() ? "NIL" : format_string(value); }

std::string field_nstring(const std::vector<HeaderField>& fields, std::string_view name) {
  const auto* field = sim::mime::find_field(fields, name);
  return field ? format_string(field->value) : "NIL";
}

std::string format_address_list(const std::vector<EnvelopeAddress>& addresses) {
  if (addresses.empty()) return "NIL";
  std::string out = "(";
  for (const auto& a : addresses) {
    out += "(" + format_nstring(a.name) + " " + format_nstring(a.route) + " " + format_nstring(a.mailbox) + " " +
           format_nstring(a.host) + ")";
  }
  return out + ")";
}

std::vector<EnvelopeAddress> addresses_of(const std::vector<HeaderField>& fields, std::string_view name) {
  const auto* field = sim::mime::find_field(fields, name);
  return field ? parse_address_list(field->value) : std::vector<EnvelopeAddress>{};
}

std::string format_parameters(const std::vector<Parameter>& parameters) {
  if (parameters.empty()) return "NIL";
  std::string out = "(";
  for (const auto& p : parameters) {
    if (out.size() > 1) out += ' ';
    out += format_string(sim::upper_ascii(p.name)) + " " + format_string(p.value);
  }
  return out + ")";
}

// body-fld-dsp, body-fld-lang, body-fld-loc: the extension data every part ends with.
std::string format_dsp_lang_loc(const Part& part) {
  std::string out = part.disposition.empty()
                        ? "NIL"
                        : "(" + format_string(sim::upper_ascii(part.disposition)) + " " +
                              format_parameters(part.disposition_parameters) + ")";
  if (part.languages.empty()) {
    out += " NIL";
  } else if (part.languages.size() == 1) {
    out += " " + format_string(part.languages[0]);
  } else {
    out += " (";
    for (std::size_t i = 0; i < part.languages.size(); ++i) out += (i ? " " : "") + format_string(part.languages[i]);
    out += ")";
  }
  return out + " " + nstring_or_nil(part.location);
}

std::string format_part(const Part& part, bool extensible);

// RFC 3501 §9 body-type-mpart needs at least one part; a multipart without any (no
// boundary, or a boundary that never appears) is shown with one empty text/plain part.
const Part& empty_text_part() {
  static const Part part;
  return part;
}

std::string format_multipart(const Part& part, bool extensible) {
  std::string out = "(";
  if (part.children.empty()) out += format_part(empty_text_part(), extensible);
  for (const auto& child : part.children) out += format_part(child, extensible);
  out += " " + format_string(sim::upper_ascii(part.subtype));
  if (extensible) out += " " + format_parameters(part.type_parameters) + " " + format_dsp_lang_loc(part);
  return out + ")";
}

std::string format_part(const Part& part, bool extensible) {
  if (part.is_multipart()) return format_multipart(part, extensible);
  std::string out = "(" + format_string(sim::upper_ascii(part.type)) + " " + format_string(sim::upper_ascii(part.subtype)) + " ";
  // RFC 2045 §5.2: text without a charset is US-ASCII; say so, as Dovecot does.
  bool default_charset = part.type == "text" && part.type_parameters.empty();
  out += default_charset ? "(\"CHARSET\" \"US-ASCII\")" : format_parameters(part.type_parameters);
  out += " " + nstring_or_nil(part.id) + " " + nstring_or_nil(part.description) + " ";
  out += format_string(part.encoding.empty() ? "7BIT" : sim::upper_ascii(part.encoding));
  out += " " + std::to_string(part.body_size());
  if (part.is_message()) {
    // A message past the nesting limit has no parsed child: show an empty one.
    const Part& inner = part.children.empty() ? empty_text_part() : part.children.front();
    out += " " + format_envelope(inner.fields) + " " + format_part(inner, extensible) + " " + std::to_string(part.lines);
  } else if (part.type == "text") {
    out += " " + std::to_string(part.lines);
  }
  if (extensible) out += " " + nstring_or_nil(part.md5) + " " + format_dsp_lang_loc(part);
  return out + ")";
}

}  // namespace

std::string format_envelope(const std::vector<HeaderField>& fields) {
  auto from = addresses_of(fields, "From");
  auto sender = addresses_of(fields, "Sender");
  auto reply_to = addresses_of(fields, "Reply-To");
  // RFC 3501 §7.4.2: absent or empty Sender / Reply-To take the value of From.
  if (sender.empty()) sender = from;
  if (reply_to.empty()) reply_to = from;
  std::string out = "(" + field_nstring(fields, "Date") + " " + field_nstring(fields, "Subject");
  for (const auto* list : {&from, &sender, &reply_to}) out += " " + format_address_list(*list);
  for (std::string_view name : {"To", "Cc", "Bcc"}) out += " " + format_address_list(addresses_of(fields, name));
  out += " " + field_nstring(fields, "In-Reply-To") + " " + field_nstring(fields, "Message-ID");
  return out + ")";
}

std::string format_body_structure(const Part& message, bool extensible) { return format_part(message, extensible); }

}  // namespace mailflow::imap
