// Tests for keywords in the Maildir store (the dovecot-keywords file and letters in file
// names) and for folder change stamps. Each test works in its own fresh temp directory.
#include "sim/maildir_keywords.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "sim/maildir_store.hpp"

namespace mailflow::sim {
namespace {

namespace fs = std::filesystem;
using namespace maildir;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class MaildirKeywords : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("mailflow-keywords-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root_);
    store_ = std::make_unique<MaildirStore>(root_);
    box_ = store_->open("bob@beta.test", Quota{});
  }
  void TearDown() override {
    box_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::uint32_t deliver(std::string_view folder = "INBOX") {
    auto r = box_->deliver(folder, "Subject: hi\r\n\r\nbody\r\n");
    EXPECT_TRUE(r.stored()) << r.error;
    return r.uid;
  }
  std::string flags_of(std::string_view folder, std::uint32_t uid) {
    for (const auto& m : box_->list(folder).value) {
      if (m.uid == uid) return m.flags;
    }
    return "?";
  }

  fs::path root_;
  std::unique_ptr<MaildirStore> store_;
  std::shared_ptr<Mailbox> box_;
};

TEST(MaildirKeywordsFile, ParsesAndSerializesDovecotFormat) {
  const auto keywords = parse_keywords("0 $Forwarded\n1 $Junk\n2 NonJunk\n");
  ASSERT_EQ(keywords, (std::vector<std::string>{"$Forwarded", "$Junk", "NonJunk"}));
  EXPECT_EQ(serialize_keywords(keywords), "0 $Forwarded\n1 $Junk\n2 NonJunk\n");
  EXPECT_EQ(find_keyword(keywords, "$junk"), 1u);
  EXPECT_FALSE(find_keyword(keywords, "$MDNSent"));
}

TEST(MaildirKeywordsFile, DamagedLinesKeepOtherLettersMeaning) {
  const auto keywords = parse_keywords("0 $Forwarded\ngarbage\n2 $Junk\n26 TooFar\n1 bad(name\n0 $Forwarded\r\n");
  ASSERT_EQ(keywords.size(), 3u);
  EXPECT_EQ(keywords[0], "$Forwarded");
  EXPECT_EQ(keywords[1], "");  // letter b stays unnamed, c is still $Junk
  EXPECT_EQ(keywords[2], "$Junk");
  EXPECT_EQ(serialize_keywords(keywords), "0 $Forwarded\n2 $Junk\n");
  EXPECT_TRUE(parse_keywords("").empty());
}

TEST(MaildirKeywordsFile, KeywordsMustBeAtoms) {
  EXPECT_TRUE(is_valid_keyword("$MDNSent"));
  EXPECT_FALSE(is_valid_keyword(""));
  EXPECT_FALSE(is_valid_keyword("\\Seen"));
  EXPECT_FALSE(is_valid_keyword("two words"));
  EXPECT_FALSE(is_valid_keyword("brace{"));
  EXPECT_FALSE(is_valid_keyword(std::string(129, 'k')));
  EXPECT_FALSE(is_valid_keyword("caf\xc3\xa9"));
}

TEST_F(MaildirKeywords, NewKeywordsGetTheNextLettersAndAreWrittenAtomically) {
  auto first = box_->keyword_letters("INBOX", {"$Junk"}, true);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value, "a");
  auto both = box_->keyword_letters("INBOX", {"$Forwarded", "$JUNK"}, true);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both.value, "ab");
  EXPECT_EQ(read_text(box_->maildir() / "dovecot-keywords"), "0 $Junk\n1 $Forwarded\n");
  for (const auto& entry : fs::directory_iterator(box_->maildir())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
  auto listed = box_->keywords("INBOX");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed.value, (std::vector<std::string>{"$Junk", "$Forwarded"}));
}

TEST_F(MaildirKeywords, LookupWithoutCreateLeavesTheFileAlone) {
  auto none = box_->keyword_letters("INBOX", {"$Junk"}, false);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value, "");
  EXPECT_FALSE(fs::exists(box_->maildir() / "dovecot-keywords"));
  EXPECT_EQ(box_->keyword_letters("INBOX", {"bad name"}, true).status, StoreStatus::InvalidFlags);
}

TEST_F(MaildirKeywords, TwentySixKeywordsAtMost) {
  std::vector<std::string> names;
  for (char c = 'A'; c <= 'Z'; ++c) names.push_back(std::string("K") + c);
  auto all = box_->keyword_letters("Sent", names, true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value, "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(box_->keyword_letters("Sent", {"K27"}, true).status, StoreStatus::TooManyKeywords);
  EXPECT_EQ(box_->keywords("Sent").value.size(), 26u);
  EXPECT_EQ(box_->keyword_letters("Sent", {"KZ"}, true).value, "z");
}

TEST_F(MaildirKeywords, CopyMapsLettersToTheTargetFoldersKeywords) {
  ASSERT_EQ(box_->keyword_letters("Sent", {"Other"}, true).value, "a");
  const std::uint32_t uid = deliver();
  const std::string letters = box_->keyword_letters("INBOX", {"$Forwarded"}, true).value;
  ASSERT_TRUE(box_->change_flags("INBOX", uid, "S" + letters, "").ok());
  auto copied = box_->copy("INBOX", uid, "Sent");
  ASSERT_TRUE(copied.stored()) << copied.error;
  EXPECT_EQ(flags_of("Sent", copied.uid), "Sb");
  EXPECT_EQ(box_->keywords("Sent").value, (std::vector<std::string>{"Other", "$Forwarded"}));
}

TEST_F(MaildirKeywords, CopyDropsLettersTheSourceNeverNamed) {
  const std::uint32_t uid = deliver();
  ASSERT_TRUE(box_->set_flags("INBOX", uid, "Fq").ok());  // another tool's stray letter
  auto copied = box_->copy("INBOX", uid, "Trash");
  ASSERT_TRUE(copied.stored());
  EXPECT_EQ(flags_of("Trash", copied.uid), "F");
}

TEST_F(MaildirKeywords, CopyIntoAFullFolderIsRefused) {
  std::vector<std::string> names;
  for (char c = 'A'; c <= 'Z'; ++c) names.push_back(std::string("K") + c);
  ASSERT_TRUE(box_->keyword_letters("Trash", names, true).ok());
  const std::uint32_t uid = deliver();
  ASSERT_TRUE(box_->change_flags("INBOX", uid, box_->keyword_letters("INBOX", {"New"}, true).value, "").ok());
  EXPECT_EQ(box_->copy("INBOX", uid, "Trash").status, StoreStatus::TooManyKeywords);
  EXPECT_TRUE(box_->list("Trash").value.empty());
}

TEST_F(MaildirKeywords, StampMovesWithEveryChangeAndOnlyThen) {
  const std::uint32_t uid = deliver();
  auto listing = box_->listing("INBOX");
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing.value.messages.size(), 1u);
  EXPECT_EQ(box_->stamp("INBOX").value, listing.value.stamp);
  box_->read("INBOX", uid);
  deliver("Sent");
  EXPECT_EQ(box_->stamp("INBOX").value, listing.value.stamp);  // reads and other folders
  auto before = box_->stamp("INBOX").value;
  ASSERT_TRUE(box_->change_flags("INBOX", uid, "S", "").ok());
  auto after = box_->stamp("INBOX").value;
  EXPECT_NE(after, before);
  EXPECT_EQ(after.changes, before.changes + 1);
  deliver();
  EXPECT_NE(box_->stamp("INBOX").value, after);
  after = box_->stamp("INBOX").value;
  ASSERT_TRUE(box_->expunge("INBOX", uid).ok());
  EXPECT_NE(box_->stamp("INBOX").value, after);
}

TEST_F(MaildirKeywords, StampSeesAFileAnotherProgramAdded) {
  deliver();
  auto listing = box_->listing("INBOX");
  ASSERT_TRUE(listing.ok());
  // Past the file system's timestamp granularity, so the directory's mtime must move.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::ofstream(box_->maildir() / "new" / "1700000000.M1P1Q1.elsewhere") << "Subject: by hand\r\n\r\nx\r\n";
  EXPECT_NE(box_->stamp("INBOX").value, listing.value.stamp);
  EXPECT_EQ(box_->listing("INBOX").value.messages.size(), 2u);
}

TEST_F(MaildirKeywords, ReadPrefixStopsEarly) {
  const std::uint32_t uid = deliver();
  auto prefix = box_->read_prefix("INBOX", uid, 7);
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix.value, "Subject");
  EXPECT_EQ(box_->read_prefix("INBOX", uid, 1000).value, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(box_->read_prefix("INBOX", 999, 10).status, StoreStatus::NoSuchMessage);
}

}  // namespace
}  // namespace mailflow::sim
