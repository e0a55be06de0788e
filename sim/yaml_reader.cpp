// The YAML reader shared by the world and scenario loaders: see yaml_reader.hpp.
#include "sim/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <yaml-cpp/eventhandler.h>

#include "sim/ascii.hpp"

namespace mailflow::sim {

std::string LoadError::to_string() const {
  if (line <= 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

namespace yaml {

Where where_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar: return fmt::format("'{}'", node.Scalar());
    default: return "nothing";
  }
}

bool parse_digits(std::string_view text, std::uint64_t& out) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::vector<LoadError> Reader::take_errors() {
  // Errors of files this one includes (a scenario's world file) come first.
  std::stable_sort(errors_.begin(), errors_.end(), [&](const LoadError& a, const LoadError& b) {
    const bool a_own = a.file == file_, b_own = b.file == file_;
    return std::tie(a_own, a.line, a.column) < std::tie(b_own, b.line, b.column);
  });
  return std::move(errors_);
}

std::optional<Fields> Reader::fields(const Value& v, std::string_view what,
                                     std::span<const std::string_view> allowed) {
  if (!v.node.IsMap()) {
    error(v.at, fmt::format("{} must be a map, got {}", what, describe(v.node)));
    return std::nullopt;
  }
  Fields out;
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    const Where key_at = where_of(it->first);
    if (!it->first.IsScalar()) {
      error(key_at, fmt::format("a key in {} must be a plain word, got {}", what, describe(it->first)));
      continue;
    }
    const std::string& key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      error(key_at, fmt::format("unknown key '{}' in {} (allowed: {})", key, what, fmt::join(allowed, ", ")));
      continue;
    }
    if (const auto previous = out.find(key); previous != out.end()) {
      error(key_at, fmt::format("duplicate key '{}' in {} (first at line {})", key, what,
                                previous->second.key_at.line));
      continue;
    }
    const Where value_at = it->second.IsNull() ? key_at : where_of(it->second);
    out.emplace(key, Field{key_at, Value{it->second, value_at}});
  }
  return out;
}

const Value* Reader::required(const Fields& f, const Value& map, std::string_view what, const std::string& key) {
  const auto it = f.find(key);
  if (it != f.end()) return &it->second.value;
  error(map.at, fmt::format("{} is missing required key '{}'", what, key));
  return nullptr;
}

std::optional<std::string> Reader::string_of(const Value& v, std::string_view what) {
  if (v.node.IsScalar() && !v.node.Scalar().empty()) return v.node.Scalar();
  if (v.node.IsScalar() || v.node.IsNull()) {
    error(v.at, fmt::format("{} must not be empty", what));
  } else {
    error(v.at, fmt::format("{} must be a string, got {}", what, describe(v.node)));
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Reader::number_of(const Value& v, std::string_view what, std::uint64_t min,
                                               std::uint64_t max) {
  if (!v.node.IsScalar()) {
    error(v.at, fmt::format("{} must be a number, got {}", what, describe(v.node)));
    return std::nullopt;
  }
  std::uint64_t n = 0;
  if (!parse_digits(v.node.Scalar(), n) || n < min || n > max) {
    error(v.at, fmt::format("{} must be a whole number from {} to {}, got '{}'", what, min, max,
                            v.node.Scalar()));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> Reader::bool_of(const Value& v, std::string_view what) {
  bool flag = false;
  if (!v.node.IsScalar() || !YAML::convert<bool>::decode(v.node, flag)) {
    error(v.at, fmt::format("{} must be true or false, got {}", what, describe(v.node)));
    return std::nullopt;
  }
  return flag;
}

std::optional<std::uint64_t> Reader::size_of(const Value& v, std::string_view what, std::uint64_t min,
                                             std::uint64_t max) {
  if (!v.node.IsScalar()) {
    error(v.at, fmt::format("{} must be a number, got {}", what, describe(v.node)));
    return std::nullopt;
  }
  std::string_view text = v.node.Scalar();
  const auto digits_end = std::find_if(text.begin(), text.end(), [](char c) { return c < '0' || c > '9'; });
  const std::string_view digits = text.substr(0, static_cast<std::size_t>(digits_end - text.begin()));
  const std::string unit = lower_ascii(text.substr(digits.size()));
  std::uint64_t n = 0;
  if (!parse_digits(digits, n)) {
    error(v.at, fmt::format("{} must be a number such as 20480 or 20K, got '{}'", what, text));
    return std::nullopt;
  }
  const std::map<std::string, int> shifts{{"", 0}, {"k", 10}, {"m", 20}, {"g", 30}};
  const auto shift = shifts.find(unit);
  if (shift == shifts.end()) {
    error(v.at, fmt::format("{} '{}' has an unknown unit: use K, M or G (powers of 1024)", what, text));
    return std::nullopt;
  }
  if (n > (UINT64_MAX >> shift->second)) {
    error(v.at, fmt::format("{} '{}' is too large", what, text));
    return std::nullopt;
  }
  const std::uint64_t bytes = n << shift->second;
  if (bytes < min || bytes > max) {
    error(v.at, fmt::format("{} must be from {} to {} bytes, got '{}'", what, min, max, text));
    return std::nullopt;
  }
  return bytes;
}

std::optional<std::chrono::milliseconds> Reader::duration_of(const Value& v, std::string_view what, bool whole_seconds) {
  const auto bad = [&](std::string_view got) {
    error(v.at, fmt::format("{} must be a duration such as 250ms, 5s, 2m, 1h or 5d, got {}", what, got));
    return std::nullopt;
  };
  if (!v.node.IsScalar()) return bad(describe(v.node));
  const std::string_view text = v.node.Scalar();
  if (text.starts_with('-')) {
    error(v.at, fmt::format("{} must not be negative, got '{}'", what, text));
    return std::nullopt;
  }
  const auto digits_end = std::find_if(text.begin(), text.end(), [](char c) { return c < '0' || c > '9'; });
  const std::string_view digits = text.substr(0, static_cast<std::size_t>(digits_end - text.begin()));
  const std::string unit = lower_ascii(text.substr(digits.size()));
  std::uint64_t n = 0;
  if (!parse_digits(digits, n)) return bad(fmt::format("'{}'", text));
  const std::map<std::string, std::uint64_t> ms_per_unit{
      {"ms", 1}, {"", 1000}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  const auto unit_ms = ms_per_unit.find(unit);
  if (unit_ms == ms_per_unit.end()) return bad(fmt::format("'{}'", text));
  const auto max_ms = static_cast<std::uint64_t>(kMaxDuration.count());
  if (n > max_ms / unit_ms->second) {
    error(v.at, fmt::format("{} '{}' is too long: at most 365d", what, text));
    return std::nullopt;
  }
  const std::chrono::milliseconds duration{static_cast<std::int64_t>(n * unit_ms->second)};
  if (duration.count() == 0) {
    error(v.at, fmt::format("{} must be longer than 0, got '{}'", what, text));
    return std::nullopt;
  }
  if (whole_seconds && duration.count() % 1000 != 0) {
    error(v.at, fmt::format("{} '{}' must be a whole number of seconds", what, text));
    return std::nullopt;
  }
  return duration;
}

std::optional<double> Reader::real_of(const Value& v, std::string_view what) {
  if (!v.node.IsScalar()) {
    error(v.at, fmt::format("{} must be a number, got {}", what, describe(v.node)));
    return std::nullopt;
  }
  const std::string& text = v.node.Scalar();
  double x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(x)) {
    error(v.at, fmt::format("{} must be a number such as 60 or 0.5, got '{}'", what, text));
    return std::nullopt;
  }
  return x;
}

void Reader::set_count(const Fields& f, std::string_view where, const std::string& key,
               std::optional<std::size_t>& out) {
  if (const Value* v = optional(f, key)) {
    if (auto n = number_of(*v, fmt::format("{}.{}", where, key), 1, kMaxCount)) out = static_cast<std::size_t>(*n);
  }
}

void Reader::set_size(const Fields& f, std::string_view where, const std::string& key,
              std::optional<std::size_t>& out, std::uint64_t max) {
  if (const Value* v = optional(f, key)) {
    if (auto n = size_of(*v, fmt::format("{}.{}", where, key), 1, max)) out = static_cast<std::size_t>(*n);
  }
}

void Reader::set_duration(const Fields& f, std::string_view where, const std::string& key,
                  std::optional<std::chrono::milliseconds>& out, bool whole_seconds) {
  if (const Value* v = optional(f, key)) {
    if (auto d = duration_of(*v, fmt::format("{}.{}", where, key), whole_seconds)) out = *d;
  }
}

void Reader::set_bool(const Fields& f, std::string_view where, const std::string& key,
              std::optional<bool>& out) {
  if (const Value* v = optional(f, key)) {
    if (auto flag = bool_of(*v, fmt::format("{}.{}", where, key))) out = *flag;
  }
}

namespace {

// Finds where a second YAML document starts, if any. YAML::LoadAll can loop forever on
// some malformed input (found by the fuzzer), so documents are walked with yaml-cpp's
// event parser and at most two are looked at.
class SecondDocumentFinder : public YAML::EventHandler {
 public:
  std::optional<Where> second_document;

  void OnDocumentStart(const YAML::Mark& mark) override {
    start_ = mark;
    has_content_ = false;
  }
  void OnDocumentEnd() override {
    if (!has_content_) return;  // an empty document is no document (as LoadAll counts them)
    if (++documents_ == 2) second_document = Where{start_.line + 1, start_.column + 1};
  }
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { has_content_ = true; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {
    has_content_ = true;
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    has_content_ = true;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    has_content_ = true;
  }
  void OnMapEnd() override {}

 private:
  YAML::Mark start_;
  bool has_content_ = false;
  int documents_ = 0;
};

std::optional<Where> second_document_start(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  SecondDocumentFinder finder;
  for (int i = 0; i < 8 && !finder.second_document && parser.HandleNextDocument(finder); ++i) {
  }
  return finder.second_document;
}

}  // namespace

Document load_document(std::string_view text, const std::string& file, std::string_view kind) {
  Document doc;
  try {
    const std::string copy(text);
    if (auto second = second_document_start(copy)) {
      doc.errors.push_back(LoadError{file, second->line, second->column,
                                     fmt::format("{} holds one YAML document; another starts here", kind)});
      return doc;
    }
    doc.root = YAML::Load(copy);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    doc.errors.push_back(LoadError{file, line, line == 0 ? 0 : e.mark.column + 1, "YAML syntax error: " + e.msg});
  }
  return doc;
}

std::optional<std::string> read_text_file(const std::string& path, std::uintmax_t max_bytes, std::string_view kind,
                                          std::vector<LoadError>& errors) {
  const auto fail = [&](std::string message) -> std::optional<std::string> {
    errors.push_back(LoadError{path, 0, 0, std::move(message)});
    return std::nullopt;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("cannot read the file: it is a directory");
  // A device or a pipe (/dev/zero, a FIFO) could be read forever: only regular files.
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    return fail("cannot read the file: it is not a regular file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes) {
    return fail(fmt::format("the file is {} bytes; {} may hold at most {}", size, kind, max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read the file: " + std::string(std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail("cannot read the file: read failed");
  return text.str();
}

}  // namespace yaml
}  // namespace mailflow::sim
