// What an IMAP session tells the event bus about one message: its journey id on every
// fetch, flag change and expunge; and that a quiet folder costs no directory listing and
// an envelope once worked out costs no file read.
#include "tests/imap/imap_server_fixture.hpp"

namespace mailflow::imap {
namespace {

using namespace imap_test;

std::string journey_letter(const std::string& journey, const std::string& subject) {
  return "X-Mailflow-Journey: " + journey + "\r\n" + letter(subject);
}

class ImapJourney : public ImapServerTest {
 protected:
  void login(Client& c) { ASSERT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "OK")); }
};

TEST_F(ImapJourney, FetchEventsCarryTheJourneyOfTheirMessage) {
  deliver_bytes(journey_letter("j-one", "one"));
  deliver_bytes(journey_letter("j-two", "two"));
  EventLog log(bus_);
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  c.command("FETCH 1 BODY[]");
  c.command("UID FETCH 2 (ENVELOPE)");
  auto fetched = log.of(sim::EventKind::Fetched);
  ASSERT_EQ(fetched.size(), 2u);
  EXPECT_EQ(fetched[0].journey, "j-one");
  EXPECT_EQ(fetched[1].journey, "j-two");
}

TEST_F(ImapJourney, FlagChangeDeletionAndExpungeCarryTheJourney) {
  deliver_bytes(journey_letter("j-kept", "kept"));
  deliver_bytes(journey_letter("j-gone", "gone"));
  EventLog log(bus_);
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  c.command("STORE 1 +FLAGS (\\Seen)");
  c.command("STORE 2 +FLAGS.SILENT (\\Deleted)");
  c.command("EXPUNGE");
  std::vector<sim::Event> flags;
  for (const auto& e : log.of(sim::EventKind::State)) {
    if (e.line.rfind("flags of UID", 0) == 0) flags.push_back(e);
  }
  ASSERT_EQ(flags.size(), 2u);
  EXPECT_EQ(flags[0].journey, "j-kept");
  EXPECT_EQ(flags[1].journey, "j-gone");
  EXPECT_NE(flags[1].line.find("\\Deleted"), std::string::npos) << flags[1].line;
  auto deleted = log.of(sim::EventKind::Deleted);
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].journey, "j-gone");
}

TEST_F(ImapJourney, MoveAndCloseCarryTheJourney) {
  deliver_bytes(journey_letter("j-moved", "moved"));
  deliver_bytes(journey_letter("j-closed", "closed"));
  EventLog log(bus_);
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  c.command("UID MOVE 1 Trash");
  c.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
  c.command("CLOSE");
  auto deleted = log.of(sim::EventKind::Deleted);
  ASSERT_EQ(deleted.size(), 2u);
  EXPECT_EQ(deleted[0].journey, "j-moved");
  EXPECT_EQ(deleted[1].journey, "j-closed");
}

TEST_F(ImapJourney, MessageWithoutJourneyHeaderHasAnEmptyOne) {
  deliver("plain");
  EventLog log(bus_);
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  c.command("FETCH 1 RFC822");
  auto fetched = log.of(sim::EventKind::Fetched);
  ASSERT_EQ(fetched.size(), 1u);
  EXPECT_EQ(fetched[0].journey, "");
}

TEST_F(ImapJourney, QuietFolderIsNotListedAgainForEachFetch) {
  for (int i = 0; i < 5; ++i) deliver("m" + std::to_string(i));
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  c.command("FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE)");
  const auto scans = mailbox()->stats().folder_scans.load();
  for (int uid = 1; uid <= 5; ++uid) {
    auto body = c.command("UID FETCH " + std::to_string(uid) + " BODY[]");
    EXPECT_TRUE(has(body, "Hello Bob.")) << body;
    EXPECT_TRUE(has(body, "\\Seen")) << body;
  }
  c.command("UID SEARCH UNSEEN");
  EXPECT_EQ(mailbox()->stats().folder_scans.load(), scans);
  // A delivery moves the stamp: the next command lists again and reports it.
  deliver("new");
  auto fetch = c.command("FETCH 1 FLAGS");
  EXPECT_TRUE(has(fetch, "* 6 EXISTS")) << fetch;
}

TEST_F(ImapJourney, EnvelopesWorkedOutOnceServeEverySessionWithoutReadingFiles) {
  for (int i = 0; i < 4; ++i) deliver("m" + std::to_string(i));
  Client first(port_);
  login(first);
  first.command("EXAMINE INBOX");
  const auto fetched = first.command("FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE)");
  EXPECT_TRUE(has(fetched, "\"m3\"")) << fetched;
  const auto opens = mailbox()->stats().message_opens.load();
  Client second(port_);
  login(second);
  second.command("EXAMINE INBOX");
  EXPECT_EQ(second.command("FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE)"), fetched);
  EXPECT_EQ(mailbox()->stats().message_opens.load(), opens);
  // What the cache cannot answer still reads the file.
  EXPECT_TRUE(has(second.command("FETCH 2 (ENVELOPE BODY.PEEK[TEXT])"), "Hello Bob."));
  EXPECT_EQ(mailbox()->stats().message_opens.load(), opens + 1);
}

TEST_F(ImapJourney, ARecreatedFolderDoesNotShowTheOldFoldersEnvelopes) {
  ASSERT_TRUE(mailbox()->create_folder("Old").ok());
  ASSERT_TRUE(mailbox()->append("Old", letter("before"), "", std::nullopt).stored());
  Client c(port_);
  login(c);
  c.command("SELECT Old");
  EXPECT_TRUE(has(c.command("FETCH 1 ENVELOPE"), "\"before\""));
  c.command("UNSELECT");
  EXPECT_TRUE(has(c.command("DELETE Old"), "OK"));
  ASSERT_TRUE(mailbox()->create_folder("Old").ok());
  ASSERT_TRUE(mailbox()->append("Old", letter("after"), "", std::nullopt).stored());
  c.command("SELECT Old");
  const auto envelope = c.command("FETCH 1 ENVELOPE");
  EXPECT_TRUE(has(envelope, "\"after\"")) << envelope;
}

}  // namespace
}  // namespace mailflow::imap
