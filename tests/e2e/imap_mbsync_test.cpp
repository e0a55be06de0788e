// End to end: mbsync (Debian's isync) keeps a local Maildir in sync with bob's IMAP
// account on mail.beta.test over IMAPS, both ways: new mail and server-side flags come
// down, local reads and deletions go up (\Seen, \Deleted + EXPUNGE), and a sync with
// nothing changed changes nothing on either side.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "tests/e2e/mail_lab_test.hpp"

namespace mailflow::e2e {
namespace {

namespace fs = std::filesystem;

class ImapMbsync : public MailLabTest {
 protected:
  void SetUp() override {
    MailLabTest::SetUp();
    dir_ = make_temp_dir("mailflow-mbsync");
    local_ = dir_ / "local";
    fs::create_directories(local_);
    // mbsync checks the certificate's DNS names against Host, and the lab's names resolve
    // only through its own DNS; a certificate listed in CertificateFile is trusted as the
    // server's own (isync's documented way for such hosts), so list mail.beta.test's.
    const fs::path host_certificate = fs::path(ca()).parent_path() / "hosts" / (std::string(kMailHost) + ".pem");
    ASSERT_TRUE(fs::exists(host_certificate)) << host_certificate;
    std::ofstream(dir_ / "mbsyncrc") << "IMAPAccount bob\n"
                                     << "Host " << address() << "\nPort " << port("imaps") << "\n"
                                     << "User bob@beta.test\nPass bob-secret\nSSLType IMAPS\n"
                                     << "CertificateFile " << host_certificate.string() << "\n\n"
                                     << "IMAPStore bob-remote\nAccount bob\n\n"
                                     << "MaildirStore bob-local\nPath " << local_.string() << "/\n"
                                     << "Inbox " << (local_ / "INBOX").string() << "\nSubFolders Verbatim\n\n"
                                     << "Channel bob\nFar :bob-remote:\nNear :bob-local:\nPatterns *\n"
                                     << "Create Both\nExpunge Both\nSyncState *\n";
    ::chmod((dir_ / "mbsyncrc").c_str(), 0600);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void sync() {
    auto r = run_command({"mbsync", "-c", (dir_ / "mbsyncrc").string(), "-a"}, 60);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // The local INBOX's messages as "<sub>/<flags>" ("cur/S"), sorted.
  std::vector<std::string> local_inbox() const {
    std::vector<std::string> out;
    for (const char* sub : {"new", "cur"}) {
      for (const auto& e : fs::directory_iterator(local_ / "INBOX" / sub)) {
        std::string name = e.path().filename().string();
        out.push_back(std::string(sub) + "/" + name.substr(name.rfind(":2,") + 3));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path local_file(const std::string& sub, std::size_t index) const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(local_ / "INBOX" / sub)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files.at(index);
  }
  // Both sides' file names (flags included): equal snapshots mean nothing changed.
  std::vector<std::string> snapshot() const {
    std::vector<std::string> names;
    for (const fs::path& root : {local_, bob_maildir()}) {
      for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file()) names.push_back(e.path().string());
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  void imap(const std::string& python) {
    const std::string script = "import imaplib, ssl, sys\n"
                               "m = imaplib.IMAP4_SSL(sys.argv[1], int(sys.argv[2]), "
                               "ssl_context=ssl.create_default_context(cafile=sys.argv[3]), timeout=10)\n"
                               "m.login('bob@beta.test', 'bob-secret')\nm.select('INBOX')\n" +
                               python + "m.logout()\n";
    auto r = run_command({"/usr/bin/python3", "-c", script, address(), port("imaps"), ca()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  fs::path dir_;
  fs::path local_;
};

TEST_F(ImapMbsync, SyncsNewMailFlagsAndDeletionsBothWaysAndASecondSyncIsANoOp) {
  deliver("mbsync-1");
  deliver("mbsync-2");
  sync();
  ASSERT_EQ(local_inbox(), (std::vector<std::string>{"new/", "new/"})) << "both letters came down";
  for (const char* folder : {"Sent", "Drafts", "Trash", "Junk"}) EXPECT_TRUE(fs::exists(local_ / folder)) << folder;

  // Near side: the first letter is read, the second thrown away (Maildir T = \Deleted).
  const fs::path first = local_file("new", 0), second = local_file("new", 1);
  const std::string first_name = first.filename().string(), second_name = second.filename().string();
  fs::rename(first, local_ / "INBOX" / "cur" / (first_name.substr(0, first_name.rfind(":2,")) + ":2,S"));
  fs::rename(second, local_ / "INBOX" / "cur" / (second_name.substr(0, second_name.rfind(":2,")) + ":2,T"));
  sync();
  EXPECT_EQ(inbox_flags(), (std::vector<std::string>{"2,S"})) << "read on the server, the other expunged";
  EXPECT_EQ(local_inbox(), (std::vector<std::string>{"cur/S"}));

  // Far side: another device flags the letter, and a new one arrives.
  imap("m.store('1', '+FLAGS', '(\\\\Flagged)')\n");
  deliver("mbsync-3");
  sync();
  EXPECT_EQ(local_inbox(), (std::vector<std::string>{"cur/FS", "new/"}));

  const auto before = snapshot();
  sync();
  EXPECT_EQ(snapshot(), before) << "nothing changed, so the sync changed nothing";
}

}  // namespace
}  // namespace mailflow::e2e
