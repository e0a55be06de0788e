// Tests for the trace file: one parseable JSON line per event, appending across runs,
// and a reader that survives garbage.
#include "sim/trace_writer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace mailflow::sim {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class TraceWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("mailflow-trace-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

Event numbered_event(int i) {
  Event e;
  e.kind = EventKind::Reply;
  e.protocol = Protocol::Smtp;
  e.host = "mx.beta.test";
  e.line = "250 ok \"" + std::to_string(i) + "\"";
  e.code = 250;
  return e;
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(TraceWriterTest, WritesOneParseableLinePerEvent) {
  const fs::path path = dir_ / "nested" / "trace.jsonl";
  EventBus bus;
  TraceWriter writer(bus, path);
  for (int i = 0; i < 100; ++i) bus.publish(numbered_event(i));
  writer.flush();

  EXPECT_EQ(writer.lines_written(), 100u);
  EXPECT_EQ(writer.write_failures(), 0u);
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 100u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto e = event_from_json_line(lines[i]);
    ASSERT_TRUE(e.has_value()) << lines[i];
    EXPECT_EQ(e->seq, i + 1);
    EXPECT_EQ(e->line, "250 ok \"" + std::to_string(i) + "\"");
  }
}

TEST_F(TraceWriterTest, FlushMakesLinesVisibleWithoutDestroyingTheWriter) {
  const fs::path path = dir_ / "trace.jsonl";
  EventBus bus;
  TraceWriter writer(bus, path);
  bus.publish(numbered_event(1));
  writer.flush();
  EXPECT_EQ(read_lines(path).size(), 1u);
  bus.publish(numbered_event(2));
  writer.flush();
  EXPECT_EQ(read_lines(path).size(), 2u);
}

TEST_F(TraceWriterTest, ReopeningAppendsInsteadOfTruncating) {
  const fs::path path = dir_ / "trace.jsonl";
  {
    EventBus bus;
    TraceWriter writer(bus, path);
    for (int i = 0; i < 3; ++i) bus.publish(numbered_event(i));
  }  // the destructor writes what was published
  {
    EventBus bus;
    TraceWriter writer(bus, path);
    for (int i = 3; i < 5; ++i) bus.publish(numbered_event(i));
  }
  const auto events = read_trace(path);
  ASSERT_EQ(events.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(events[i].line, "250 ok \"" + std::to_string(i) + "\"");
  // Each run's bus numbers from 1.
  EXPECT_EQ(events[3].seq, 1u);
}

TEST_F(TraceWriterTest, StopsWritingAfterDestruction) {
  const fs::path path = dir_ / "trace.jsonl";
  EventBus bus;
  {
    TraceWriter writer(bus, path);
    bus.publish(numbered_event(1));
  }
  bus.publish(numbered_event(2));
  bus.flush();
  EXPECT_EQ(read_lines(path).size(), 1u);
  EXPECT_FALSE(bus.has_subscribers());
}

TEST_F(TraceWriterTest, UnopenableFileThrows) {
  fs::create_directories(dir_ / "a-directory");
  EventBus bus;
  EXPECT_THROW(TraceWriter(bus, dir_ / "a-directory"), std::system_error);
  EXPECT_FALSE(bus.has_subscribers());
}

TEST_F(TraceWriterTest, ReadTraceSkipsAndCountsMalformedLines) {
  const fs::path path = dir_ / "trace.jsonl";
  fs::create_directories(dir_);
  Event a = numbered_event(1);
  a.seq = 1;
  Event b = numbered_event(2);
  b.seq = 2;
  {
    std::ofstream out(path, std::ios::binary);
    out << to_json_line(a) << "\n"
        << "this is not json\n"
        << "\n"
        << R"({"seq":9,"kind":"reply"})" << "\r\n"
        << to_json_line(b) << "\r\n"
        << R"({"seq":3,"time":"2026-12-01T10:0)";  // cut short by a crash
  }
  std::size_t malformed = 0;
  const auto events = read_trace(path, &malformed);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, 1u);
  EXPECT_EQ(events[1].seq, 2u);
  EXPECT_EQ(events[1].line, b.line);
  EXPECT_EQ(malformed, 3u);
}

TEST_F(TraceWriterTest, ReadTraceOfMissingFileThrows) {
  EXPECT_THROW(read_trace(dir_ / "missing.jsonl"), std::system_error);
}

}  // namespace
}  // namespace mailflow::sim
