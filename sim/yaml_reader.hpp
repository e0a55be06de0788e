// Reading hand-written YAML (world files, scenario files) so that every mistake is reported
// with file, line and column, all at once, the way a compiler reports them: a Reader
// collects errors instead of throwing, and its typed accessors ("a count", "a size such as
// 64K", "a duration such as 250ms") say what was expected and what was found. yaml-cpp's
// exceptions are caught and become errors too.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace mailflow::sim {

struct LoadError {
  std::string file;
  int line = 0;    // 1-based; 0 when the error is about the file as a whole
  int column = 0;  // 1-based; 0 when line is 0
  std::string message;

  // "worlds/bad.yaml:12:5: duplicate host address 127.10.1.2 (also used by mx.alpha.test at
  // line 8)", or "worlds/bad.yaml: cannot read the file: No such file or directory".
  std::string to_string() const;
};

namespace yaml {

// Counts (recipients, connections, errors): anything beyond is a typo.
constexpr std::uint64_t kMaxCount = 4294967295;
// Durations stay below a year, so lab-time arithmetic never overflows and a typo ("5000d")
// is caught.
constexpr std::chrono::milliseconds kMaxDuration = std::chrono::days{365};

struct Where {
  int line = 0;  // 1-based, 0 when unknown
  int column = 0;
};

// yaml-cpp marks are 0-based and -1 for nodes that do not come from the text.
Where where_of(const YAML::Node& node);

// A node and the place to blame for it. yaml-cpp points a null value at the *next* token,
// which may be lines further down, so a null value is blamed on its key instead.
struct Value {
  YAML::Node node;
  Where at;
};

struct Field {
  Where key_at;
  Value value;
};

using Fields = std::map<std::string, Field>;

// "a list", "a map", "'text'", "nothing": what was found, for the messages.
std::string describe(const YAML::Node& node);
// Only ASCII digits, no sign, no overflow.
bool parse_digits(std::string_view text, std::uint64_t& out);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  // The errors so far, in document order (another file's, such as a scenario's world
  // file, first).
  std::vector<LoadError> take_errors();
  bool has_errors() const { return !errors_.empty(); }

 protected:
  void error(Where at, std::string message) {
    errors_.push_back(LoadError{file_, at.line, at.column, std::move(message)});
  }
  void add_errors(std::vector<LoadError> errors) {
    errors_.insert(errors_.end(), errors.begin(), errors.end());
  }

  // Reads a map's entries, reporting unknown and repeated keys. Null is not a map here.
  std::optional<Fields> fields(const Value& v, std::string_view what, std::span<const std::string_view> allowed);
  std::optional<Fields> fields(const Value& v, std::string_view what, std::initializer_list<std::string_view> allowed) {
    return fields(v, what, std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  // The same, but a key with no value (every line below it commented out) is an empty map.
  std::optional<Fields> optional_fields(const Value& v, std::string_view what,
                                        std::span<const std::string_view> allowed) {
    if (v.node.IsNull()) return Fields{};
    return fields(v, what, allowed);
  }
  std::optional<Fields> optional_fields(const Value& v, std::string_view what,
                                        std::initializer_list<std::string_view> allowed) {
    return optional_fields(v, what, std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  const Value* required(const Fields& f, const Value& map, std::string_view what, const std::string& key);
  static const Value* optional(const Fields& f, const std::string& key) {
    const auto it = f.find(key);
    return it == f.end() ? nullptr : &it->second.value;
  }

  std::optional<std::string> string_of(const Value& v, std::string_view what);
  std::optional<std::uint64_t> number_of(const Value& v, std::string_view what, std::uint64_t min, std::uint64_t max);
  std::optional<bool> bool_of(const Value& v, std::string_view what);
  // A byte count: "20480", "20K", "50M", "1G" (powers of 1024), from min to max.
  std::optional<std::uint64_t> size_of(const Value& v, std::string_view what, std::uint64_t min, std::uint64_t max);
  // A duration: "250ms", "5s", "2m", "1h", "5d" or a bare number of seconds; above zero and
  // at most kMaxDuration. whole_seconds: the consumer counts in seconds, so "1500ms" is
  // refused rather than silently rounded.
  std::optional<std::chrono::milliseconds> duration_of(const Value& v, std::string_view what, bool whole_seconds);
  // A finite decimal number: "60", "0.5", "1e3".
  std::optional<double> real_of(const Value& v, std::string_view what);

  // Calls each_item for every element; a key with no value counts as an empty list.
  template <typename Fn>
  void for_each_item(const Value& list, std::string_view what, Fn each_item) {
    if (list.node.IsNull()) return;
    if (!list.node.IsSequence()) {
      error(list.at, fmt::format("{} must be a list, got {}", what, describe(list.node)));
      return;
    }
    for (auto it = list.node.begin(); it != list.node.end(); ++it) {
      const YAML::Node item = *it;
      each_item(Value{item, item.IsNull() ? list.at : where_of(item)});
    }
  }

  // Optional keys of a settings-like map, named "<where>.<key>" in the messages.
  void set_count(const Fields& f, std::string_view where, const std::string& key, std::optional<std::size_t>& out);
  void set_size(const Fields& f, std::string_view where, const std::string& key, std::optional<std::size_t>& out,
                std::uint64_t max);
  void set_duration(const Fields& f, std::string_view where, const std::string& key,
                    std::optional<std::chrono::milliseconds>& out, bool whole_seconds);
  void set_bool(const Fields& f, std::string_view where, const std::string& key, std::optional<bool>& out);

  const std::string& file() const { return file_; }
  std::size_t error_count() const { return errors_.size(); }

 private:
  std::string file_;
  std::vector<LoadError> errors_;
};

// One YAML document from text: the root node, or the errors (a syntax error, a second
// document in the text). `kind` names the file in messages: "a world file".
struct Document {
  std::optional<YAML::Node> root;
  std::vector<LoadError> errors;
};
Document load_document(std::string_view text, const std::string& file, std::string_view kind);

// A whole text file of at most max_bytes; on failure the error (line 0) says why.
std::optional<std::string> read_text_file(const std::string& path, std::uintmax_t max_bytes, std::string_view kind,
                                          std::vector<LoadError>& errors);

}  // namespace yaml
}  // namespace mailflow::sim
