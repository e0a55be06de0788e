// Mismatch diagnosis: what went wrong when a client speaks the wrong thing to a port, told
// from the first bytes it sends. Mail clients set up by hand get this wrong all the time
// (TLS to 587, plaintext to 465, a browser pointed at port 25, a POP3 account on the SMTP
// port), and the server's own answer ("500 5.5.2 Error: bad syntax", a failed handshake)
// rarely says why. The servers call this on the first read of a connection only, so the
// rest of the dialogue pays nothing; the event it produces names the mistake in plain words.
// Pure functions over bytes, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mailflow::net {

// The protocol a port serves.
enum class PortProtocol { Smtp, Pop3, Imap };

enum class Mismatch {
  None,            // what the port expects (or too little to tell)
  TlsOnPlaintext,  // a TLS ClientHello on a plaintext port (25/587/110/143)
  PlaintextOnTls,  // text on an implicit-TLS port (465/995/993)
  Http,            // an HTTP request line (a browser or a proxy client)
  SmtpCommands,    // EHLO/HELO/MAIL FROM on POP3 or IMAP
  Pop3Commands,    // USER/PASS/CAPA/STAT/... on SMTP or IMAP
  ImapCommands,    // "a1 LOGIN ..." (a tagged command) on SMTP or POP3
};

// Classifies the first bytes a client sent on a port serving `protocol`; `implicit_tls`
// says TLS comes first there. On a plaintext port a ClientHello is a mismatch; on an
// implicit-TLS port anything but a TLS handshake record is (and then which protocol it
// looks like is in the event, see describe_mismatch).
Mismatch classify_first_bytes(std::string_view bytes, PortProtocol protocol, bool implicit_tls);

// What the plaintext looks like, ignoring the port: Http, SmtpCommands, Pop3Commands,
// ImapCommands or None. For plaintext on an implicit-TLS port.
Mismatch plaintext_kind(std::string_view bytes);

// "SMTP", "POP3", "IMAP".
std::string_view port_protocol_name(PortProtocol protocol);

// The event's line naming the mistake, e.g. "this client tried TLS on port 587; use
// STARTTLS or port 465". Empty for Mismatch::None. `bytes` (the same first bytes) lets a
// PlaintextOnTls line say what the plaintext was.
std::string describe_mismatch(Mismatch mismatch, PortProtocol protocol, std::uint16_t port, std::string_view bytes = {});

}  // namespace mailflow::net
