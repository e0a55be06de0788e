// The trace file: every event on the bus as one JSON line (see to_json_line), appended to
// a file that the visualizer replays and the scenario checker and students read. JSON
// Lines keeps a trace greppable, streamable and valid up to the last complete line even
// when the lab is killed mid-write.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "sim/event.hpp"
#include "sim/event_bus.hpp"

namespace mailflow::sim {

class TraceWriter {
 public:
  // Opens `path` for appending (an earlier trace is kept), creating it and its parent
  // directories when missing, and subscribes to `bus`. Throws std::system_error when the
  // file cannot be opened. The bus must outlive the writer.
  TraceWriter(EventBus& bus, std::filesystem::path path);
  // Writes every event published before destruction, then unsubscribes and closes.
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Returns once every event published before the call is written to the file.
  void flush();

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t lines_written() const { return lines_written_.load(); }
  // Lines that could not be written in full (disk full, I/O error).
  std::uint64_t write_failures() const { return write_failures_.load(); }

 private:
  void write(const Event& e);
  void end_batch();

  EventBus& bus_;
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;  // written by the bus thread only
  EventBus::SubscriptionId subscription_ = 0;
  std::atomic<std::uint64_t> lines_written_{0};
  std::atomic<std::uint64_t> write_failures_{0};
};

// Reads a trace file back, in file order. Lines that are not events (a garbage line, a
// line cut short by a crash) are skipped and, when malformed_lines is given, counted
// there; blank lines are skipped without counting. Throws std::system_error when the file
// cannot be opened.
std::vector<Event> read_trace(const std::filesystem::path& path,
                              std::size_t* malformed_lines = nullptr);

}  // namespace mailflow::sim
