// Tests for the durable outbound queue: what enqueue() stores survives a restart (a new
// MailQueue on the same directory) byte for byte, updates and removals persist, and what
// a crash or a bad disk leaves behind is cleaned up at load without ever crashing.
#include "sim/mail_queue.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "sim/clock.hpp"

namespace mailflow::sim {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::string_view kMessage =
    "From: alice@alpha.test\r\nTo: bob@beta.test\r\nSubject: Hello\r\n\r\nHi Bob!\r\n";

class MailQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("mailflow-queue-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    queue_ = std::make_unique<MailQueue>(dir_ / "queue" / "smtp.alpha.test");
  }
  void TearDown() override {
    queue_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // A restart: the in-memory queue is gone, only the disk remains.
  void reopen() { queue_ = std::make_unique<MailQueue>(dir_ / "queue" / "smtp.alpha.test"); }
  QueueEntry enqueue_one(std::string_view message = kMessage) {
    auto result = queue_->enqueue("alice@alpha.test", {"bob@beta.test", "carol@beta.test"}, message,
                                  clock_.now(), "", "smtp.alpha.test [127.10.1.1]");
    EXPECT_TRUE(result.ok()) << result.error;
    return result.value;
  }
  static void write_file(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }

  fs::path dir_;
  ManualClock clock_;
  std::unique_ptr<MailQueue> queue_;
};

TEST_F(MailQueueTest, EnqueueFillsTheEntry) {
  const QueueEntry entry = enqueue_one();
  EXPECT_TRUE(is_valid_queue_id(entry.id));
  EXPECT_EQ(entry.id.substr(0, 18), "20261201T184437Z-0");
  EXPECT_EQ(entry.journey, entry.id);
  EXPECT_EQ(entry.sender, "alice@alpha.test");
  ASSERT_EQ(entry.recipients.size(), 2u);
  EXPECT_EQ(entry.recipients[0].address, "bob@beta.test");
  EXPECT_EQ(entry.recipients[0].state, RecipientState::Pending);
  EXPECT_EQ(entry.arrival, clock_.now());
  EXPECT_EQ(entry.next_attempt, clock_.now());
  EXPECT_EQ(entry.size, kMessage.size());
  EXPECT_EQ(queue_->size(), 1u);
  EXPECT_TRUE(fs::exists(queue_->directory() / "msg" / entry.id));
  EXPECT_TRUE(fs::exists(queue_->directory() / "env" / (entry.id + ".json")));
}

TEST_F(MailQueueTest, KeepsAGivenJourneyIdAndTheNullSender) {
  auto result = queue_->enqueue("", {"alice@alpha.test"}, kMessage, clock_.now(), "journey-7");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value.journey, "journey-7");
  reopen();
  const auto entries = queue_->load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].sender, "");
  EXPECT_EQ(entries[0].journey, "journey-7");
}

TEST_F(MailQueueTest, LoadAfterReopenReturnsIdenticalEntriesAndBytes) {
  // Sub-microsecond arrival: the envelope must keep every digit.
  clock_.advance(123456789ns);
  const QueueEntry first = enqueue_one();
  clock_.advance(5s);
  using namespace std::string_literals;
  const std::string binary = "8bit \xe3\x81\x82 and a NUL \0 byte\r\n"s;
  const QueueEntry second = enqueue_one(binary);
  reopen();
  QueueLoadReport report;
  const auto entries = queue_->load(&report);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], first);
  EXPECT_EQ(entries[1], second);
  EXPECT_EQ(queue_->read_message(first.id).value, kMessage);
  EXPECT_EQ(queue_->read_message(second.id).value, binary);
  EXPECT_EQ(report.orphan_messages_removed + report.corrupt_moved_aside + report.temporaries_removed, 0u);
  EXPECT_TRUE(report.problems.empty());
}

TEST_F(MailQueueTest, UpdatePersistsRecipientStatesAndSchedule) {
  QueueEntry entry = enqueue_one();
  entry.attempts = 1;
  entry.next_attempt = clock_.now() + 60s;
  entry.recipients[0].state = RecipientState::Delivered;
  entry.recipients[0].remote_mta = "mx.beta.test";
  entry.recipients[0].last_reply = "250 2.0.0 Ok: queued as 42";
  entry.recipients[1].state = RecipientState::Failed;
  entry.recipients[1].last_reply = "552 5.2.2 <carol@beta.test>: Mailbox full";
  entry.recipients[1].attempts = 1;
  ASSERT_TRUE(queue_->update(entry).ok());
  reopen();
  const auto entries = queue_->load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0], entry);
}

TEST_F(MailQueueTest, UpdateOfAnUnknownEntryIsNoSuchMessage) {
  QueueEntry entry = enqueue_one();
  entry.id = "20261201T184437Z-999999-ffff";
  EXPECT_EQ(queue_->update(entry).status, StoreStatus::NoSuchMessage);
  entry.id = "../../etc/passwd";
  EXPECT_EQ(queue_->update(entry).status, StoreStatus::NoSuchMessage);
}

TEST_F(MailQueueTest, RemoveDeletesEnvelopeAndMessage) {
  const QueueEntry kept = enqueue_one();
  const QueueEntry removed = enqueue_one();
  ASSERT_TRUE(queue_->remove(removed.id).ok());
  EXPECT_EQ(queue_->size(), 1u);
  EXPECT_FALSE(fs::exists(queue_->directory() / "msg" / removed.id));
  EXPECT_EQ(queue_->read_message(removed.id).status, StoreStatus::NoSuchMessage);
  EXPECT_EQ(queue_->remove(removed.id).status, StoreStatus::NoSuchMessage);
  reopen();
  const auto entries = queue_->load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, kept.id);
}

TEST_F(MailQueueTest, MessageWithoutEnvelopeIsRemovedAtLoad) {
  const QueueEntry kept = enqueue_one();
  // A crash after the message was written and before its envelope was committed.
  write_file(queue_->directory() / "msg" / "20261201T184437Z-000099-abcd", kMessage);
  // ... and an update interrupted before its rename.
  write_file(queue_->directory() / "env" / (kept.id + ".json.tmp.123.0"), "{\"version\":1,");
  reopen();
  QueueLoadReport report;
  const auto entries = queue_->load(&report);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0], kept);
  EXPECT_EQ(report.orphan_messages_removed, 1u);
  EXPECT_EQ(report.temporaries_removed, 1u);
  EXPECT_FALSE(fs::exists(queue_->directory() / "msg" / "20261201T184437Z-000099-abcd"));
  EXPECT_EQ(queue_->size(), 1u);
}

TEST_F(MailQueueTest, CorruptEnvelopeIsMovedAsideWithItsMessage) {
  const QueueEntry good = enqueue_one();
  const QueueEntry broken = enqueue_one();
  const QueueEntry wrong_size = enqueue_one();
  write_file(queue_->directory() / "env" / (broken.id + ".json"), "{\"version\":1, \"id\": tru");
  write_file(queue_->directory() / "msg" / wrong_size.id, "truncated");
  reopen();
  QueueLoadReport report;
  const auto entries = queue_->load(&report);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0], good);
  EXPECT_EQ(report.corrupt_moved_aside, 2u);
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_NE(report.problems[0].find("corrupt queue envelope"), std::string::npos);
  const fs::path corrupt = queue_->directory() / "corrupt";
  EXPECT_TRUE(fs::exists(corrupt / (broken.id + ".json")));
  EXPECT_TRUE(fs::exists(corrupt / broken.id));
  EXPECT_TRUE(fs::exists(corrupt / (wrong_size.id + ".json")));
  EXPECT_EQ(queue_->size(), 1u);
  // A second load finds nothing more to clean.
  QueueLoadReport again;
  EXPECT_EQ(queue_->load(&again).size(), 1u);
  EXPECT_EQ(again.corrupt_moved_aside + again.orphan_messages_removed, 0u);
}

TEST_F(MailQueueTest, EnvelopesThatAreValidJsonButNotEnvelopesAreCorrupt) {
  const std::vector<std::string> bad = {
      "[]",
      R"({"version":2})",
      R"({"version":1,"id":"x"})",
      R"({"version":1,"id":"ID","journey":"","sender":"","received_from":"","arrival":"2026-12-01T18:44:37Z",)"
      R"("next_attempt":"2026-12-01T18:44:37Z","attempts":1e300,"size":5,"recipients":[]})",
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const QueueEntry entry = enqueue_one();
    std::string text = bad[i];
    if (const auto pos = text.find("\"ID\""); pos != std::string::npos) text.replace(pos, 4, "\"" + entry.id + "\"");
    write_file(queue_->directory() / "env" / (entry.id + ".json"), text);
  }
  reopen();
  QueueLoadReport report;
  EXPECT_TRUE(queue_->load(&report).empty());
  EXPECT_EQ(report.corrupt_moved_aside, bad.size());
}

TEST_F(MailQueueTest, IdsAreUniqueAcrossAThousandEnqueues) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    auto result = queue_->enqueue("alice@alpha.test", {"bob@beta.test"}, "x\r\n", clock_.now());
    ASSERT_TRUE(result.ok()) << result.error;
    EXPECT_TRUE(is_valid_queue_id(result.value.id)) << result.value.id;
    ids.insert(result.value.id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(queue_->size(), 1000u);
}

TEST_F(MailQueueTest, ConcurrentEnqueuesAllLand) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(queue_->enqueue("alice@alpha.test", {"bob@beta.test"}, kMessage, clock_.now()).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  reopen();
  EXPECT_EQ(queue_->load().size(), 100u);
}

TEST_F(MailQueueTest, EnqueueFailureLeavesNothingBehind) {
  // A queue whose message directory has gone away (the disk failed under it).
  fs::remove_all(queue_->directory() / "msg");
  auto result = queue_->enqueue("alice@alpha.test", {"bob@beta.test"}, kMessage, clock_.now());
  EXPECT_EQ(result.status, StoreStatus::IoError);
  EXPECT_FALSE(result.error.empty());
  EXPECT_EQ(queue_->size(), 0u);
}

TEST_F(MailQueueTest, EnqueueWithoutRecipientsIsACallerBug) {
  EXPECT_THROW(queue_->enqueue("alice@alpha.test", {}, kMessage, clock_.now()), std::invalid_argument);
}

TEST(QueueId, RefusesAnythingThatCouldBeAPath) {
  EXPECT_TRUE(is_valid_queue_id("20261201T184437Z-000001-ab12"));
  using namespace std::string_view_literals;
  for (std::string_view bad : {""sv, ".."sv, "a/b"sv, "a.json"sv, "a b"sv, "a\nb"sv, "a\0b"sv}) {
    EXPECT_FALSE(is_valid_queue_id(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_queue_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace mailflow::sim
