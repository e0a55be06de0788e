// Reading and writing the per-folder UID list (format in maildir_uidlist.hpp).
#include "sim/maildir_uidlist.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace mailflow::sim::maildir {
namespace {

bool parse_u32(std::string_view text, std::uint32_t& value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string_view next_line(std::string_view& text) {
  const std::size_t end = text.find('\n');
  const std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return line;
}

}  // namespace

bool is_valid_basename(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '/' || c == ':') return false;
  }
  return true;
}

std::uint32_t fresh_uidvalidity() {
  static std::atomic<std::uint32_t> last{0};
  const auto now = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::uint32_t previous = last.load();
  std::uint32_t chosen;
  do {
    chosen = now > previous ? now : previous + 1;
    if (chosen == 0) chosen = 1;  // RFC 3501: nz-number
  } while (!last.compare_exchange_weak(previous, chosen));
  return chosen;
}

UidList new_uid_list() {
  UidList list;
  list.uidvalidity = fresh_uidvalidity();
  return list;
}

std::string serialize_uid_list(const UidList& list) {
  std::string text = fmt::format("{} V{} N{}\n", kUidListVersion, list.uidvalidity, list.next_uid);
  for (const auto& [uid, basename] : list.basenames) text += fmt::format("{} {}\n", uid, basename);
  return text;
}

std::optional<UidList> parse_uid_list(std::string_view text, bool* torn) {
  if (torn) *torn = false;
  const std::string_view header = next_line(text);
  UidList list;
  if (header.size() < 2 || header.substr(0, 2) != fmt::format("{} ", kUidListVersion)) return std::nullopt;
  const std::size_t v = header.find(" V");
  const std::size_t n = header.find(" N");
  if (v == std::string_view::npos || n == std::string_view::npos || n < v) return std::nullopt;
  if (!parse_u32(header.substr(v + 2, n - v - 2), list.uidvalidity) || list.uidvalidity == 0) return std::nullopt;
  const std::string_view next = header.substr(n + 2, header.find(' ', n + 2) - (n + 2));
  if (!parse_u32(next, list.next_uid) || list.next_uid == 0) return std::nullopt;

  std::set<std::string_view> seen_basenames;
  while (!text.empty()) {
    if (text.find('\n') == std::string_view::npos) {
      // An append interrupted by a crash: not a record. Its UID digits (maybe truncated,
      // so never above the real one) still count for next_uid, conservatively.
      if (torn) *torn = true;
      std::size_t digits = 0;
      while (digits < text.size() && digits < 10 && text[digits] >= '0' && text[digits] <= '9') ++digits;
      std::uint64_t uid = 0;
      for (std::size_t i = 0; i < digits; ++i) uid = uid * 10 + static_cast<std::uint64_t>(text[i] - '0');
      if (uid != 0 && uid < 0xffffffffULL && uid >= list.next_uid) list.next_uid = static_cast<std::uint32_t>(uid + 1);
      break;
    }
    const std::string_view line = next_line(text);
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    std::uint32_t uid = 0;
    const std::string_view basename = line.substr(space + 1);
    if (!parse_u32(line.substr(0, space), uid) || uid == 0 || !is_valid_basename(basename)) continue;
    if (list.basenames.count(uid) != 0 || !seen_basenames.insert(basename).second) continue;
    list.basenames.emplace(uid, std::string(basename));
    if (uid >= list.next_uid) list.next_uid = uid + 1;
  }
  return list;
}

LoadedUidList load_uid_list(const std::filesystem::path& folder) {
  LoadedUidList loaded;
  std::optional<std::string> text = read_small_file(folder / kUidListFileName, loaded.error);
  if (!loaded.error.empty()) return loaded;
  std::optional<UidList> parsed = text ? parse_uid_list(*text, &loaded.torn) : std::nullopt;
  if (parsed) {
    loaded.list = std::move(*parsed);
  } else {
    loaded.list = new_uid_list();
    loaded.created = true;
    loaded.torn = false;
  }
  return loaded;
}

IoResult save_uid_list(const std::filesystem::path& folder, const UidList& list) {
  return replace_file_atomically(folder / kUidListFileName, serialize_uid_list(list));
}

UidListStamp stamp_uid_list(const std::filesystem::path& folder) {
  UidListStamp stamp;
  struct stat info {};
  if (::stat((folder / kUidListFileName).c_str(), &info) != 0) return stamp;
  stamp.exists = true;
  stamp.dev = info.st_dev;
  stamp.ino = info.st_ino;
  stamp.size = static_cast<unsigned long long>(info.st_size);
  stamp.mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
  stamp.ctime_ns = static_cast<long long>(info.st_ctim.tv_sec) * 1000000000LL + info.st_ctim.tv_nsec;
  return stamp;
}

IoResult append_uid_records(const std::filesystem::path& folder,
                            const std::map<std::uint32_t, std::string>& records, FsyncBy fsync) {
  const std::filesystem::path path = folder / kUidListFileName;
  std::string text;
  for (const auto& [uid, basename] : records) text += fmt::format("{} {}\n", uid, basename);
  // No O_CREAT: appending to a missing list would lose its header (UIDVALIDITY).
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd.valid()) return {fmt::format("open {}: {}", path.string(), std::strerror(errno))};
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return {fmt::format("write {}: {}", path.string(), std::strerror(errno))};
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  int rc = 0;
  while (fsync == FsyncBy::Self && (rc = ::fsync(fd.get())) != 0 && errno == EINTR) {
  }
  if (rc != 0) return {fmt::format("fsync {}: {}", path.string(), std::strerror(errno))};
  if (::close(fd.release()) != 0) return {fmt::format("close {}: {}", path.string(), std::strerror(errno))};
  return {};
}

}  // namespace mailflow::sim::maildir
