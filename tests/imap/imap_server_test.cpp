// The IMAP server with a real socket on 127.0.0.1, a real MaildirStore in a temporary
// directory and a tiny ImapServices: login, select, fetch, store, expunge, and two
// sessions on one INBOX seeing each other's changes.
#include "tests/imap/imap_server_fixture.hpp"

#include "servers/net/lab_ca.hpp"
#include "servers/net/tls.hpp"

namespace mailflow::imap {
namespace {

using namespace imap_test;
namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

TEST_F(ImapServerTest, GreetingCapabilityAndLogin) {
  Client c(port_);
  EXPECT_TRUE(has(c.greeting, "* OK [CAPABILITY IMAP4rev1")) << c.greeting;
  auto caps = c.command("CAPABILITY");
  EXPECT_TRUE(has(caps, "AUTH=PLAIN")) << caps;
  EXPECT_TRUE(has(c.command("LOGIN bob@beta.test wrong"), "a2 NO [AUTHENTICATIONFAILED]"));
  EXPECT_TRUE(has(c.command("SELECT INBOX"), "a3 BAD"));
  EXPECT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "a4 OK"));
  auto list = c.command("LIST \"\" *");
  EXPECT_TRUE(has(list, "\\Sent) \".\" Sent")) << list;
  EXPECT_TRUE(has(list, "INBOX")) << list;
  EXPECT_TRUE(has(c.command("NAMESPACE"), "* NAMESPACE ((\"\" \".\")) NIL NIL"));
  auto bye = c.command("LOGOUT");
  EXPECT_TRUE(has(bye, "* BYE")) << bye;
}

TEST_F(ImapServerTest, OneUserGetsAtMostTenSessionsFromOneAddress) {
  std::vector<std::unique_ptr<Client>> devices;
  for (int i = 0; i < 10; ++i) {
    devices.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(has(devices.back()->command("LOGIN bob@beta.test secret"), "a1 OK"));
  }
  Client eleventh(port_);
  auto refused = eleventh.command("LOGIN bob@beta.test secret");
  EXPECT_TRUE(has(refused, "a1 NO [LIMIT]")) << refused;
  EXPECT_TRUE(has(eleventh.command("CAPABILITY"), "a2 OK")) << "the session stays, not logged in";
  EXPECT_TRUE(has(devices.front()->command("LOGOUT"), "* BYE"));
  devices.erase(devices.begin());
  bool logged_in = false;
  for (int i = 0; i < 50 && !logged_in; ++i) {  // the logout is counted once its session closed
    logged_in = has(eleventh.command("LOGIN bob@beta.test secret"), " OK");
    if (!logged_in) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(logged_in) << "a place freed by a logout can be taken";
}

TEST_F(ImapServerTest, AuthenticatePlainWithInitialResponse) {
  Client c(port_);
  // base64("\0bob@beta.test\0secret")
  auto r = c.command("AUTHENTICATE PLAIN AGJvYkBiZXRhLnRlc3QAc2VjcmV0");
  EXPECT_TRUE(has(r, "a1 OK")) << r;
}

TEST_F(ImapServerTest, SelectFetchStoreExpunge) {
  deliver("one");
  deliver("two");
  Client c(port_);
  ASSERT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "a1 OK"));
  auto sel = c.command("SELECT INBOX");
  EXPECT_TRUE(has(sel, "* 2 EXISTS")) << sel;
  EXPECT_TRUE(has(sel, "* 2 RECENT")) << sel;
  EXPECT_TRUE(has(sel, "[UIDVALIDITY ")) << sel;
  EXPECT_TRUE(has(sel, "[UIDNEXT 3]")) << sel;
  EXPECT_TRUE(has(sel, "[UNSEEN 1]")) << sel;
  EXPECT_TRUE(has(sel, "a2 OK [READ-WRITE]")) << sel;

  auto peek = c.command("FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
  EXPECT_TRUE(has(peek, "Subject: one")) << peek;
  EXPECT_FALSE(has(peek, "\\Seen")) << peek;
  auto body = c.command("UID FETCH 2 (BODY[TEXT] RFC822.SIZE ENVELOPE)");
  EXPECT_TRUE(has(body, "Hello Bob.")) << body;
  EXPECT_TRUE(has(body, "UID 2")) << body;
  EXPECT_TRUE(has(body, "\\Seen")) << body;
  EXPECT_TRUE(has(body, "\"two\"")) << body;

  auto store = c.command("STORE 1 +FLAGS (\\Deleted)");
  EXPECT_TRUE(has(store, "* 1 FETCH (FLAGS (\\Deleted \\Recent))")) << store;
  auto search = c.command("SEARCH DELETED");
  EXPECT_TRUE(has(search, "* SEARCH 1\n")) << search;
  auto expunge = c.command("EXPUNGE");
  EXPECT_TRUE(has(expunge, "* 1 EXPUNGE")) << expunge;
  auto status = c.command("STATUS INBOX (MESSAGES UIDNEXT)");
  EXPECT_TRUE(has(status, "* STATUS INBOX (MESSAGES 1 UIDNEXT 3)")) << status;
}

TEST_F(ImapServerTest, CopyMoveAppend) {
  deliver("one");
  Client c(port_);
  ASSERT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "a1 OK"));
  c.command("SELECT INBOX");
  auto copy = c.command("COPY 1 Trash");
  EXPECT_TRUE(has(copy, "OK [COPYUID ")) << copy;
  auto move = c.command("UID MOVE 1 Junk");
  EXPECT_TRUE(has(move, "* 1 EXPUNGE")) << move;
  EXPECT_TRUE(has(c.command("COPY 1 Nowhere"), "BAD"));  // no message 1 any more
  EXPECT_TRUE(has(c.command("CREATE Archive"), "OK"));
  c.send("a99 APPEND Archive (\\Seen) {" + std::to_string(letter("kept").size()) + "+}\r\n" + letter("kept") + "\r\n");
  std::string l;
  while ((l = c.line()).rfind("a99 ", 0) != 0) {
  }
  EXPECT_TRUE(has(l, "a99 OK [APPENDUID ")) << l;
  EXPECT_TRUE(has(c.command("STATUS Archive (MESSAGES)"), "(MESSAGES 1)"));
  EXPECT_TRUE(has(c.command("SELECT ../../etc"), "NO"));
}

TEST_F(ImapServerTest, MailboxNamesCannotReachOutsideTheUsersOwnMaildir) {
  Client c(port_);
  ASSERT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "a1 OK"));
  for (const std::string name : {"../carol", "../../etc", "/etc/passwd", "..", "Sent/../../carol", "a..b/..",
                                  "\"../alice\"", "carol@beta.test/INBOX", "./tmp",
                                  ".Trash", "INBOX/../..", "{3}\r\n../"}) {
    SCOPED_TRACE(name);
    for (const std::string verb : {"SELECT ", "CREATE ", "DELETE ", "STATUS "}) {
      const std::string args = verb == "STATUS " ? name + " (MESSAGES)" : name;
      auto reply = c.command(verb + args);
      EXPECT_FALSE(has(reply, " OK")) << verb << reply;
    }
    EXPECT_FALSE(has(c.command("RENAME Junk " + name), " OK"));
  }
  // Nothing outside bob's Maildir was made or touched.
  EXPECT_FALSE(fs::exists(dir_ / "mail" / "beta.test" / "carol"));
  EXPECT_FALSE(fs::exists(dir_ / "mail" / "etc"));
  EXPECT_TRUE(has(c.command("SELECT Junk"), " OK")) << "and Junk is still bob's";
}

TEST_F(ImapServerTest, FailedCopyLeavesTheDestinationAsItWas) {
  deliver("one");
  deliver("two");
  Client c(port_);
  ASSERT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "a1 OK"));
  c.command("SELECT INBOX");
  sim::Quota three;
  three.messages = 3;  // room for one copy, not for two
  mailbox()->set_quota(three);
  auto copy = c.command("COPY 1:2 Trash");
  EXPECT_TRUE(has(copy, "a3 NO [OVERQUOTA]")) << copy;
  EXPECT_TRUE(has(c.command("STATUS Trash (MESSAGES)"), "(MESSAGES 0)"));
}

TEST_F(ImapServerTest, TwoSessionsSeeEachOther) {
  deliver("one");
  deliver("two");
  Client a(port_), b(port_);
  ASSERT_TRUE(has(a.command("LOGIN bob@beta.test secret"), "OK"));
  ASSERT_TRUE(has(b.command("LOGIN bob@beta.test secret"), "OK"));
  a.command("SELECT INBOX");
  b.command("SELECT INBOX");
  a.command("STORE 1 +FLAGS.SILENT (\\Seen)");
  auto seen = b.command("NOOP");
  EXPECT_TRUE(has(seen, "* 1 FETCH (FLAGS (\\Seen))")) << seen;
  a.command("STORE 2 +FLAGS.SILENT (\\Deleted)");
  a.command("EXPUNGE");
  auto gone = b.command("NOOP");
  EXPECT_TRUE(has(gone, "* 2 EXPUNGE")) << gone;
  deliver("three");
  // IDLE: told of new mail within a second.
  b.send("i1 IDLE\r\n");
  EXPECT_EQ(b.line().substr(0, 1), "+");
  deliver("four");
  auto exists = b.line();
  EXPECT_TRUE(has(exists, "EXISTS")) << exists;
  b.send("DONE\r\n");
  std::string l;
  while ((l = b.line()).rfind("i1 ", 0) != 0) {
  }
  EXPECT_TRUE(has(l, "i1 OK")) << l;
}

TEST_F(ImapServerTest, LoginDisabledWithoutTls) {
  // A second server as the world sets it by default: no plaintext logins, no TLS here.
  ImapServerConfig config;
  config.host_name = "mail.beta.test";
  config.address = asio::ip::make_address("127.0.0.1");
  ImapServer strict(io_, config, *services_, nullptr);
  std::promise<std::uint16_t> bound;
  asio::post(io_, [&] {
    strict.start();
    bound.set_value(strict.endpoint().port());
  });
  {
    Client c(bound.get_future().get());
    EXPECT_TRUE(has(c.greeting, "LOGINDISABLED")) << c.greeting;
    EXPECT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "a1 NO [PRIVACYREQUIRED]"));
    EXPECT_TRUE(has(c.command("AUTHENTICATE PLAIN AGJvYkBiZXRhLnRlc3QAc2VjcmV0"), "a2 NO"));
    c.command("LOGOUT");
  }
  std::promise<void> stopped;
  asio::post(io_, [&] {
    strict.stop();
    stopped.set_value();
  });
  stopped.get_future().get();
  for (int i = 0; i < 100; ++i) {
    std::promise<std::size_t> open;
    auto f = open.get_future();
    asio::post(io_, [&] { open.set_value(strict.open_sessions()); });
    if (f.get() == 0) break;
    std::this_thread::sleep_for(20ms);
  }
}

TEST_F(ImapServerTest, MalformedInputIsBadAndServingGoesOn) {
  Client c(port_);
  EXPECT_TRUE(has(c.command("FROB"), "a1 BAD"));
  EXPECT_TRUE(has(c.command("LOGIN"), "a2 BAD"));
  c.send("a3 LOGIN {999999999}\r\n");
  EXPECT_TRUE(has(c.line(), "a3 NO [TOOBIG]"));
  EXPECT_TRUE(has(c.command("LOGIN bob@beta.test secret"), "OK"));
  EXPECT_TRUE(has(c.command("FETCH 1 FLAGS"), "BAD"));  // no mailbox selected
  c.command("SELECT INBOX");
  EXPECT_TRUE(has(c.command("FETCH 5 FLAGS"), "BAD"));  // no such message
  Client other(port_);
  EXPECT_TRUE(has(other.command("NOOP"), "a1 OK"));
}

// Reads lines from a TLS stream until one starts with `tag` + " ".
template <class Stream>
std::string read_tagged(Stream& stream, asio::streambuf& buffer, const std::string& tag) {
  std::string all;
  while (true) {
    asio::read_until(stream, buffer, "\r\n");
    std::istream in(&buffer);
    std::string l;
    std::getline(in, l);
    all += l + "\n";
    if (l.rfind(tag + " ", 0) == 0) return all;
  }
}

TEST_F(ImapServerTest, StartTlsDiscardsPipelinedPlaintextAndImplicitTlsWorks) {
  auto ca = net::LabCa::load_or_create(dir_ / "tls");
  auto tls = net::make_server_context(ca.host_certificate("mail.beta.test", "127.0.0.1"), ca.ca_file());
  ImapServerConfig config;
  config.host_name = "mail.beta.test";
  config.address = asio::ip::make_address("127.0.0.1");
  config.tls = tls;
  ImapServer starttls(io_, config, *services_, nullptr);
  config.implicit_tls = true;
  ImapServer implicit(io_, config, *services_, nullptr);
  std::promise<std::pair<std::uint16_t, std::uint16_t>> bound;
  asio::post(io_, [&] {
    starttls.start();
    implicit.start();
    bound.set_value({starttls.endpoint().port(), implicit.endpoint().port()});
  });
  auto [port143, port993] = bound.get_future().get();
  net::TlsClientOptions options;
  options.verify = false;
  auto client_tls = net::make_client_context(options);
  {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port143));
    asio::streambuf plain;
    auto greeting = read_tagged(socket, plain, "*");
    EXPECT_TRUE(has(greeting, "STARTTLS")) << greeting;
    EXPECT_TRUE(has(greeting, "LOGINDISABLED")) << greeting;
    // The LOGIN pipelined after STARTTLS in plaintext must be discarded.
    asio::write(socket, asio::buffer(std::string("a1 STARTTLS\r\na2 LOGIN bob@beta.test secret\r\n")));
    EXPECT_TRUE(has(read_tagged(socket, plain, "a1"), "a1 OK"));
    asio::ssl::stream<tcp::socket&> stream(socket, *client_tls);
    stream.handshake(asio::ssl::stream_base::client);
    asio::streambuf secure;
    asio::write(stream, asio::buffer(std::string("b1 CAPABILITY\r\n")));
    auto caps = read_tagged(stream, secure, "b1");
    EXPECT_FALSE(has(caps, "a2 ")) << caps;
    EXPECT_TRUE(has(caps, "AUTH=PLAIN")) << caps;
    asio::write(stream, asio::buffer(std::string("b2 LOGIN bob@beta.test secret\r\n")));
    EXPECT_TRUE(has(read_tagged(stream, secure, "b2"), "b2 OK"));
    asio::write(stream, asio::buffer(std::string("b3 LOGOUT\r\n")));
    read_tagged(stream, secure, "b3");
  }
  {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port993));
    asio::ssl::stream<tcp::socket&> stream(socket, *client_tls);
    stream.handshake(asio::ssl::stream_base::client);
    asio::streambuf secure;
    auto greeting = read_tagged(stream, secure, "*");
    EXPECT_TRUE(has(greeting, "AUTH=PLAIN")) << greeting;
    asio::write(stream, asio::buffer(std::string("c1 LOGIN bob@beta.test secret\r\nc2 LOGOUT\r\n")));
    EXPECT_TRUE(has(read_tagged(stream, secure, "c1"), "c1 OK"));
    read_tagged(stream, secure, "c2");
  }
  std::promise<void> stopped;
  asio::post(io_, [&] {
    starttls.stop();
    implicit.stop();
    stopped.set_value();
  });
  stopped.get_future().get();
  for (int i = 0; i < 100; ++i) {
    std::promise<std::size_t> open;
    auto f = open.get_future();
    asio::post(io_, [&] { open.set_value(starttls.open_sessions() + implicit.open_sessions()); });
    if (f.get() == 0) break;
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace
}  // namespace mailflow::imap
