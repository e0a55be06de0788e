// The mismatch classifier over golden first bytes: what real clients send first.
#include "servers/net/mismatch.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mailflow::net {
namespace {

// The first bytes of the ClientHello `openssl s_client` (OpenSSL 3.0) sends: a handshake
// record (0x16), legacy version TLS 1.0 (03 01), length 0x0200, type ClientHello (01).
const std::string kClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);

TEST(Mismatch, ClientHelloOnAPlaintextPortIsTlsOnPlaintext) {
  EXPECT_EQ(classify_first_bytes(kClientHello, PortProtocol::Smtp, false), Mismatch::TlsOnPlaintext);
  EXPECT_EQ(classify_first_bytes(kClientHello, PortProtocol::Pop3, false), Mismatch::TlsOnPlaintext);
  EXPECT_EQ(classify_first_bytes(kClientHello, PortProtocol::Imap, false), Mismatch::TlsOnPlaintext);
  // A first read of a single byte is already enough.
  EXPECT_EQ(classify_first_bytes(kClientHello.substr(0, 1), PortProtocol::Smtp, false), Mismatch::TlsOnPlaintext);
}

TEST(Mismatch, ClientHelloOnAnImplicitTlsPortIsWhatItExpects) {
  EXPECT_EQ(classify_first_bytes(kClientHello, PortProtocol::Smtp, true), Mismatch::None);
  EXPECT_EQ(classify_first_bytes(kClientHello, PortProtocol::Imap, true), Mismatch::None);
}

TEST(Mismatch, ByteSixteenNotFollowedByThreeIsNoTlsRecord) {
  EXPECT_EQ(classify_first_bytes(std::string("\x16\x41", 2), PortProtocol::Smtp, false), Mismatch::None);
}

TEST(Mismatch, PlaintextOnAnImplicitTlsPortIsPlaintextOnTls) {
  EXPECT_EQ(classify_first_bytes("EHLO laptop\r\n", PortProtocol::Smtp, true), Mismatch::PlaintextOnTls);
  EXPECT_EQ(classify_first_bytes("a1 CAPABILITY\r\n", PortProtocol::Imap, true), Mismatch::PlaintextOnTls);
  EXPECT_EQ(classify_first_bytes("CAPA\r\n", PortProtocol::Pop3, true), Mismatch::PlaintextOnTls);
}

TEST(Mismatch, HttpRequestLinesAreHttpOnEveryPort) {
  EXPECT_EQ(classify_first_bytes("GET / HTTP/1.1\r\nHost: mx.beta.test\r\n\r\n", PortProtocol::Smtp, false), Mismatch::Http);
  EXPECT_EQ(classify_first_bytes("POST /submit HTTP/1.0\r\n", PortProtocol::Pop3, false), Mismatch::Http);
  EXPECT_EQ(classify_first_bytes("CONNECT mx.beta.test:25 HTTP/1.1\r\n", PortProtocol::Imap, false), Mismatch::Http);
  EXPECT_EQ(classify_first_bytes("get / HTTP/1.1\r\n", PortProtocol::Smtp, false), Mismatch::Http);
}

TEST(Mismatch, AMethodNameAloneIsNoHttp) {
  EXPECT_EQ(classify_first_bytes("GET\r\n", PortProtocol::Smtp, false), Mismatch::None);
}

TEST(Mismatch, Pop3CommandsOnSmtpOrImapArePop3Commands) {
  EXPECT_EQ(classify_first_bytes("USER bob\r\n", PortProtocol::Smtp, false), Mismatch::Pop3Commands);
  EXPECT_EQ(classify_first_bytes("CAPA\r\n", PortProtocol::Smtp, false), Mismatch::Pop3Commands);
  EXPECT_EQ(classify_first_bytes("STAT\r\n", PortProtocol::Imap, false), Mismatch::Pop3Commands);
  EXPECT_EQ(classify_first_bytes("USER bob\r\n", PortProtocol::Pop3, false), Mismatch::None);
}

TEST(Mismatch, SmtpGreetingsOnPop3OrImapAreSmtpCommands) {
  EXPECT_EQ(classify_first_bytes("EHLO laptop.alpha.test\r\n", PortProtocol::Pop3, false), Mismatch::SmtpCommands);
  EXPECT_EQ(classify_first_bytes("HELO laptop\r\n", PortProtocol::Imap, false), Mismatch::SmtpCommands);
  EXPECT_EQ(classify_first_bytes("EHLO laptop\r\n", PortProtocol::Smtp, false), Mismatch::None);
}

TEST(Mismatch, TaggedImapCommandsOnSmtpOrPop3AreImapCommands) {
  EXPECT_EQ(classify_first_bytes("a1 LOGIN bob secret\r\n", PortProtocol::Pop3, false), Mismatch::ImapCommands);
  EXPECT_EQ(classify_first_bytes("A001 CAPABILITY\r\n", PortProtocol::Smtp, false), Mismatch::ImapCommands);
  EXPECT_EQ(classify_first_bytes("a1 LOGIN bob secret\r\n", PortProtocol::Imap, false), Mismatch::None);
}

TEST(Mismatch, CommandsSharedBySmtpAndPop3TellNothing) {
  EXPECT_EQ(classify_first_bytes("QUIT\r\n", PortProtocol::Smtp, false), Mismatch::None);
  EXPECT_EQ(classify_first_bytes("NOOP\r\n", PortProtocol::Pop3, false), Mismatch::None);
  EXPECT_EQ(classify_first_bytes("", PortProtocol::Smtp, true), Mismatch::None);
}

TEST(Mismatch, DescriptionsNameTheMistakeAndTheFix) {
  EXPECT_EQ(describe_mismatch(Mismatch::TlsOnPlaintext, PortProtocol::Smtp, 587),
            "this client tried TLS on port 587, where SMTP starts in plaintext; use STARTTLS or port 465 (implicit TLS)");
  EXPECT_EQ(describe_mismatch(Mismatch::TlsOnPlaintext, PortProtocol::Pop3, 110),
            "this client tried TLS on port 110, where POP3 starts in plaintext; use STLS or port 995 (implicit TLS)");
  EXPECT_EQ(describe_mismatch(Mismatch::PlaintextOnTls, PortProtocol::Smtp, 465, "EHLO x\r\n"),
            "this client spoke SMTP to the implicit-TLS port 465; use STARTTLS on port 587 or turn on SSL/TLS");
  EXPECT_EQ(describe_mismatch(Mismatch::PlaintextOnTls, PortProtocol::Imap, 993, "\x01\x02"),
            "this client spoke plaintext to the implicit-TLS port 993; use STARTTLS on port 143 or turn on SSL/TLS");
  EXPECT_EQ(describe_mismatch(Mismatch::Http, PortProtocol::Smtp, 25),
            "this client spoke HTTP to an SMTP port (25); a web browser or proxy was pointed at a mail server");
  EXPECT_EQ(describe_mismatch(Mismatch::Pop3Commands, PortProtocol::Smtp, 25),
            "this client spoke POP3 to an SMTP port (25); check the account's server type and port");
  EXPECT_EQ(describe_mismatch(Mismatch::SmtpCommands, PortProtocol::Pop3, 110),
            "this client spoke SMTP to a POP3 port (110); check the account's server type and port");
  EXPECT_EQ(describe_mismatch(Mismatch::None, PortProtocol::Smtp, 25), "");
}

}  // namespace
}  // namespace mailflow::net
