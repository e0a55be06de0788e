// Multi-line responses with byte-stuffing, TOP, CAPA, APOP and UIDL, with golden bytes;
// and the maildrop snapshot and locks.
#include "servers/pop3/pop3_text.hpp"

#include <gtest/gtest.h>

#include "servers/pop3/pop3_maildrop.hpp"

namespace mailflow::pop3 {
namespace {

using namespace std::chrono_literals;

TEST(Pop3ByteStuffing, DoublesLeadingDotsAndEndsWithDotLine) {
  EXPECT_EQ(dot_stuff("Subject: x\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n"),
            "Subject: x\r\n\r\n..hidden\r\n...two\r\n..\r\nend\r\n.\r\n");
}

TEST(Pop3ByteStuffing, NormalisesLineEndings) {
  EXPECT_EQ(dot_stuff("a\nb\r\nc"), "a\r\nb\r\nc\r\n.\r\n");
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  EXPECT_EQ(dot_stuff("\r\n"), "\r\n.\r\n");
  // A dot after a bare CR is inside a line, not at its start.
  EXPECT_EQ(dot_stuff("x\r.y\r\n"), "x\r.y\r\n.\r\n");
  EXPECT_EQ(dot_stuff_lines({"TOP", ".odd"}), "TOP\r\n..odd\r\n.\r\n");
  EXPECT_EQ(dot_stuff_lines({}), ".\r\n");
}

TEST(Pop3ByteStuffing, TrickledUnstuffingGivesTheMessageBack) {
  // What a client does: drop the terminator and one leading dot per line.
  std::string message = "From: a\r\n\r\n.\r\n..\r\nline\r\n.x\r\n";
  std::string wire = dot_stuff(message);
  ASSERT_EQ(wire.substr(wire.size() - 3), ".\r\n");
  std::string back;
  std::size_t pos = 0;
  while (true) {
    auto end = wire.find("\r\n", pos);
    std::string line = wire.substr(pos, end - pos);
    pos = end + 2;
    if (line == ".") break;
    if (!line.empty() && line[0] == '.') line.erase(0, 1);
    back += line + "\r\n";
  }
  EXPECT_EQ(back, message);
  EXPECT_EQ(pos, wire.size());
}

TEST(Pop3Top, SendsHeaderBlankLineAndNLines) {
  std::string m = "Subject: a\r\nFrom: b\r\n\r\none\r\ntwo\r\nthree\r\n";
  EXPECT_EQ(top_of(m, 0), "Subject: a\r\nFrom: b\r\n\r\n");
  EXPECT_EQ(top_of(m, 2), "Subject: a\r\nFrom: b\r\n\r\none\r\ntwo\r\n");
  EXPECT_EQ(top_of(m, 99), m);
  EXPECT_EQ(top_of("Subject: only\r\n", 5), "Subject: only\r\n");
  EXPECT_EQ(top_of("", 5), "");
}

TEST(Pop3Capabilities, ListDependsOnTlsAndPlaintextPolicy) {
  CapabilityOptions before_tls;
  before_tls.stls = true;
  EXPECT_EQ(dot_stuff_lines(capabilities(before_tls)),
            "TOP\r\nUIDL\r\nSTLS\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\n"
            "IMPLEMENTATION mailflow\r\n.\r\n");
  CapabilityOptions after_tls;
  after_tls.plaintext_login = true;
  after_tls.login_delay = 900s;
  EXPECT_EQ(dot_stuff_lines(capabilities(after_tls)),
            "TOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\n"
            "LOGIN-DELAY 900\r\nIMPLEMENTATION mailflow\r\n.\r\n");
}

TEST(Pop3Apop, MatchesTheRfc1939Example) {
  // RFC 1939 §7: "APOP mrose c4c9334bac560ecc979e58001b3e22fb" for secret "tanstaaf".
  const std::string ts = "<1896.697170952@dbc.mtview.ca.us>";
  EXPECT_EQ(apop_digest(ts, "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
  EXPECT_TRUE(apop_matches(ts, "tanstaaf", "c4c9334bac560ecc979e58001b3e22fb"));
  EXPECT_TRUE(apop_matches(ts, "tanstaaf", "C4C9334BAC560ECC979E58001B3E22FB"));
  EXPECT_FALSE(apop_matches(ts, "tanstaaF", "c4c9334bac560ecc979e58001b3e22fb"));
  EXPECT_FALSE(apop_matches(ts, "tanstaaf", "c4c9334bac560ecc979e58001b3e22f"));
  EXPECT_FALSE(apop_matches(ts, "tanstaaf", ""));
  EXPECT_EQ(apop_timestamp(1896, 7, 697170952, "mail.beta.test"), "<1896.7.697170952@mail.beta.test>");
}

TEST(Pop3Uidl, IsDovecotsFormatAndValid) {
  std::string id = unique_id(0x5f000001u, 42);
  EXPECT_EQ(id, "0000002A5F000001");
  // RFC 1939 §7: 1 to 70 characters in 0x21..0x7E.
  EXPECT_LE(id.size(), 70u);
  for (char c : id) EXPECT_TRUE(c >= 0x21 && c <= 0x7E);
  EXPECT_NE(unique_id(1, 2), unique_id(2, 1));
}

TEST(Pop3Maildrop, NumbersStayAndDeletedMessagesAreNotCounted) {
  Maildrop drop({{10, 100, "a"}, {11, 200, "b"}, {12, 300, "c"}});
  EXPECT_EQ(drop.count(), 3u);
  EXPECT_EQ(drop.octets(), 600u);
  EXPECT_EQ(drop.find(0).status, Maildrop::Lookup::NoSuchMessage);
  EXPECT_EQ(drop.find(4).status, Maildrop::Lookup::NoSuchMessage);
  ASSERT_EQ(drop.find(2).status, Maildrop::Lookup::Found);
  drop.find(2).message->deleted = true;
  EXPECT_EQ(drop.find(2).status, Maildrop::Lookup::Deleted);
  EXPECT_EQ(drop.find(3).message->uid, 12u) << "numbers do not shift";
  EXPECT_EQ(drop.count(), 2u);
  EXPECT_EQ(drop.octets(), 400u);
  drop.undelete_all();
  EXPECT_EQ(drop.count(), 3u);
}

TEST(Pop3MaildropLocks, OneSessionPerMaildrop) {
  MaildropLocks locks;
  auto first = locks.try_lock("bob@beta.test");
  EXPECT_TRUE(first);
  EXPECT_FALSE(locks.try_lock("bob@beta.test"));
  EXPECT_TRUE(locks.try_lock("carol@beta.test")) << "other maildrops are free (and released at once)";
  EXPECT_TRUE(locks.locked("bob@beta.test"));
  first = {};
  EXPECT_FALSE(locks.locked("bob@beta.test"));
  auto again = locks.try_lock("bob@beta.test");
  EXPECT_TRUE(again);
  auto moved = std::move(again);
  EXPECT_TRUE(locks.locked("bob@beta.test"));
}

TEST(Pop3MaildropLocks, LoginDelay) {
  MaildropLocks locks;
  auto t0 = std::chrono::steady_clock::time_point() + 1h;
  EXPECT_FALSE(locks.login_delay_left("bob", 60s, t0));
  locks.note_login("bob", t0);
  EXPECT_FALSE(locks.login_delay_left("bob", 0s, t0)) << "0 turns it off";
  EXPECT_EQ(locks.login_delay_left("bob", 60s, t0 + 10s), 50s);
  EXPECT_FALSE(locks.login_delay_left("bob", 60s, t0 + 60s));
  EXPECT_FALSE(locks.login_delay_left("carol", 60s, t0 + 1s));
}

}  // namespace
}  // namespace mailflow::pop3
