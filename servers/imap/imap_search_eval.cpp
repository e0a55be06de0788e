// SEARCH evaluation: see imap_search_eval.hpp.
#include "servers/imap/imap_search_eval.hpp"

#include <algorithm>

#include "servers/imap/imap_date.hpp"
#include "servers/imap/imap_search_text.hpp"
#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using Kind = SearchKey::Kind;

bool has_flag(const SearchMessage& m, std::string_view flag) {
  return std::any_of(m.flags.begin(), m.flags.end(), [&](const std::string& f) { return sim::ascii_iequals(f, flag); });
}

// The value as sent or as decoded (a client may search for either).
bool value_matches(std::string_view value, std::string_view needle) {
  return contains_ignoring_case(value, needle) ||
         (value.find("=?") != std::string_view::npos && contains_ignoring_case(decode_header_value(value), needle));
}

// Any field with this name whose unfolded value holds the string.
bool header_matches(const SearchMessage& m, std::string_view name, std::string_view needle) {
  if (m.mime == nullptr) return false;
  return std::any_of(m.mime->fields.begin(), m.mime->fields.end(), [&](const sim::mime::HeaderField& f) {
    return sim::ascii_iequals(f.name, name) && value_matches(f.value, needle);
  });
}

std::string_view body_of(const SearchMessage& m) {
  if (m.mime == nullptr) return m.text;
  return m.text.substr(std::min(m.mime->body_begin, m.text.size()));
}

bool is_plain_text(const sim::mime::Part& part) {
  const std::string encoding = sim::lower_ascii(sim::mime::strip_comments(part.encoding));
  const auto charset = sim::mime::find_parameter(part.type_parameters, "charset");
  const bool plain_charset = !charset || sim::ascii_iequals(*charset, "us-ascii") || sim::ascii_iequals(*charset, "utf-8");
  return plain_charset && encoding != "base64" && encoding != "quoted-printable";
}

// Text parts decoded, and encapsulated messages' header values; the raw bytes were
// searched already, so plain text parts need no second look.
bool decoded_body_matches(const sim::mime::Part& part, std::string_view text, std::string_view needle) {
  if (part.is_multipart() || part.is_message()) {
    return std::any_of(part.children.begin(), part.children.end(), [&](const sim::mime::Part& child) {
      const bool header = part.is_message() && std::any_of(child.fields.begin(), child.fields.end(), [&](const auto& f) {
                            return value_matches(f.value, needle);
                          });
      return header || decoded_body_matches(child, text, needle);
    });
  }
  if (part.type != "text" || is_plain_text(part)) return false;
  return contains_ignoring_case(decode_part_text(part, text), needle);
}

bool body_matches(const SearchMessage& m, std::string_view needle) {
  if (contains_ignoring_case(body_of(m), needle)) return true;
  return m.mime != nullptr && decoded_body_matches(*m.mime, m.text, needle);
}

bool text_matches(const SearchMessage& m, std::string_view needle) {
  if (contains_ignoring_case(m.text, needle)) return true;
  if (m.mime == nullptr) return false;
  const bool header = std::any_of(m.mime->fields.begin(), m.mime->fields.end(),
                                  [&](const sim::mime::HeaderField& f) { return value_matches(f.value, needle); });
  return header || decoded_body_matches(*m.mime, m.text, needle);
}

bool sent_day_matches(const SearchMessage& m, Kind kind, std::int64_t day) {
  const auto* date = m.mime ? sim::mime::find_field(m.mime->fields, "Date") : nullptr;
  auto sent = date ? rfc5322_day(date->value) : std::nullopt;
  if (!sent) return false;
  if (kind == Kind::SentBefore) return *sent < day;
  if (kind == Kind::SentOn) return *sent == day;
  return *sent >= day;
}

}  // namespace

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  // Knuth-Morris-Pratt over ASCII-folded octets.
  std::vector<std::size_t> fail(needle.size(), 0);
  for (std::size_t i = 1, k = 0; i < needle.size(); ++i) {
    while (k > 0 && sim::ascii_lower(needle[i]) != sim::ascii_lower(needle[k])) k = fail[k - 1];
    if (sim::ascii_lower(needle[i]) == sim::ascii_lower(needle[k])) ++k;
    fail[i] = k;
  }
  for (std::size_t i = 0, k = 0; i < haystack.size(); ++i) {
    while (k > 0 && sim::ascii_lower(haystack[i]) != sim::ascii_lower(needle[k])) k = fail[k - 1];
    if (sim::ascii_lower(haystack[i]) == sim::ascii_lower(needle[k])) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

MessageContent content_needed(const SearchKey& key) {
  switch (key.kind) {
    case Kind::And:
    case Kind::Not:
    case Kind::Or: {
      MessageContent need = MessageContent::None;
      for (const SearchKey& child : key.children) need = std::max(need, content_needed(child));
      return need;
    }
    case Kind::Bcc:
    case Kind::Cc:
    case Kind::From:
    case Kind::Subject:
    case Kind::To:
    case Kind::Header:
    case Kind::SentBefore:
    case Kind::SentOn:
    case Kind::SentSince: return MessageContent::Header;
    case Kind::Body:
    case Kind::Text: return MessageContent::Full;
    default: return MessageContent::None;
  }
}

bool matches(const SearchKey& key, const SearchMessage& m) {
  switch (key.kind) {
    case Kind::All: return true;
    case Kind::And:
      return std::all_of(key.children.begin(), key.children.end(), [&](const SearchKey& k) { return matches(k, m); });
    case Kind::Not: return !key.children.empty() && !matches(key.children[0], m);
    case Kind::Or: return key.children.size() == 2 && (matches(key.children[0], m) || matches(key.children[1], m));
    case Kind::SequenceNumbers: return key.set.contains(m.seq, m.message_count);
    case Kind::Uid: return key.set.contains(m.uid, m.max_uid);
    case Kind::Answered: return has_flag(m, "\\Answered");
    case Kind::Deleted: return has_flag(m, "\\Deleted");
    case Kind::Draft: return has_flag(m, "\\Draft");
    case Kind::Flagged: return has_flag(m, "\\Flagged");
    case Kind::Seen: return has_flag(m, "\\Seen");
    case Kind::Unanswered: return !has_flag(m, "\\Answered");
    case Kind::Undeleted: return !has_flag(m, "\\Deleted");
    case Kind::Undraft: return !has_flag(m, "\\Draft");
    case Kind::Unflagged: return !has_flag(m, "\\Flagged");
    case Kind::Unseen: return !has_flag(m, "\\Seen");
    case Kind::Keyword: return has_flag(m, key.text);
    case Kind::Unkeyword: return !has_flag(m, key.text);
    case Kind::Recent: return m.recent;
    case Kind::New: return m.recent && !has_flag(m, "\\Seen");
    case Kind::Old: return !m.recent;
    case Kind::Larger: return m.size > key.size;
    case Kind::Smaller: return m.size < key.size;
    case Kind::Before: return m.internal_day < key.day;
    case Kind::On: return m.internal_day == key.day;
    case Kind::Since: return m.internal_day >= key.day;
    case Kind::SentBefore:
    case Kind::SentOn:
    case Kind::SentSince: return sent_day_matches(m, key.kind, key.day);
    case Kind::Bcc: return header_matches(m, "Bcc", key.text);
    case Kind::Cc: return header_matches(m, "Cc", key.text);
    case Kind::From: return header_matches(m, "From", key.text);
    case Kind::Subject: return header_matches(m, "Subject", key.text);
    case Kind::To: return header_matches(m, "To", key.text);
    case Kind::Header: return header_matches(m, key.field, key.text);
    case Kind::Body: return body_matches(m, key.text);
    case Kind::Text: return text_matches(m, key.text);
  }
  return false;
}

}  // namespace mailflow::imap
