// Tests for the Maildir mail store: layout, durability of delivery, quota, UIDs and
// UIDVALIDITY across reopen, flags in file names, folder-name safety, folders, and
// concurrent delivery with readers. Each test works in its own fresh temp directory.
#include "sim/maildir_store.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "sim/maildir_names.hpp"
#include "sim/maildir_uidlist.hpp"

namespace mailflow::sim {
namespace {

namespace fs = std::filesystem;

class MaildirStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("mailflow-maildir-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root_);
    fs::create_directories(root_);
    store_ = std::make_unique<MaildirStore>(root_);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::shared_ptr<Mailbox> open_bob(Quota quota = {}) { return store_->open("bob@beta.test", quota); }
  // Simulates a restart: every in-memory object is gone, only the disk remains.
  std::shared_ptr<Mailbox> reopen_bob(std::shared_ptr<Mailbox>& mailbox, Quota quota = {}) {
    mailbox.reset();
    store_ = std::make_unique<MaildirStore>(root_);
    return open_bob(quota);
  }
  fs::path bob_dir() const { return root_ / "beta.test" / "bob"; }

  static std::vector<std::string> file_names(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  static void write_file(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }

  fs::path root_;
  std::unique_ptr<MaildirStore> store_;
};

// "<secs>.M<usec>P<pid>Q<counter>.<host>,S=<size>"
bool looks_like_unique_name(const std::string& name, std::size_t size) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
    return i > start;
  };
  auto literal = [&](char c) { return i < name.size() && name[i++] == c; };
  if (!(digits() && literal('.') && literal('M') && digits() && literal('P') && digits() && literal('Q') &&
        digits() && literal('.'))) {
    return false;
  }
  const std::string suffix = ",S=" + std::to_string(size);
  const std::string host = name.substr(i, name.size() - i - std::min(name.size() - i, suffix.size()));
  return !host.empty() && host.find_first_of("/:,") == std::string::npos && name.ends_with(suffix);
}

const std::string kMessage = "From: alice@alpha.test\r\nTo: bob@beta.test\r\nSubject: hi\r\n\r\nHello Bob.\r\n";

TEST_F(MaildirStoreTest, OpenCreatesMaildirAndMaildirPlusPlusFolders) {
  auto bob = open_bob();
  for (const fs::path& folder : {bob_dir(), bob_dir() / ".Sent", bob_dir() / ".Drafts", bob_dir() / ".Trash",
                                bob_dir() / ".Junk"}) {
    SCOPED_TRACE(folder.string());
    for (const char* sub : {"tmp", "new", "cur"}) EXPECT_TRUE(fs::is_directory(folder / sub)) << sub;
  }
  EXPECT_TRUE(fs::exists(bob_dir() / ".Sent" / "maildirfolder"));
  EXPECT_EQ(bob->list_folders().value,
            (std::vector<std::string>{"INBOX", "Drafts", "Junk", "Sent", "Trash"}));
}

TEST_F(MaildirStoreTest, DeliveryLandsInNewWithUniqueNameAndExactBytes) {
  auto bob = open_bob();
  const DeliveryResult result = bob->deliver("INBOX", kMessage);
  ASSERT_TRUE(result.stored()) << result.error;
  EXPECT_EQ(result.uid, 1u);
  EXPECT_NE(result.uidvalidity, 0u);
  EXPECT_EQ(result.path.parent_path(), bob_dir() / "new");
  EXPECT_TRUE(looks_like_unique_name(result.path.filename().string(), kMessage.size())) << result.path;
  EXPECT_EQ(file_names(bob_dir() / "new"), std::vector<std::string>{result.basename});
  EXPECT_TRUE(file_names(bob_dir() / "tmp").empty());
  EXPECT_TRUE(file_names(bob_dir() / "cur").empty());
  EXPECT_EQ(slurp(result.path), kMessage);

  const std::string uidlist = slurp(bob_dir() / "mailflow-uidlist");
  EXPECT_EQ(uidlist, "1 V" + std::to_string(result.uidvalidity) + " N2\n1 " + result.basename + "\n");

  const auto read = bob->read("INBOX", result.uid);
  ASSERT_TRUE(read.ok()) << read.error;
  EXPECT_EQ(read.value, kMessage);
}

TEST_F(MaildirStoreTest, QuotaByBytesRefusesTemporarilyAndStoresNothing) {
  auto bob = open_bob(Quota{.bytes = 100, .messages = 0, .temporary = true});
  const std::string sixty(60, 'x');
  ASSERT_TRUE(bob->deliver("INBOX", sixty).stored());

  const DeliveryResult refused = bob->deliver("INBOX", sixty);
  EXPECT_EQ(refused.status, StoreStatus::QuotaExceeded);
  EXPECT_TRUE(refused.temporary);
  EXPECT_EQ(refused.usage.bytes, 60u);
  EXPECT_EQ(refused.usage.messages, 1u);
  EXPECT_EQ(refused.limit.bytes, 100u);
  EXPECT_EQ(file_names(bob_dir() / "new").size(), 1u);
  EXPECT_TRUE(file_names(bob_dir() / "tmp").empty());
  EXPECT_EQ(bob->list("INBOX").value.size(), 1u);
  EXPECT_EQ(bob->usage().value.bytes, 60u);
  EXPECT_TRUE(bob->deliver("INBOX", std::string(40, 'y')).stored()) << "exactly at the limit fits";
}

TEST_F(MaildirStoreTest, QuotaByCountCoversAllFoldersAndIsPermanentByDefault) {
  auto bob = open_bob(Quota{.bytes = 0, .messages = 2, .temporary = false});
  ASSERT_TRUE(bob->deliver("INBOX", kMessage).stored());
  ASSERT_TRUE(bob->append("Sent", kMessage, "S").stored());

  const DeliveryResult refused = bob->deliver("INBOX", kMessage);
  EXPECT_EQ(refused.status, StoreStatus::QuotaExceeded);
  EXPECT_FALSE(refused.temporary);
  EXPECT_EQ(refused.usage.messages, 2u);
  EXPECT_EQ(refused.limit.messages, 2u);
  EXPECT_EQ(bob->list("INBOX").value.size(), 1u);
  EXPECT_EQ(bob->usage().value.messages, 2u);
}

TEST_F(MaildirStoreTest, QuotaChangedLiveAppliesToTheSharedMailbox) {
  auto bob = open_bob();
  ASSERT_TRUE(bob->deliver("INBOX", kMessage).stored());
  // A scenario shrinks the mailbox: opening again with the new quota applies it.
  auto same = store_->open("bob@beta.test", Quota{.bytes = 10, .messages = 0, .temporary = true});
  EXPECT_EQ(same, bob);
  EXPECT_EQ(bob->deliver("INBOX", kMessage).status, StoreStatus::QuotaExceeded);
}

TEST_F(MaildirStoreTest, UidsAndUidValidityAreStableAcrossReopen) {
  auto bob = open_bob();
  std::vector<std::uint32_t> uids;
  for (int i = 0; i < 3; ++i) uids.push_back(bob->deliver("INBOX", kMessage + std::to_string(i)).uid);
  EXPECT_EQ(uids, (std::vector<std::uint32_t>{1, 2, 3}));
  const auto before = bob->list("INBOX").value;
  const FolderStatus status_before = bob->status("INBOX").value;

  bob = reopen_bob(bob);
  const auto after = bob->list("INBOX").value;
  const FolderStatus status_after = bob->status("INBOX").value;
  ASSERT_EQ(after.size(), 3u);
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].uid, before[i].uid);
    EXPECT_EQ(after[i].basename, before[i].basename);
    EXPECT_EQ(bob->read("INBOX", after[i].uid).value, kMessage + std::to_string(i));
  }
  EXPECT_EQ(status_after.uidvalidity, status_before.uidvalidity);
  EXPECT_EQ(status_after.uidnext, 4u);
}

TEST_F(MaildirStoreTest, UidNextStaysMonotonicAfterExpungeSoUidsAreNeverReused) {
  auto bob = open_bob();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bob->deliver("INBOX", kMessage).stored());
  ASSERT_TRUE(bob->expunge("INBOX", 3).ok());
  EXPECT_EQ(bob->read("INBOX", 3).status, StoreStatus::NoSuchMessage);
  EXPECT_EQ(bob->expunge("INBOX", 3).status, StoreStatus::NoSuchMessage);

  bob = reopen_bob(bob);
  EXPECT_EQ(bob->status("INBOX").value.uidnext, 4u);
  EXPECT_EQ(bob->deliver("INBOX", kMessage).uid, 4u);
  std::vector<std::uint32_t> uids;
  for (const MessageInfo& m : bob->list("INBOX").value) uids.push_back(m.uid);
  EXPECT_EQ(uids, (std::vector<std::uint32_t>{1, 2, 4}));
}

TEST_F(MaildirStoreTest, FileDroppedInByAnotherToolGetsTheNextUidOnList) {
  auto bob = open_bob();
  ASSERT_EQ(bob->deliver("INBOX", kMessage).uid, 1u);
  write_file(bob_dir() / "cur" / "1700000001.hand.example:2,S", "dropped one");
  write_file(bob_dir() / "new" / "1700000002.hand.example", "dropped two");

  const auto listed = bob->list("INBOX").value;
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[1].uid, 2u);
  EXPECT_EQ(listed[1].basename, "1700000001.hand.example");
  EXPECT_EQ(listed[1].flags, "S");
  EXPECT_FALSE(listed[1].recent);
  EXPECT_EQ(listed[2].uid, 3u);
  EXPECT_TRUE(listed[2].recent);
  EXPECT_EQ(bob->read("INBOX", 3).value, "dropped two");

  bob = reopen_bob(bob);
  const auto again = bob->list("INBOX").value;
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[2].basename, "1700000002.hand.example");
  EXPECT_EQ(again[2].uid, 3u);
}

TEST_F(MaildirStoreTest, FlagsRoundTripThroughFileNameAndSurviveReopen) {
  auto bob = open_bob();
  const DeliveryResult delivered = bob->deliver("INBOX", kMessage);
  const auto flagged = bob->set_flags("INBOX", delivered.uid, "SF");
  ASSERT_TRUE(flagged.ok()) << flagged.error;
  EXPECT_EQ(flagged.value.flags, "FS");
  EXPECT_EQ(file_names(bob_dir() / "cur"), std::vector<std::string>{delivered.basename + ":2,FS"});
  EXPECT_TRUE(file_names(bob_dir() / "new").empty());

  bob = reopen_bob(bob);
  auto listed = bob->list("INBOX").value;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].uid, delivered.uid);
  EXPECT_EQ(listed[0].flags, "FS");
  EXPECT_FALSE(listed[0].recent);
  EXPECT_EQ(bob->status("INBOX").value.unseen, 0u);

  EXPECT_EQ(bob->change_flags("INBOX", delivered.uid, "R", "F").value.flags, "RS");
  EXPECT_EQ(bob->set_flags("INBOX", delivered.uid, "").value.flags, "");
  EXPECT_EQ(file_names(bob_dir() / "cur"), std::vector<std::string>{delivered.basename + ":2,"});
  EXPECT_EQ(bob->set_flags("INBOX", delivered.uid, "S1").status, StoreStatus::InvalidFlags);
  EXPECT_EQ(bob->set_flags("INBOX", 99, "S").status, StoreStatus::NoSuchMessage);
  EXPECT_EQ(bob->read("INBOX", delivered.uid).value, kMessage);
}

TEST_F(MaildirStoreTest, TakeRecentHandsEachNewMessageToOneCallerOnly) {
  auto bob = open_bob();
  ASSERT_TRUE(bob->deliver("INBOX", kMessage).stored());
  ASSERT_TRUE(bob->deliver("INBOX", kMessage).stored());
  EXPECT_EQ(bob->status("INBOX").value.recent, 2u);
  EXPECT_EQ(bob->take_recent("INBOX").value, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_TRUE(bob->take_recent("INBOX").value.empty());
  EXPECT_EQ(bob->status("INBOX").value.recent, 0u);
  EXPECT_EQ(bob->status("INBOX").value.unseen, 2u);
  for (const std::string& name : file_names(bob_dir() / "cur")) EXPECT_TRUE(name.ends_with(":2,")) << name;
}

TEST_F(MaildirStoreTest, UnsafeFolderNamesAreRefused) {
  auto bob = open_bob();
  const std::string unsafe[] = {"",      "..",     ".",          "../x",    "a/b",  "/etc",   ".hidden",
                                "a..b",  "a.",     ".Sent",      "a\\b",    "a*",   "%",      "a\nb",
                                "a\tb",  "a\x7f",  std::string("a\0b", 3), "x.../y", std::string(300, 'a')};
  for (const std::string& name : unsafe) {
    SCOPED_TRACE(::testing::PrintToString(name));
    EXPECT_FALSE(maildir::folder_directory(name).has_value());
    EXPECT_EQ(bob->create_folder(name).status, StoreStatus::InvalidName);
    EXPECT_EQ(bob->deliver(name, kMessage).status, StoreStatus::InvalidName);
    EXPECT_EQ(bob->list(name).status, StoreStatus::InvalidName);
    EXPECT_EQ(bob->delete_folder(name).status, StoreStatus::InvalidName);
  }
  EXPECT_EQ(file_names(root_), std::vector<std::string>{"beta.test"});
  EXPECT_EQ(maildir::folder_directory("inbox"), "");
  EXPECT_EQ(maildir::folder_directory("Sent"), ".Sent");
  EXPECT_EQ(maildir::folder_directory("Archive.2024"), ".Archive.2024");
  EXPECT_FALSE(maildir::mailbox_location("../x@beta.test").has_value());
  EXPECT_FALSE(maildir::mailbox_location("bob@..").has_value());
  EXPECT_FALSE(maildir::mailbox_location("bob@a/b").has_value());
  EXPECT_THROW(store_->open("../../etc@beta.test", Quota{}), std::invalid_argument);
}

TEST_F(MaildirStoreTest, OpenSharesOneMailboxPerAddressWhileItIsAlive) {
  auto bob = open_bob();
  EXPECT_EQ(store_->open("bob@BETA.test", Quota{}), bob);
  EXPECT_NE(store_->open("carol@beta.test", Quota{}), bob);
  EXPECT_EQ(store_->maildir_of("bob@beta.test"), bob_dir());
  bob.reset();  // the last holder lets go: the next open builds a fresh object
  auto again = open_bob();
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->deliver("INBOX", kMessage).stored());
}

TEST_F(MaildirStoreTest, LeftoverInTmpFromACrashIsNotAMessage) {
  auto bob = open_bob();
  write_file(bob_dir() / "tmp" / "1700000000.M1P1Q1.host,S=5", "half-");
  EXPECT_TRUE(bob->list("INBOX").value.empty());
  EXPECT_EQ(bob->status("INBOX").value.messages, 0u);
  EXPECT_EQ(bob->usage().value.messages, 0u);
  EXPECT_EQ(bob->deliver("INBOX", kMessage).uid, 1u);
}

// Lowers RLIMIT_FSIZE so writes past `limit` fail with EFBIG, for the test's duration.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t limit) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit lowered = previous_;
    lowered.rlim_cur = limit;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit previous_{};
  void (*previous_handler_)(int);
};

TEST_F(MaildirStoreTest, WriteFailureReportsIoErrorAndLeavesNothingVisible) {
  auto bob = open_bob();
  DeliveryResult failed;
  {
    FileSizeLimit limit(4096);
    failed = bob->deliver("INBOX", std::string(64 * 1024, 'z'));
  }
  EXPECT_EQ(failed.status, StoreStatus::IoError);
  EXPECT_NE(failed.error.find("write"), std::string::npos) << failed.error;
  EXPECT_TRUE(file_names(bob_dir() / "tmp").empty());
  EXPECT_TRUE(file_names(bob_dir() / "new").empty());
  EXPECT_TRUE(bob->list("INBOX").value.empty());

  // A folder whose tmp/ is unusable fails cleanly too.
  fs::remove_all(bob_dir() / ".Junk" / "tmp");
  write_file(bob_dir() / ".Junk" / "tmp", "not a directory");
  EXPECT_EQ(bob->deliver("Junk", kMessage).status, StoreStatus::IoError);
  EXPECT_TRUE(file_names(bob_dir() / ".Junk" / "new").empty());
}

TEST_F(MaildirStoreTest, CopyAndAppendKeepFlagsAndInternalDateWithNewUids) {
  auto bob = open_bob();
  const auto date = std::chrono::system_clock::from_time_t(1'600'000'000);
  const DeliveryResult appended = bob->append("Drafts", kMessage, "D", date);
  ASSERT_TRUE(appended.stored()) << appended.error;
  EXPECT_EQ(appended.path.parent_path(), bob_dir() / ".Drafts" / "cur");
  ASSERT_TRUE(bob->deliver("INBOX", "first").stored());

  const DeliveryResult copied = bob->copy("Drafts", appended.uid, "INBOX");
  ASSERT_TRUE(copied.stored()) << copied.error;
  EXPECT_EQ(copied.uid, 2u);
  const auto inbox = bob->list("INBOX").value;
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[1].flags, "D");
  EXPECT_EQ(inbox[1].internal_date, date);
  EXPECT_EQ(bob->read("INBOX", 2).value, kMessage);
  EXPECT_EQ(bob->list("Drafts").value.size(), 1u) << "copy leaves the source";
  EXPECT_EQ(bob->copy("Drafts", 42, "INBOX").status, StoreStatus::NoSuchMessage);
  EXPECT_EQ(bob->copy("Drafts", appended.uid, "Nowhere").status, StoreStatus::NoSuchFolder);
}

TEST_F(MaildirStoreTest, FoldersCanBeCreatedRenamedWithChildrenAndDeletedButNotInbox) {
  auto bob = open_bob();
  ASSERT_TRUE(bob->create_folder("Archive").ok());
  ASSERT_TRUE(bob->create_folder("Archive.2024").ok());
  EXPECT_EQ(bob->create_folder("Archive").status, StoreStatus::AlreadyExists);
  EXPECT_EQ(bob->create_folder("INBOX").status, StoreStatus::AlreadyExists);
  const DeliveryResult kept = bob->deliver("Archive.2024", kMessage);
  ASSERT_TRUE(kept.stored());

  ASSERT_TRUE(bob->rename_folder("Archive", "Old").ok());
  EXPECT_EQ(bob->list_folders().value,
            (std::vector<std::string>{"INBOX", "Drafts", "Junk", "Old", "Old.2024", "Sent", "Trash"}));
  EXPECT_EQ(bob->read("Old.2024", kept.uid).value, kMessage);
  EXPECT_EQ(bob->rename_folder("Old", "Sent").status, StoreStatus::AlreadyExists);
  EXPECT_EQ(bob->rename_folder("INBOX", "Other").status, StoreStatus::NotPermitted);
  EXPECT_EQ(bob->rename_folder("Old", "Old.sub").status, StoreStatus::NotPermitted);

  EXPECT_EQ(bob->delete_folder("INBOX").status, StoreStatus::NotPermitted);
  EXPECT_EQ(bob->delete_folder("Nope").status, StoreStatus::NoSuchFolder);
  ASSERT_TRUE(bob->delete_folder("Old.2024").ok());
  EXPECT_FALSE(bob->folder_exists("Old.2024"));
  EXPECT_TRUE(bob->folder_exists("Old"));
  EXPECT_EQ(bob->deliver("Old.2024", kMessage).status, StoreStatus::NoSuchFolder);
  EXPECT_TRUE(file_names(bob_dir() / "tmp").empty()) << "deleted folders do not linger";
}

// Message n is self-describing so a reader can check it is complete and byte-exact.
std::string numbered_message(int n) {
  std::string message = "X-Seq: " + std::to_string(n) + "\r\nSubject: load\r\n\r\n";
  const std::size_t body = 100 + static_cast<std::size_t>(n) * 331 % 20000;
  for (std::size_t i = 0; i < body; ++i) message += static_cast<char>('a' + (i + n) % 26);
  return message + "\r\nEND " + std::to_string(n) + "\r\n";
}

int sequence_of(const std::string& message) {
  if (message.rfind("X-Seq: ", 0) != 0) return -1;
  return std::atoi(message.c_str() + 7);
}

TEST_F(MaildirStoreTest, ConcurrentDeliveryAndReadersSeeOnlyCompleteMessages) {
  constexpr int kMessages = 200;
  constexpr int kReaders = 3;
  auto bob = open_bob();
  std::atomic<bool> writer_done{false};
  std::atomic<int> delivery_failures{0};
  std::atomic<int> bad_reads{0};
  std::atomic<int> good_reads{0};

  std::thread writer([&] {
    for (int n = 0; n < kMessages; ++n) {
      if (!bob->deliver("INBOX", numbered_message(n)).stored()) ++delivery_failures;
    }
    writer_done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      // Each reader opens the mailbox itself, as a POP3 or IMAP session would.
      auto mailbox = store_->open("bob@beta.test", Quota{});
      bool last_pass = false;
      while (!last_pass) {
        last_pass = writer_done.load();
        const auto listed = mailbox->list("INBOX");
        if (!listed.ok()) ++bad_reads;
        for (const MessageInfo& info : listed.value) {
          const auto bytes = mailbox->read("INBOX", info.uid);
          const int n = bytes.ok() ? sequence_of(bytes.value) : -1;
          if (n < 0 || bytes.value != numbered_message(n) || info.size != bytes.value.size()) {
            ++bad_reads;
          } else {
            ++good_reads;
          }
          // One reader flags messages meanwhile, so reads race with renames too.
          if (r == 0 && info.uid % 2 == 0) mailbox->set_flags("INBOX", info.uid, "S");
        }
      }
    });
  }
  writer.join();
  for (std::thread& reader : readers) reader.join();

  EXPECT_EQ(delivery_failures.load(), 0);
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_GT(good_reads.load(), 0);
  const auto final_list = bob->list("INBOX").value;
  ASSERT_EQ(final_list.size(), static_cast<std::size_t>(kMessages));
  std::set<std::uint32_t> uids;
  std::set<int> sequences;
  for (const MessageInfo& info : final_list) {
    uids.insert(info.uid);
    const auto bytes = bob->read("INBOX", info.uid);
    sequences.insert(sequence_of(bytes.value));
    EXPECT_EQ(bytes.value, numbered_message(sequence_of(bytes.value)));
  }
  EXPECT_EQ(uids.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(sequences.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(*sequences.begin(), 0);
  EXPECT_EQ(*sequences.rbegin(), kMessages - 1);
}

TEST(MaildirUidList, DamagedRecordsAreSkippedAndNextUidStaysAboveEveryUidSeen) {
  const auto parsed = maildir::parse_uid_list("1 V5 N3\n1 a.host\n7 b.host\njunk\n2 a.host\n0 z\n3 ../x\n");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->uidvalidity, 5u);
  EXPECT_EQ(parsed->next_uid, 8u);
  EXPECT_EQ(parsed->basenames, (std::map<std::uint32_t, std::string>{{1, "a.host"}, {7, "b.host"}}));
  EXPECT_FALSE(maildir::parse_uid_list("garbage\n1 a\n").has_value());
  EXPECT_FALSE(maildir::parse_uid_list("1 V0 N3\n").has_value());
  EXPECT_EQ(maildir::serialize_uid_list(*parsed), "1 V5 N8\n1 a.host\n7 b.host\n");
}

TEST(MaildirNames, FlagsAreSortedLettersAndFileNamesSplitAtInfo) {
  EXPECT_FALSE(maildir::normalize_flags("S F").has_value());
  EXPECT_EQ(maildir::normalize_flags("TSRPFDS"), "DFPRST");
  EXPECT_EQ(maildir::parse_message_file_name("123.abc,S=9:2,FS").basename, "123.abc,S=9");
  EXPECT_EQ(maildir::parse_message_file_name("123.abc,S=9:2,FS").flags, "FS");
  EXPECT_EQ(maildir::parse_message_file_name("123.abc:1,xyz").flags, "");
  EXPECT_EQ(maildir::size_from_basename("123.M1P2Q3.host,S=1234"), 1234u);
  EXPECT_FALSE(maildir::size_from_basename("123.M1P2Q3.host").has_value());
}

}  // namespace
}  // namespace mailflow::sim

namespace mailflow::sim {
namespace {

class MaildirCostTest : public MaildirStoreTest {};

TEST_F(MaildirCostTest, FiveHundredDeliveriesListNoFolderAndRewriteTheUidListAtMostTwice) {
  auto bob = open_bob();
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(bob->deliver("INBOX", "X-Seq: " + std::to_string(i) + "\r\n\r\nhi\r\n").stored());
  const StoreStats& stats = bob->stats();
  EXPECT_EQ(stats.folder_scans.load(), 0u);
  EXPECT_LE(stats.usage_scans.load(), 1u);  // the first use only
  EXPECT_LE(stats.uidlist_rewrites.load(), 2u);
  EXPECT_LE(stats.uidlist_loads.load(), 1u);
  EXPECT_GE(stats.uidlist_appends.load(), 498u);
  // The MX opens the mailbox per delivery: the caches survive that.
  bob.reset();
  bob = open_bob();
  ASSERT_TRUE(bob->deliver("INBOX", "one more\r\n").stored());
  EXPECT_EQ(bob->stats().usage_scans.load(), 0u);
  EXPECT_EQ(bob->stats().folder_scans.load(), 0u);
  EXPECT_EQ(bob->stats().uidlist_rewrites.load(), 0u);
  EXPECT_EQ(bob->list("INBOX").value.size(), 501u);
}

TEST_F(MaildirCostTest, UidsPersistAcrossReopenAfterAppends) {
  auto bob = open_bob();
  std::vector<std::string> basenames;
  for (int i = 0; i < 5; ++i) basenames.push_back(bob->deliver("INBOX", "m" + std::to_string(i)).basename);
  const std::string uidlist = slurp(bob_dir() / "mailflow-uidlist");
  EXPECT_NE(uidlist.find("\n5 " + basenames[4] + "\n"), std::string::npos) << uidlist;
  const std::uint32_t validity = bob->status("INBOX").value.uidvalidity;

  bob = reopen_bob(bob);
  const auto listed = bob->list("INBOX").value;
  ASSERT_EQ(listed.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(listed[i].uid, i + 1);
    EXPECT_EQ(listed[i].basename, basenames[i]);
  }
  EXPECT_EQ(bob->status("INBOX").value.uidvalidity, validity);
  EXPECT_EQ(bob->status("INBOX").value.uidnext, 6u);
  EXPECT_EQ(bob->deliver("INBOX", "six").uid, 6u);
  // A second Mailbox object for the same Maildir (another process) sees the appended UID.
  MaildirStore other(root_);
  auto bob2 = other.open("bob@beta.test", Quota{});
  EXPECT_EQ(bob2->deliver("INBOX", "seven").uid, 7u);
  EXPECT_EQ(bob->deliver("INBOX", "eight").uid, 8u);
  EXPECT_EQ(bob->usage().value.messages, 8u);
}

TEST_F(MaildirCostTest, TornUidListTailIsIgnoredAndNeverGluedToTheNextRecord) {
  auto bob = open_bob();
  const auto first = bob->deliver("INBOX", "first");
  const auto second = bob->deliver("INBOX", "second");
  ASSERT_EQ(second.uid, 2u);
  bob.reset();
  // A crash in the middle of appending UID 3 for a message whose file made it to new/.
  write_file(bob_dir() / "new" / "1700000009.torn.example", "third");
  {
    std::ofstream out(bob_dir() / "mailflow-uidlist", std::ios::binary | std::ios::app);
    out << "3 1700000009.to";
  }
  bob = reopen_bob(bob);
  // The torn record is not a UID (its basename is wrong); the real file gets a fresh UID
  // above the torn digits, and the next append is a record of its own.
  const auto delivered = bob->deliver("INBOX", "fourth");
  ASSERT_TRUE(delivered.stored());
  EXPECT_GE(delivered.uid, 4u);
  const std::string uidlist = slurp(bob_dir() / "mailflow-uidlist");
  EXPECT_EQ(uidlist.find("1700000009.to\n"), std::string::npos) << uidlist;
  EXPECT_EQ(uidlist.back(), '\n');

  bob = reopen_bob(bob);
  const auto listed = bob->list("INBOX").value;
  ASSERT_EQ(listed.size(), 4u);
  std::set<std::uint32_t> uids;
  for (const MessageInfo& m : listed) uids.insert(m.uid);
  EXPECT_EQ(uids.size(), 4u);
  EXPECT_EQ(listed[0].uid, first.uid);
  EXPECT_EQ(listed[1].uid, second.uid);
  EXPECT_EQ(bob->read("INBOX", delivered.uid).value, "fourth");
  std::uint32_t torn_uid = 0;
  for (const MessageInfo& m : listed) {
    if (m.basename == "1700000009.torn.example") torn_uid = m.uid;
  }
  EXPECT_GT(torn_uid, 3u);
  EXPECT_NE(torn_uid, delivered.uid);

  // Stable once more after another restart.
  bob = reopen_bob(bob);
  const auto again = bob->list("INBOX").value;
  ASSERT_EQ(again.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(again[i].uid, listed[i].uid);
}

TEST(MaildirUidListTorn, ParserSkipsALastLineWithoutNewline) {
  bool torn = false;
  const auto parsed = maildir::parse_uid_list("1 V5 N2\n1 a.host\n2 b.host\n3 c.ho", &torn);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(torn);
  EXPECT_EQ(parsed->basenames.size(), 2u);
  EXPECT_EQ(parsed->next_uid, 4u);
  EXPECT_EQ(parsed->uidvalidity, 5u);
  const auto whole = maildir::parse_uid_list("1 V5 N9\n1 a.host\n", &torn);
  EXPECT_FALSE(torn);
  EXPECT_EQ(whole->next_uid, 9u);  // a header ahead of the records never goes backwards
}

TEST_F(MaildirCostTest, UsageStaysRightAfterDeliverExpungeAndDelete) {
  auto bob = open_bob();
  ASSERT_TRUE(bob->deliver("INBOX", std::string(100, 'a')).stored());
  ASSERT_TRUE(bob->deliver("INBOX", std::string(50, 'b')).stored());
  ASSERT_TRUE(bob->append("Sent", std::string(30, 'c'), "S").stored());
  ASSERT_TRUE(bob->copy("INBOX", 1, "Trash").stored());
  EXPECT_EQ(bob->usage().value.bytes, 280u);
  EXPECT_EQ(bob->usage().value.messages, 4u);
  ASSERT_TRUE(bob->expunge("INBOX", 2).ok());
  EXPECT_EQ(bob->usage().value.bytes, 230u);
  EXPECT_EQ(bob->usage().value.messages, 3u);
  ASSERT_TRUE(bob->delete_folder("Trash").ok());
  EXPECT_EQ(bob->usage().value.bytes, 130u);
  EXPECT_EQ(bob->usage().value.messages, 2u);
  // Quota uses the cache: 130 + 100 > 200 is refused, 130 + 70 fits.
  bob->set_quota(Quota{.bytes = 200, .messages = 0, .temporary = true});
  EXPECT_EQ(bob->deliver("INBOX", std::string(100, 'd')).status, StoreStatus::QuotaExceeded);
  EXPECT_TRUE(bob->deliver("INBOX", std::string(70, 'e')).stored());
  EXPECT_EQ(bob->usage().value.bytes, 200u);
  // Another mailflow process delivering is seen at once (change counter in the lock file).
  {
    MaildirStore other(root_);
    auto bob2 = other.open("bob@beta.test", Quota{});
    ASSERT_TRUE(bob2->deliver("Drafts", "x").stored());
  }
  EXPECT_EQ(bob->usage().value.bytes, 201u);
  // A restart recomputes the same numbers from disk.
  bob = reopen_bob(bob);
  EXPECT_EQ(bob->usage().value.bytes, 201u);
  EXPECT_EQ(bob->usage().value.messages, 4u);
}

TEST_F(MaildirCostTest, FileDroppedInByHandGetsAUidAndCountsAtTheNextList) {
  auto bob = open_bob();
  ASSERT_EQ(bob->deliver("INBOX", "ours").uid, 1u);
  EXPECT_EQ(bob->usage().value.messages, 1u);
  write_file(bob_dir() / "new" / "1700000003.hand.example", "by hand");
  // Documented staleness: usage lags a hand-dropped file until the folder is next scanned.
  const auto listed = bob->list("INBOX").value;
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].uid, 2u);
  EXPECT_EQ(listed[1].basename, "1700000003.hand.example");
  EXPECT_EQ(bob->usage().value.messages, 2u);
  EXPECT_EQ(bob->usage().value.bytes, 4u + 7u);
  // Deliveries after it continue above it, and the UIDs hold across a restart.
  EXPECT_EQ(bob->deliver("INBOX", "next").uid, 3u);
  bob = reopen_bob(bob);
  const auto again = bob->list("INBOX").value;
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[1].basename, "1700000003.hand.example");
  EXPECT_EQ(again[1].uid, 2u);
  EXPECT_EQ(again[2].uid, 3u);
}

TEST_F(MaildirCostTest, ListingAgainStatsOnlyFilesItHasNotSeenAndKeepsTheirFacts) {
  auto bob = open_bob();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bob->deliver("INBOX", "m" + std::to_string(i) + "\r\n").stored());
  const auto first = bob->list("INBOX").value;
  const auto stats_after_first = bob->stats().file_stats.load();
  EXPECT_EQ(stats_after_first, 3u);
  const auto second = bob->list("INBOX").value;
  EXPECT_EQ(bob->stats().file_stats.load(), stats_after_first);
  ASSERT_EQ(second.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(second[i].size, first[i].size);
    EXPECT_EQ(second[i].internal_date, first[i].internal_date);
  }
  // A flag change renames the file: same basename, same facts, no stat.
  ASSERT_TRUE(bob->change_flags("INBOX", second[0].uid, "S", "").ok());
  ASSERT_TRUE(bob->expunge("INBOX", second[1].uid).ok());
  ASSERT_TRUE(bob->deliver("INBOX", "m3\r\n").stored());
  const auto third = bob->list("INBOX").value;
  EXPECT_EQ(bob->stats().file_stats.load(), stats_after_first + 1);
  ASSERT_EQ(third.size(), 3u);
  EXPECT_EQ(third[0].flags, "S");
  EXPECT_EQ(third[0].internal_date, first[0].internal_date);
  EXPECT_EQ(third[2].size, 4u);
}

TEST_F(MaildirCostTest, TakeRecentListsNothingWhileNewIsEmpty) {
  auto bob = open_bob();
  ASSERT_TRUE(bob->deliver("INBOX", "hello\r\n").stored());
  EXPECT_EQ(bob->take_recent("INBOX").value.size(), 1u);
  const auto scans = bob->stats().folder_scans.load();
  EXPECT_TRUE(bob->take_recent("INBOX").value.empty());
  EXPECT_EQ(bob->stats().folder_scans.load(), scans);
  ASSERT_TRUE(bob->deliver("INBOX", "again\r\n").stored());
  EXPECT_EQ(bob->take_recent("INBOX").value.size(), 1u);
}

}  // namespace
}  // namespace mailflow::sim
