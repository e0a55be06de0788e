// SEARCH evaluation: see imap_search_eval.hpp.
#include "servers/imap/imap_search_eval.hpp"

#include <algorithm>

#include "servers/imap/imap_date.hpp"
#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using Kind = SearchKey::Kind;

bool has_flag(const SearchMessage& m, std::string_view flag) {
  return std::any_of(m.flags.begin(), m.flags.end(), [&](const std::string& f) { return sim::ascii_iequals(f, flag); });
}

// Any field with this name whose unfolded value holds the string.
bool header_matches(const SearchMessage& m, std::string_view name, std::string_view needle) {
  if (m.mime == nullptr) return false;
  return std::any_of(m.mime->fields.begin(), m.mime->fields.end(), [&](const sim::mime::HeaderField& f) {
    return sim::ascii_iequals(f.name, name) && contains_ignoring_case(f.value, needle);
  });
}

std::string_view body_of(const SearchMessage& m) {
  if (m.mime == nullptr) return m.text;
  return m.text.substr(std::min(m.mime->body_begin, m.text.size()));
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
    case Kind::Body: return contains_ignoring_case(body_of(m), key.text);
    case Kind::Text: return contains_ignoring_case(m.text, key.text);
  }
  return false;
}

}  // namespace mailflow::imap
