// IMAP keywords end to end: STORE, APPEND, FETCH, SEARCH, COPY and SELECT against a real
// Maildir, checked both on the wire and in the files Dovecot would read (the message
// file names and dovecot-keywords).
#include <fstream>
#include <sstream>

#include "tests/imap/imap_server_fixture.hpp"

namespace mailflow::imap {
namespace {

using namespace imap_test;

class ImapKeywords : public ImapServerTest {
 protected:
  fs::path maildir() { return mailbox()->maildir(); }
  // The info part (after ":2,") of the only message file in `folder`'s cur/.
  std::string only_info(const fs::path& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder / "cur")) names.push_back(entry.path().filename().string());
    EXPECT_EQ(names.size(), 1u);
    if (names.empty()) return "?";
    const auto colon = names[0].find(":2,");
    return colon == std::string::npos ? "?" : names[0].substr(colon + 3);
  }
  std::string keywords_file(const fs::path& folder) {
    std::ifstream in(folder / "dovecot-keywords");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void login(Client& c) { ASSERT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "OK")); }
  void append(Client& c, const std::string& folder, const std::string& flags, const std::string& subject) {
    const std::string bytes = letter(subject);
    c.send("ap APPEND " + folder + " (" + flags + ") {" + std::to_string(bytes.size()) + "+}\r\n" + bytes + "\r\n");
    std::string l;
    while ((l = c.line()).rfind("ap ", 0) != 0) {
    }
    EXPECT_TRUE(has(l, "ap OK [APPENDUID ")) << l;
  }
};

TEST_F(ImapKeywords, StoreAddsKeywordToMaildirFilename) {
  deliver("one");
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  auto store = c.command("STORE 1 +FLAGS ($Forwarded)");
  EXPECT_TRUE(has(store, "* 1 FETCH (FLAGS ($Forwarded \\Recent))")) << store;
  EXPECT_TRUE(has(store, "a3 OK")) << store;
  EXPECT_EQ(keywords_file(maildir()), "0 $Forwarded\n");
  EXPECT_EQ(only_info(maildir()), "a");
}

TEST_F(ImapKeywords, KeywordLettersSortAfterSystemFlags) {
  deliver("one");
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  c.command("STORE 1 +FLAGS ($Junk)");
  c.command("STORE 1 +FLAGS (NonJunk \\Seen $Junk)");
  EXPECT_EQ(only_info(maildir()), "Sab");
  EXPECT_EQ(keywords_file(maildir()), "0 $Junk\n1 NonJunk\n");
  auto fetch = c.command("FETCH 1 FLAGS");
  EXPECT_TRUE(has(fetch, "FLAGS (\\Seen $Junk NonJunk \\Recent)")) << fetch;
  c.command("STORE 1 -FLAGS ($junk)");  // keywords compare case-insensitively
  EXPECT_EQ(only_info(maildir()), "Sb");
}

TEST_F(ImapKeywords, SelectListsFolderKeywordsAndWildcard) {
  deliver("one");
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  auto store = c.command("STORE 1 FLAGS ($MDNSent)");
  // A new keyword is announced before it is used (RFC 3501 §7.2.6).
  EXPECT_TRUE(has(store, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $MDNSent)")) << store;
  auto again = c.command("SELECT INBOX");
  EXPECT_TRUE(has(again, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $MDNSent)\n")) << again;
  EXPECT_TRUE(has(again, "[PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $MDNSent \\*)]")) << again;
  auto examine = c.command("EXAMINE INBOX");
  EXPECT_TRUE(has(examine, "[PERMANENTFLAGS ()]")) << examine;
}

TEST_F(ImapKeywords, SearchKeywordAndUnkeyword) {
  deliver("one");
  deliver("two");
  deliver("three");
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  c.command("STORE 1,3 +FLAGS.SILENT ($Junk)");
  EXPECT_TRUE(has(c.command("SEARCH KEYWORD $Junk"), "* SEARCH 1 3\n"));
  EXPECT_TRUE(has(c.command("SEARCH KEYWORD $JUNK"), "* SEARCH 1 3\n"));
  EXPECT_TRUE(has(c.command("SEARCH UNKEYWORD $Junk"), "* SEARCH 2\n"));
  EXPECT_TRUE(has(c.command("SEARCH KEYWORD NeverDefined"), "* SEARCH\n"));
  EXPECT_TRUE(has(c.command("UID SEARCH KEYWORD $Junk NOT SEEN"), "* SEARCH 1 3\n"));
}

TEST_F(ImapKeywords, AppendWithKeywordStoresItsLetter) {
  Client c(port_);
  login(c);
  c.command("CREATE Archive");
  append(c, "Archive", "\\Seen $Forwarded", "kept");
  const fs::path archive = maildir() / ".Archive";
  EXPECT_EQ(keywords_file(archive), "0 $Forwarded\n");
  EXPECT_EQ(only_info(archive), "Sa");
  c.command("SELECT Archive");
  auto fetch = c.command("FETCH 1 FLAGS");
  EXPECT_TRUE(has(fetch, "FLAGS (\\Seen $Forwarded)")) << fetch;
}

TEST_F(ImapKeywords, CopyAndMoveMapLettersBetweenFolders) {
  deliver("one");
  Client c(port_);
  login(c);
  c.command("CREATE Archive");
  append(c, "Archive", "Important", "already there");  // Archive's letter a is Important
  c.command("SELECT INBOX");
  c.command("STORE 1 +FLAGS.SILENT ($Forwarded \\Flagged)");  // INBOX's letter a is $Forwarded
  auto copy = c.command("COPY 1 Archive");
  EXPECT_TRUE(has(copy, "OK [COPYUID ")) << copy;
  const fs::path archive = maildir() / ".Archive";
  EXPECT_EQ(keywords_file(archive), "0 Important\n1 $Forwarded\n");
  auto move = c.command("MOVE 1 Junk");
  EXPECT_TRUE(has(move, "* 1 EXPUNGE")) << move;
  EXPECT_EQ(only_info(maildir() / ".Junk"), "Fa");
  c.command("SELECT Archive");
  auto fetch = c.command("FETCH 1:* FLAGS");
  EXPECT_TRUE(has(fetch, "* 1 FETCH (FLAGS (Important))")) << fetch;
  EXPECT_TRUE(has(fetch, "* 2 FETCH (FLAGS (\\Flagged $Forwarded))")) << fetch;
}

TEST_F(ImapKeywords, TwentySeventhKeywordIsRefusedWithLimit) {
  deliver("one");
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  std::string many;
  for (char k = 'A'; k <= 'Z'; ++k) many += std::string(many.empty() ? "" : " ") + "Key" + k;
  EXPECT_TRUE(has(c.command("STORE 1 +FLAGS.SILENT (" + many + ")"), "a3 OK"));
  auto refused = c.command("STORE 1 +FLAGS (OneTooMany)");
  EXPECT_TRUE(has(refused, "a4 NO [LIMIT]")) << refused;
  EXPECT_FALSE(has(keywords_file(maildir()), "OneTooMany"));
  auto select = c.command("SELECT INBOX");
  EXPECT_TRUE(has(select, "KeyZ)]")) << select;  // full: no \* any more
  EXPECT_TRUE(has(c.command("STORE 1 -FLAGS (KeyA)"), "OK"));
  EXPECT_TRUE(has(c.command("STORE 1 +FLAGS (KeyA \\Seen)"), "OK"));  // known ones still work
}

TEST_F(ImapKeywords, RemovingAnUnknownKeywordDefinesNothing) {
  deliver("one");
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  EXPECT_TRUE(has(c.command("STORE 1 -FLAGS ($Junk)"), "OK"));
  EXPECT_FALSE(fs::exists(maildir() / "dovecot-keywords"));
}

TEST_F(ImapKeywords, KeywordFromAnotherSessionShowsUp) {
  deliver("one");
  Client a(port_), b(port_);
  login(a);
  login(b);
  a.command("SELECT INBOX");
  b.command("SELECT INBOX");
  a.command("STORE 1 +FLAGS.SILENT ($Forwarded)");
  auto noop = b.command("NOOP");
  EXPECT_TRUE(has(noop, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)")) << noop;
  EXPECT_TRUE(has(noop, "* 1 FETCH (FLAGS ($Forwarded")) << noop;
}

TEST_F(ImapKeywords, UnstorableFlagsAreRefused) {
  deliver("one");
  Client c(port_);
  login(c);
  c.command("SELECT INBOX");
  EXPECT_TRUE(has(c.command("STORE 1 +FLAGS (\\Bogus)"), "NO [CANNOT]"));
  EXPECT_TRUE(has(c.command("STORE 1 +FLAGS (\\*)"), "a4 "));
  EXPECT_TRUE(has(c.command("STORE 1 +FLAGS (bad]name)"), "BAD"));
  EXPECT_TRUE(has(c.command("STORE 1 +FLAGS (" + std::string(200, 'k') + ")"), "BAD"));
  EXPECT_TRUE(has(c.command("NOOP"), "OK"));
  EXPECT_FALSE(fs::exists(maildir() / "dovecot-keywords"));
}

}  // namespace
}  // namespace mailflow::imap
