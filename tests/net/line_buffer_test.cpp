// LineBuffer: lines in any chunking, bare LF reported, overlong lines reported once and
// skipped through their LF, memory bounded while a line is unfinished, STARTTLS clear().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "servers/net/line_buffer.hpp"

namespace mailflow::net {
namespace {

using Status = LineBuffer::Status;

// Everything next_line() returns for the input, fed in chunks of `chunk` bytes;
// TooLong shows as "<too long>", bare LF lines get a "<lf>" suffix.
std::vector<std::string> lines_of(std::string_view input, std::size_t max_line, std::size_t chunk) {
  LineBuffer buffer(max_line);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    buffer.append(input.substr(i, chunk));
    for (;;) {
      auto r = buffer.next_line();
      if (r.status == Status::NeedMore) break;
      out.push_back(r.status == Status::TooLong ? "<too long>" : r.line + (r.bare_lf ? "<lf>" : ""));
    }
    EXPECT_LE(buffer.size(), max_line + chunk) << "an unfinished line is never kept beyond max_line + one read";
  }
  return out;
}

TEST(LineBuffer, SplitsCrlfLinesInEveryChunking) {
  std::string input = "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n\r\nQUIT\r\n";
  std::vector<std::string> expected{"EHLO client.test", "MAIL FROM:<a@b.test>", "", "QUIT"};
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 100u}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(lines_of(input, 512, chunk), expected);
  }
}

TEST(LineBuffer, ReportsBareLfAndKeepsStrayCrInsideTheLine) {
  EXPECT_EQ(lines_of("NOOP\nRSET\r\nA\rB\r\n", 512, 1), (std::vector<std::string>{"NOOP<lf>", "RSET", "A\rB"}));
}

TEST(LineBuffer, LineOfExactlyMaxLineOctetsIsAccepted) {
  std::string line(510, 'x');
  EXPECT_EQ(lines_of(line + "\r\n", 512, 1), std::vector<std::string>{line});
  EXPECT_EQ(lines_of(line + "\r\n", 512, 1000), std::vector<std::string>{line});
}

TEST(LineBuffer, OverlongLineIsReportedOnceAndSkippedThroughItsLf) {
  std::string input = std::string(511, 'x') + "\r\nNOOP\r\n" + std::string(5000, 'y') + "\r\nQUIT\r\n";
  for (std::size_t chunk : {1u, 13u, 512u, 4096u, 100000u}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(lines_of(input, 512, chunk), (std::vector<std::string>{"<too long>", "NOOP", "<too long>", "QUIT"}));
  }
}

TEST(LineBuffer, UnfinishedFloodStaysBounded) {
  LineBuffer buffer(512);
  int too_long = 0;
  for (int i = 0; i < 1000; ++i) {
    buffer.append(std::string(1024, 'z'));
    auto r = buffer.next_line();
    if (r.status == Status::TooLong) ++too_long;
    EXPECT_LE(buffer.size(), 512u + 1024u);
  }
  EXPECT_EQ(too_long, 1);
  buffer.append("tail\r\nNOOP\r\n");
  auto r = buffer.next_line();
  EXPECT_EQ(r.status, Status::Line);
  EXPECT_EQ(r.line, "NOOP");
}

TEST(LineBuffer, PendingAndConsumeExposeRawBytes) {
  LineBuffer buffer(512);
  buffer.append("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(buffer.next_line().line, "DATA");
  EXPECT_EQ(buffer.pending(), "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  buffer.consume(std::string_view("Subject: x\r\n\r\nbody\r\n.\r\n").size());
  EXPECT_EQ(buffer.next_line().line, "QUIT");
  EXPECT_EQ(buffer.size(), 0u);
  buffer.consume(10);  // past the end is harmless
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(LineBuffer, ClearDropsPlaintextPipelinedAfterStartTls) {
  // RFC 3207 §4.2, CVE-2011-0411: "STARTTLS\r\nRSET\r\n" in one packet must not run RSET
  // inside the TLS session.
  LineBuffer buffer(512);
  buffer.append("STARTTLS\r\nRSET\r\n");
  EXPECT_EQ(buffer.next_line().line, "STARTTLS");
  buffer.clear();
  EXPECT_EQ(buffer.next_line().status, Status::NeedMore);
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(LineBuffer, ClearEndsDiscardingAnOverlongLine) {
  LineBuffer buffer(16);
  buffer.append(std::string(40, 'x'));
  EXPECT_EQ(buffer.next_line().status, Status::TooLong);
  buffer.clear();
  buffer.append("EHLO a\r\n");
  EXPECT_EQ(buffer.next_line().line, "EHLO a");
}

TEST(LineBuffer, SetMaxLineRaisesTheLimitForAuth) {
  LineBuffer buffer(16);
  buffer.set_max_line(12288);
  std::string line = "AUTH PLAIN " + std::string(100, 'A');
  buffer.append(line + "\r\n");
  EXPECT_EQ(buffer.next_line().line, line);
}

}  // namespace
}  // namespace mailflow::net
