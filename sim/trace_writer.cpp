// The trace file writer and reader. See sim/trace_writer.hpp.
#include "sim/trace_writer.hpp"

#include <cerrno>
#include <fstream>
#include <string>
#include <system_error>

namespace mailflow::sim {
namespace {

// Large enough that a busy batch costs a handful of write(2) calls, not one per line.
constexpr std::size_t kWriteBufferBytes = 1 << 16;

}  // namespace

TraceWriter::TraceWriter(EventBus& bus, std::filesystem::path path)
    : bus_(bus), path_(std::move(path)) {
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
  // "e": O_CLOEXEC, so a child process the lab starts does not inherit the trace.
  file_ = std::fopen(path_.c_str(), "abe");
  if (file_ == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot open trace file " + path_.string());
  }
  std::setvbuf(file_, nullptr, _IOFBF, kWriteBufferBytes);
  subscription_ = bus_.subscribe([this](const Event& e) { write(e); }, [this] { end_batch(); });
}

TraceWriter::~TraceWriter() {
  bus_.flush();
  bus_.unsubscribe(subscription_);
  std::fclose(file_);
}

void TraceWriter::flush() {
  // The bus ends every batch with end_batch(), so once it has delivered everything the
  // lines are in the file. The fflush covers a flush() called from a subscriber.
  bus_.flush();
  std::fflush(file_);
}

void TraceWriter::write(const Event& e) {
  std::string line = to_json_line(e);
  line += '\n';
  if (std::fwrite(line.data(), 1, line.size(), file_) == line.size()) {
    lines_written_.fetch_add(1, std::memory_order_relaxed);
  } else {
    write_failures_.fetch_add(1, std::memory_order_relaxed);
  }
}

void TraceWriter::end_batch() {
  if (std::fflush(file_) != 0) write_failures_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<Event> read_trace(const std::filesystem::path& path, std::size_t* malformed_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot open trace file " + path.string());
  }
  std::vector<Event> events;
  std::size_t malformed = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (auto e = event_from_json_line(line)) {
      events.push_back(std::move(*e));
    } else {
      ++malformed;
    }
  }
  if (malformed_lines != nullptr) *malformed_lines = malformed;
  return events;
}

}  // namespace mailflow::sim
