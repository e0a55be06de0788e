// GroupSync: one fsync pass covers many waiters, and a failed pass fails exactly the
// tickets it covered.
#include "sim/group_sync.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace mailflow::sim {
namespace {

namespace fs = std::filesystem;

class GroupSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mailflow-group-sync-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name) {
    std::ofstream(dir_ / name) << name;
    return dir_ / name;
  }
  fs::path dir_;
};

TEST_F(GroupSyncTest, LoneWaiterRunsItsOwnPass) {
  GroupSync sync;
  const auto ticket = sync.enlist({file("a"), dir_});
  EXPECT_TRUE(sync.wait(ticket).ok());
  EXPECT_EQ(sync.stats().passes, 1u);
  EXPECT_EQ(sync.stats().fsyncs, 2u);
}

TEST_F(GroupSyncTest, TicketsEnlistedTogetherShareOnePass) {
  GroupSync sync;
  const auto shared = file("shared");
  const auto first = sync.enlist({shared, dir_});
  const auto second = sync.enlist({shared, dir_});
  EXPECT_TRUE(sync.wait(second).ok());  // leads a pass covering both
  EXPECT_TRUE(sync.wait(first).ok());   // already durable: no second pass
  EXPECT_EQ(sync.stats().passes, 1u);
  EXPECT_EQ(sync.stats().fsyncs, 2u);  // the same paths are fsynced once
}

TEST_F(GroupSyncTest, ConcurrentWaitersNeedFewerPassesThanTickets) {
  GroupSync sync;
  const auto target = file("target");
  constexpr int kThreads = 8, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!sync.wait(sync.enlist({target, dir_})).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(sync.stats().tickets, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_LE(sync.stats().passes, sync.stats().tickets);
}

TEST_F(GroupSyncTest, FailedPassFailsTheTicketsItCoveredOnly) {
  GroupSync sync;
  const auto missing = dir_ / "never-created";
  const auto covered_a = sync.enlist({missing});
  const auto covered_b = sync.enlist({file("b")});
  const auto failed = sync.wait(covered_a);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error.find("never-created"), std::string::npos);
  EXPECT_FALSE(sync.wait(covered_b).ok()) << "b was promised by the same failed pass";
  EXPECT_TRUE(sync.wait(sync.enlist({file("c")})).ok()) << "the next pass starts clean";
}

}  // namespace
}  // namespace mailflow::sim
