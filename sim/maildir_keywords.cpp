// Keywords in the Maildir store: the dovecot-keywords file format and the Mailbox
// operations on it. See maildir_keywords.hpp for the format and maildir_store.hpp for
// the promises.
#include "sim/maildir_keywords.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/ascii.hpp"
#include "sim/maildir_guard.hpp"
#include "sim/maildir_io.hpp"
#include "sim/maildir_names.hpp"
#include "sim/maildir_store.hpp"

namespace mailflow::sim {
namespace fs = std::filesystem;

namespace maildir {

bool is_valid_keyword(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeywordBytes || name.front() == '\\') return false;
  constexpr std::string_view kAtomSpecials = "(){ %*\"\\]";
  return std::all_of(name.begin(), name.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && kAtomSpecials.find(c) == std::string_view::npos;
  });
}

std::vector<std::string> parse_keywords(std::string_view text) {
  std::vector<std::string> keywords;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos || space > 2) continue;
    std::size_t index = 0;
    bool digits = true;
    for (char c : line.substr(0, space)) {
      digits = digits && c >= '0' && c <= '9';
      index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    const std::string_view name = line.substr(space + 1);
    if (!digits || index >= kMaxKeywords || !is_valid_keyword(name) || find_keyword(keywords, name)) continue;
    if (keywords.size() <= index) keywords.resize(index + 1);
    if (keywords[index].empty()) keywords[index] = std::string(name);
  }
  return keywords;
}

std::string serialize_keywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    if (!keywords[i].empty()) out += fmt::format("{} {}\n", i, keywords[i]);
  }
  return out;
}

std::optional<std::size_t> find_keyword(const std::vector<std::string>& keywords, std::string_view name) {
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    if (!keywords[i].empty() && ascii_iequals(keywords[i], name)) return i;
  }
  return std::nullopt;
}

}  // namespace maildir

namespace {

using namespace maildir;

template <class T>
StoreValue<T> failure(StoreStatus status, std::string error = {}) {
  StoreValue<T> value;
  value.status = status;
  value.error = std::move(error);
  return value;
}

StoreValue<std::vector<std::string>> load_keywords(const fs::path& folder_path) {
  std::string error;
  const std::optional<std::string> text = read_small_file(folder_path / kKeywordsFileName, error);
  if (!error.empty()) return failure<std::vector<std::string>>(StoreStatus::IoError, error);
  StoreValue<std::vector<std::string>> keywords;
  if (text) keywords.value = parse_keywords(*text);
  return keywords;
}

// Letters for `names` in `keywords`, appending the missing ones when `create`. False when
// that would pass the limit; `added` says whether the file must be written.
bool letters_for(std::vector<std::string>& keywords, const std::vector<std::string>& names, bool create,
                 std::string& letters, bool& added) {
  for (const std::string& name : names) {
    std::optional<std::size_t> index = find_keyword(keywords, name);
    if (!index && create) {
      // A damaged entry's slot stays reserved: its letter may still be on messages.
      if (keywords.size() >= kMaxKeywords) return false;
      keywords.push_back(name);
      index = keywords.size() - 1;
      added = true;
    }
    if (index) letters += keyword_letter(*index);
  }
  letters = normalize_flags(letters).value_or("");
  return true;
}

}  // namespace

StoreValue<std::vector<std::string>> Mailbox::keywords(std::string_view folder) {
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return failure<std::vector<std::string>>(path.status, path.error);
  return load_keywords(path.value);
}

StoreValue<std::string> Mailbox::keyword_letters(std::string_view folder, const std::vector<std::string>& names,
                                                 bool create) {
  if (!std::all_of(names.begin(), names.end(), [](const std::string& n) { return is_valid_keyword(n); })) {
    return failure<std::string>(StoreStatus::InvalidFlags, "keyword is not an IMAP atom");
  }
  Guard guard(*this);
  const StoreValue<fs::path> path = existing_folder_path(folder);
  if (!path.ok()) return failure<std::string>(path.status, path.error);
  StoreValue<std::vector<std::string>> keywords = load_keywords(path.value);
  if (!keywords.ok()) return failure<std::string>(keywords.status, keywords.error);
  StoreValue<std::string> letters;
  bool added = false;
  if (!letters_for(keywords.value, names, create, letters.value, added)) {
    return failure<std::string>(StoreStatus::TooManyKeywords, fmt::format("{} keywords already", kMaxKeywords));
  }
  if (added) {
    if (IoResult saved = replace_file_atomically(path.value / kKeywordsFileName, serialize_keywords(keywords.value));
        !saved.ok()) {
      return failure<std::string>(StoreStatus::IoError, saved.error);
    }
  }
  return letters;
}

StoreValue<std::string> Mailbox::map_keywords_locked(const fs::path& from, std::string_view to,
                                                     std::string_view flags) const {
  StoreValue<std::string> mapped;
  std::vector<std::string> names;
  for (char c : flags) {
    if (!is_keyword_letter(c)) mapped.value += c;
  }
  if (mapped.value.size() == flags.size()) {
    mapped.value = std::string(flags);
    return mapped;
  }
  const StoreValue<std::vector<std::string>> source = load_keywords(from);
  if (!source.ok()) return failure<std::string>(source.status, source.error);
  for (char c : flags) {
    // A letter the source never named has no meaning to carry over.
    const auto index = static_cast<std::size_t>(c - 'a');
    if (is_keyword_letter(c) && index < source.value.size() && !source.value[index].empty()) {
      names.push_back(source.value[index]);
    }
  }
  const StoreValue<fs::path> path = existing_folder_path(to);
  if (!path.ok()) return mapped;  // the copy itself reports the missing folder
  StoreValue<std::vector<std::string>> target = load_keywords(path.value);
  if (!target.ok()) return failure<std::string>(target.status, target.error);
  std::string letters;
  bool added = false;
  if (!letters_for(target.value, names, true, letters, added)) {
    return failure<std::string>(StoreStatus::TooManyKeywords, fmt::format("{} keywords already in {}", kMaxKeywords, to));
  }
  if (added) {
    if (IoResult saved = replace_file_atomically(path.value / kKeywordsFileName, serialize_keywords(target.value));
        !saved.ok()) {
      return failure<std::string>(StoreStatus::IoError, saved.error);
    }
  }
  mapped.value = normalize_flags(mapped.value + letters).value_or("");
  return mapped;
}

}  // namespace mailflow::sim
