// Maildir names: folder and address mapping, unique file names, the ":2," info suffix.
// See maildir_names.hpp for the rules and their sources.
#include "sim/maildir_names.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <string>

#include <fmt/format.h>

namespace mailflow::sim::maildir {
namespace {

// Bytes no path component built from client text may contain. '\\' and the IMAP list
// wildcards are legal on Linux, but a name holding them is far more likely an attack or
// a client bug than a real folder.
bool is_forbidden_byte(unsigned char c) {
  return c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '*' || c == '%';
}

bool is_safe_component(std::string_view part) {
  if (part.empty() || part.size() > kMaxFolderNameBytes) return false;
  if (part.front() == '.') return false;  // ".", "..", and hidden names
  return std::none_of(part.begin(), part.end(),
                      [](char c) { return is_forbidden_byte(static_cast<unsigned char>(c)); });
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string escaped_host_name() {
  std::array<char, HOST_NAME_MAX + 1> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0 || buffer[0] == '\0') return "localhost";
  std::string escaped;
  for (const char* p = buffer.data(); *p != '\0'; ++p) {
    switch (*p) {
      case '/': escaped += "\\057"; break;
      case ':': escaped += "\\072"; break;
      case ',': escaped += "\\054"; break;  // ',' starts Dovecot's S= field
      default: escaped += *p;
    }
  }
  return escaped;
}

}  // namespace

bool is_inbox(std::string_view folder) {
  return folder.size() == kInbox.size() &&
         std::equal(folder.begin(), folder.end(), kInbox.begin(),
                    [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
}

std::optional<std::string> folder_directory(std::string_view folder) {
  if (is_inbox(folder)) return std::string{};
  if (folder.empty() || folder.size() > kMaxFolderNameBytes) return std::nullopt;
  // Every hierarchy level must be non-empty: this refuses "..", "a..b", ".a" and "a.".
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = folder.find(kHierarchySeparator, start);
    const std::string_view level = folder.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_safe_component(level)) return std::nullopt;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "." + std::string(folder);
}

std::optional<std::string> folder_from_directory(std::string_view entry) {
  if (entry.size() < 2 || entry.front() != '.') return std::nullopt;
  std::string name(entry.substr(1));
  // A directory named ".INBOX" would shadow the real INBOX in a listing; skip it.
  if (is_inbox(name) || !folder_directory(name)) return std::nullopt;
  return name;
}

std::optional<MailboxLocation> mailbox_location(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view local = address.substr(0, at);
  std::string domain(address.substr(at + 1));
  std::transform(domain.begin(), domain.end(), domain.begin(), ascii_lower);
  if (!is_safe_component(local) || !is_safe_component(domain)) return std::nullopt;
  return MailboxLocation{std::move(domain), std::string(local)};
}

std::string unique_basename(std::uint64_t size) {
  // The counter makes names unique within the process even inside one microsecond; the
  // pid and host make them unique across processes and machines sharing the Maildir.
  static std::atomic<std::uint64_t> counter{0};
  static const std::string host = escaped_host_name();
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(now - secs);
  return fmt::format("{}.M{}P{}Q{}.{},S={}", secs.count(), usec.count(), static_cast<long>(getpid()),
                     counter.fetch_add(1) + 1, host, size);
}

MessageFileName parse_message_file_name(std::string_view file_name) {
  const std::size_t colon = file_name.find(':');
  MessageFileName parsed{std::string(file_name.substr(0, colon)), {}};
  if (colon != std::string_view::npos) {
    const std::string_view info = file_name.substr(colon + 1);
    // Only version 2 info carries flags; "1," (experimental) is kept but has none.
    if (info.substr(0, 2) == "2,") parsed.flags = std::string(info.substr(2));
  }
  return parsed;
}

std::optional<std::uint64_t> size_from_basename(std::string_view basename) {
  const std::size_t field = basename.find(",S=");
  if (field == std::string_view::npos) return std::nullopt;
  std::uint64_t size = 0;
  std::size_t i = field + 3;
  if (i >= basename.size()) return std::nullopt;
  for (; i < basename.size() && basename[i] != ','; ++i) {
    const char c = basename[i];
    if (c < '0' || c > '9' || size > (UINT64_MAX - 9) / 10) return std::nullopt;
    size = size * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return size;
}

std::optional<std::string> normalize_flags(std::string_view flags) {
  std::string sorted(flags);
  for (char c : sorted) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return std::nullopt;
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

std::string cur_file_name(std::string_view basename, std::string_view flags) {
  return std::string(basename) + ":2," + std::string(flags);
}

}  // namespace mailflow::sim::maildir
