// LIST pattern matching: see imap_list.hpp.
#include "servers/imap/imap_list.hpp"

#include <vector>

#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

// RFC 3501 §5.1: "INBOX" is case-insensitive; so is the INBOX part of "INBOX/sub".
std::string fold_inbox(std::string_view s, char delimiter) {
  std::string out(s);
  if (out.size() >= 5 && sim::ascii_iequals(out.substr(0, 5), "INBOX") &&
      (out.size() == 5 || out[5] == delimiter || out[5] == '*' || out[5] == '%')) {
    for (std::size_t i = 0; i < 5; ++i) out[i] = sim::ascii_upper(out[i]);
  }
  return out;
}

}  // namespace

std::string join_list_pattern(std::string_view reference, std::string_view pattern, char delimiter) {
  if (!reference.empty() && !pattern.empty() && reference.back() == delimiter && pattern.front() == delimiter) {
    pattern.remove_prefix(1);
  }
  return std::string(reference) + std::string(pattern);
}

bool list_pattern_matches(std::string_view pattern_in, std::string_view name_in, char delimiter) {
  std::string pattern = fold_inbox(pattern_in, delimiter), name = fold_inbox(name_in, delimiter);
  // row[j]: the pattern read so far matches name[0, j).
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (char p : pattern) {
    if (p == '*' || p == '%') {
      // A wildcard extends any match to the right, "%" only while no delimiter is crossed.
      next[0] = row[0];
      for (std::size_t j = 1; j <= name.size(); ++j) {
        next[j] = row[j] || (next[j - 1] && (p == '*' || name[j - 1] != delimiter));
      }
    } else {
      next[0] = 0;
      for (std::size_t j = 1; j <= name.size(); ++j) next[j] = row[j - 1] && name[j - 1] == p;
    }
    row.swap(next);
  }
  return row[name.size()] != 0;
}

}  // namespace mailflow::imap
