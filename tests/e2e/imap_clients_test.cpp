// End to end: `mailflow serve` as a real process; letters reach bob through mx.beta.test,
// then real IMAP clients from Debian read them on mail.beta.test: Python's imaplib over
// IMAPS and over STARTTLS, curl over imaps:// and imap:// with --ssl-reqd, mbsync (isync)
// syncing bob's account both ways with a local Maildir, two devices on one INBOX that see
// each other's changes (and an IDLE told of new mail), and POP3 and IMAP on the same store.
#include <fstream>

#include "tests/e2e/mail_lab_test.hpp"

namespace mailflow::e2e {
namespace {

namespace fs = std::filesystem;

using ImapClients = MailLabTest;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(ImapClients, HostsListImapAndImapsPorts) {
  EXPECT_EQ(port("imap"), std::to_string(143 + lab_->port_offset()));
  EXPECT_EQ(port("imaps"), std::to_string(993 + lab_->port_offset()));
}

TEST_F(ImapClients, PythonImaplibOverImapsAndStarttls) {
  deliver("imaplib-first");
  deliver("imaplib-second");
  const std::string script = R"PY(
import imaplib, ssl, sys
host, imaps, imap, cafile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
m = imaplib.IMAP4_SSL(host, imaps, ssl_context=ctx, timeout=10)
caps = set(m.capabilities)
print('caps', all(c in caps for c in ('IMAP4REV1', 'IDLE', 'UIDPLUS', 'MOVE', 'UNSELECT', 'NAMESPACE',
                                      'LITERAL+', 'SPECIAL-USE', 'ID', 'ENABLE')))
m.login('bob@beta.test', 'bob-secret')
typ, folders = m.list()
print('list', typ, sorted(f.decode() for f in folders))
typ, data = m.select('INBOX')
print('select', typ, data)
typ, data = m.fetch('1:*', '(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
print('subjects', [part[1].decode().strip() for part in data if isinstance(part, tuple)])
typ, data = m.uid('SEARCH', None, 'SUBJECT', 'imaplib-second')
print('search', typ, data)
print('store', m.store('1', '+FLAGS', '(\\Seen)'))
typ, data = m.append('Drafts', '(\\Draft)', None, b'Subject: draft\r\n\r\nNot sent yet.\r\n')
print('append', typ, data[0].decode().startswith('[APPENDUID '))
m.logout()

p = imaplib.IMAP4(host, imap, timeout=10)
print('plain caps', 'STARTTLS' in p.capabilities, 'LOGINDISABLED' in p.capabilities)
try:
    p.login('bob@beta.test', 'bob-secret')
    print('plaintext login accepted')
except imaplib.IMAP4.error as e:
    print('plaintext login refused')
p.starttls(ssl_context=ctx)
p.login('bob@beta.test', 'bob-secret')
typ, data = p.status('INBOX', '(MESSAGES UNSEEN UIDNEXT)')
print('status', data[0].decode())
p.logout()
)PY";
  auto r = run_command({"/usr/bin/python3", "-c", script, address(), port("imaps"), port("imap"), ca()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "caps True")) << r.output;
  EXPECT_TRUE(contains(r.output, "'(\\\\HasNoChildren \\\\Sent) \".\" Sent'")) << r.output;
  EXPECT_TRUE(contains(r.output, "'(\\\\HasNoChildren \\\\Trash) \".\" Trash'")) << r.output;
  EXPECT_TRUE(contains(r.output, "select OK [b'2']")) << r.output;
  EXPECT_TRUE(contains(r.output, "subjects ['Subject: imaplib-first', 'Subject: imaplib-second']")) << r.output;
  EXPECT_TRUE(contains(r.output, "search OK [b'2']")) << r.output;
  EXPECT_TRUE(contains(r.output, "append OK True")) << r.output;
  EXPECT_TRUE(contains(r.output, "plain caps True True")) << r.output;
  EXPECT_TRUE(contains(r.output, "plaintext login refused")) << r.output;
  EXPECT_TRUE(contains(r.output, "status INBOX (MESSAGES 2 UNSEEN 1 UIDNEXT 3)")) << r.output;
  EXPECT_EQ(inbox_flags(), (std::vector<std::string>{"2,", "2,S"})) << "STORE \\Seen renamed the file";
  std::size_t drafts = 0;
  for (auto it = fs::directory_iterator(bob_maildir() / ".Drafts" / "cur"); it != fs::directory_iterator(); ++it) {
    ++drafts;
  }
  EXPECT_EQ(drafts, 1u);
}

TEST_F(ImapClients, CurlListsAndFetchesOverImapsAndStarttls) {
  deliver("curl-imaps", "Hello from curl.");
  const std::string base = "imaps://" + address() + ":" + port("imaps") + "/";
  const std::vector<std::string> curl = {"curl", "-sS", "--cacert", ca(), "--user", "bob@beta.test:bob-secret"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = curl;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_command(argv);
  };
  auto list = with({base});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_TRUE(contains(list.output, "* LIST (\\HasNoChildren) \".\" INBOX")) << list.output;
  EXPECT_TRUE(contains(list.output, "\\Junk) \".\" Junk")) << list.output;
  auto fetch = with({base + "INBOX;UID=1"});
  ASSERT_EQ(fetch.exit_code, 0) << fetch.output;
  EXPECT_TRUE(contains(fetch.output, "Subject: curl-imaps")) << fetch.output;
  EXPECT_TRUE(contains(fetch.output, "Hello from curl.")) << fetch.output;
  auto search = with({base + "INBOX?SUBJECT%20curl-imaps"});
  ASSERT_EQ(search.exit_code, 0) << search.output;
  EXPECT_TRUE(contains(search.output, "* SEARCH 1")) << search.output;
  auto stls = with({"--ssl-reqd", "imap://" + address() + ":" + port("imap") + "/INBOX;UID=1;SECTION=HEADER"});
  ASSERT_EQ(stls.exit_code, 0) << stls.output;
  EXPECT_TRUE(contains(stls.output, "Subject: curl-imaps")) << stls.output;
  EXPECT_FALSE(contains(stls.output, "Hello from curl.")) << "SECTION=HEADER is the header only";
}

// Two devices on bob's INBOX: the phone reads a message, the laptop deletes and expunges
// another; each is told of the other's change at its next NOOP (RFC 3501 §7.4.1, §7.2.5),
// and a device in IDLE hears of a new delivery without asking.
TEST_F(ImapClients, TwoDevicesSeeEachOthersChangesAndIdleHearsOfNewMail) {
  deliver("two-devices-1");
  deliver("two-devices-2");
  const std::string script = R"PY(
import imaplib, smtplib, ssl, sys, socket
host, imaps, mx, mx_port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
ctx = ssl.create_default_context(cafile=cafile)
def device():
    d = imaplib.IMAP4_SSL(host, imaps, ssl_context=ctx, timeout=10)
    d.login('bob@beta.test', 'bob-secret')
    d.select('INBOX')
    return d
phone, laptop = device(), device()
phone.store('1', '+FLAGS', '(\\Seen)')
laptop.noop()
print('laptop told', laptop.response('FETCH'))
laptop.store('2', '+FLAGS', '(\\Deleted)')
laptop.expunge()
phone.noop()
print('phone told', phone.response('EXPUNGE'))

tag = phone._new_tag()
phone.send(tag + b' IDLE\r\n')
print('idle', phone.readline().strip())
s = smtplib.SMTP(mx, mx_port, timeout=10)
s.sendmail('alice@alpha.test', ['bob@beta.test'], b'Subject: while idling\r\n\r\nNew.\r\n')
s.quit()
phone.sock.settimeout(10)
print('pushed', phone.readline().strip())
phone.send(b'DONE\r\n')
while True:
    line = phone.readline()
    if line.startswith(tag):
        print('idle done', line.split()[1])
        break
phone.logout(); laptop.logout()
)PY";
  auto r = run_command({"/usr/bin/python3", "-c", script, address(), port("imaps"), address("mx.beta.test"),
                        port("smtp", "mx.beta.test"), ca()},
                       40);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "laptop told ('FETCH', [b'1 (FLAGS (\\\\Seen))'])")) << r.output;
  EXPECT_TRUE(contains(r.output, "phone told ('EXPUNGE', [b'2'])")) << r.output;
  EXPECT_TRUE(contains(r.output, "idle b'+ idling'")) << r.output;
  EXPECT_TRUE(contains(r.output, "pushed b'* 2 EXISTS'")) << r.output;
  EXPECT_TRUE(contains(r.output, "idle done b'OK'")) << r.output;
}

// One store under both protocols: a message POP3 deletes is expunged from an IMAP
// session that has it selected.
TEST_F(ImapClients, APop3DeletionIsAnExpungeForImap) {
  deliver("pop-then-imap");
  const std::string script = R"PY(
import imaplib, poplib, ssl, sys
host, imaps, pop3s, cafile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
m = imaplib.IMAP4_SSL(host, imaps, ssl_context=ctx, timeout=10)
m.login('bob@beta.test', 'bob-secret')
print('select', m.select('INBOX'))
p = poplib.POP3_SSL(host, pop3s, context=ctx, timeout=10)
p.user('bob@beta.test'); p.pass_('bob-secret')
p.dele(1); p.quit()
m.noop()
print('expunged', m.response('EXPUNGE'))
m.logout()
)PY";
  auto r = run_command({"/usr/bin/python3", "-c", script, address(), port("imaps"), port("pop3s"), ca()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "select ('OK', [b'1'])")) << r.output;
  EXPECT_TRUE(contains(r.output, "expunged ('EXPUNGE', [b'1'])")) << r.output;
  EXPECT_EQ(inbox_count(), 0u);
}

}  // namespace
}  // namespace mailflow::e2e
