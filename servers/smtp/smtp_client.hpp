// The relay's SMTP client: one delivery attempt to one MX host, as one coroutine that reads
// like the dialogue — connect, greeting, EHLO, STARTTLS when offered, EHLO again, MAIL,
// RCPT for each recipient, DATA, the message, QUIT — and a DeliveryAttempt that says what
// happened to every recipient, so the relay can mark each delivered, deferred or bounced.
//
// RFC 5321 §3.3 (mail transaction; one reply after the data covers every accepted
// recipient), §4.1.1.1 (EHLO, HELO fallback), §4.2 (replies), §4.5.2 (dot-stuffing),
// §4.5.3.2 (client time-outs), §4.5.4.1 (4yz: try again later); RFC 3207 (STARTTLS; the
// client forgets what it learned before TLS); RFC 2920 §3.1 (PIPELINING: MAIL, RCPT... and
// DATA in one write, replies read in order); RFC 1870 (SIZE=); RFC 6152 (BODY=8BITMIME);
// RFC 6531 §3.4 (SMTPUTF8); RFC 7435 (opportunistic TLS by default).
//
// Remote replies are hostile (RELIABILITY.md): every read and write has a deadline, reply
// lines and the lines of one reply are bounded, and anything malformed ends the attempt
// as ProtocolError instead of being guessed at.
//
// The same client submits for the lab's simulated mail users (the scenarios' senders):
// implicit TLS for SMTPS (RFC 8314 §3.3) and AUTH PLAIN (RFC 4954, RFC 4616) when given
// credentials; whatever the account settings get wrong is what goes over the wire.
//
// Leaves out: AUTH LOGIN and CRAM (PLAIN covers the lab), BDAT/CHUNKING (RFC 3030), DSN
// parameters (RFC 3461), downgrading 8-bit bodies for servers without 8BITMIME (they are
// sent as they are, as Postfix does), connection reuse across messages, TLS close_notify.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "servers/net/asio.hpp"
#include "servers/smtp/journey_registry.hpp"
#include "servers/smtp/smtp_reply.hpp"
#include "sim/event_bus.hpp"

namespace mailflow::smtp {

// RFC 5321 §4.5.3.2 values as defaults; the lab scales them down in tests.
struct ClientTimeouts {
  std::chrono::milliseconds connect{30'000};     // TCP connect (not in the RFC; Postfix smtp_connect_timeout)
  std::chrono::milliseconds greeting{300'000};   // §4.5.3.2.1 initial 220 message: 5 minutes
  std::chrono::milliseconds command{300'000};    // §4.5.3.2.2/3 MAIL, RCPT (also EHLO, STARTTLS, QUIT): 5 minutes
  std::chrono::milliseconds data_start{120'000}; // §4.5.3.2.4 DATA initiation (the 354): 2 minutes
  std::chrono::milliseconds data_block{180'000}; // §4.5.3.2.5 each send of message data: 3 minutes
  std::chrono::milliseconds data_end{600'000};   // §4.5.3.2.6 reply after the final dot: 10 minutes
};

struct ClientCredentials {
  std::string login;
  std::string password;
};

struct ClientOptions {
  std::string helo_name;                         // our host name for EHLO/HELO: "smtp.alpha.test"
  std::optional<net::asio::ip::address> local_address;  // bind here before connecting (our host's address)
  std::shared_ptr<net::asio::ssl::context> tls;  // client context (trusts the lab CA); null: never STARTTLS
  bool require_tls = false;                      // TlsFailed when STARTTLS is not offered or fails
  bool implicit_tls = false;                     // SMTPS: the TLS handshake before the greeting
  std::optional<ClientCredentials> auth;         // submission: AUTH PLAIN after EHLO (and TLS)
  bool verify_certificate = false;               // RFC 7435: encrypt, but do not insist on the name
  std::string tls_server_name;                   // SNI and the name to verify: the MX host name
  ClientTimeouts timeouts;
  // Octets per reply line without CRLF, and lines per reply (a 100-line EHLO is plenty).
  std::size_t max_reply_line = 1000;
  std::size_t max_reply_lines = 100;
  // Events: protocol Smtp, kinds Connect/Command/Reply/Tls/Disconnect, host = host_name
  // (ours), peer = the server's ip:port, journey = journey. Message bodies never appear.
  sim::EventBus* bus = nullptr;
  std::string host_name;
  std::string journey;
  // When set, the connection is announced here with `journey` (journey_registry.hpp).
  JourneyRegistry* journeys = nullptr;
};

struct ClientEnvelope {
  std::string sender;                   // "" for the null reverse-path <> (bounces)
  std::vector<std::string> recipients;  // in the order RCPT is sent
  std::string message;                  // unstuffed, CRLF line endings
};

// The step whose reply (or failure) decided the attempt. Quit is never reported: the
// attempt is decided before QUIT, and a lost reply to QUIT changes nothing.
enum class AttemptStage { Connect, Greeting, Ehlo, StartTls, Auth, Mail, Rcpt, Data, DataEnd, Quit };

enum class AttemptOutcome {
  Delivered,      // the server took the message for at least one recipient (see recipients)
  Rejected,       // a 5yz ended the transaction before the data completed, or at the final dot
  Deferred,       // a 4yz ended it
  ConnectFailed,  // no TCP connection (refused, unreachable)
  Timeout,        // a deadline passed (connect, a reply, a write)
  TlsFailed,      // require_tls and no STARTTLS, or the STARTTLS handshake failed
  ProtocolError,  // malformed or over-long replies, an unexpected code, the server hung up
};

// "delivered", "rejected", "deferred", "connect-failed", "timeout", "tls-failed",
// "protocol-error".
std::string_view attempt_outcome_name(AttemptOutcome outcome);
// "connect", "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "data-end", "quit".
std::string_view attempt_stage_name(AttemptStage stage);

struct RecipientResult {
  std::string recipient;
  // The reply that decided this recipient: the reply after the final dot when RCPT was
  // accepted and the data was sent (RFC 5321 §3.3: one reply for the whole message); the
  // RCPT reply when RCPT was refused; otherwise the reply that ended the attempt (a 451 to
  // MAIL, a 554 greeting), or code 0 when no reply ended it (refused, time-out, hang-up).
  // So reply.code is 2yz exactly when the server took the message for this recipient.
  SmtpReply reply;

  bool delivered() const { return reply.code >= 200 && reply.code < 300; }
};

struct DeliveryAttempt {
  AttemptOutcome outcome = AttemptOutcome::ConnectFailed;
  AttemptStage stage = AttemptStage::Connect;
  SmtpReply reply;       // the reply that decided, if any (code 0 when none)
  std::string error;     // "connection refused", "timed out waiting for the greeting"; empty when delivered
  std::vector<RecipientResult> recipients;  // one per envelope recipient, in envelope order
  bool tls = false;                          // STARTTLS completed
  std::string tls_description;               // "TLSv1.3 with cipher ..." when tls
  std::string remote;                        // "127.10.2.2:10025"
  std::string remote_greeting;               // "220 mx.beta.test ESMTP mailflow"
};

// What the server's EHLO reply offers (RFC 5321 §4.1.1.1: the first line greets, every
// further line is "keyword [params]", keywords case-insensitive). No I/O.
struct ServerExtensions {
  bool pipelining = false;             // RFC 2920
  bool starttls = false;               // RFC 3207
  bool eight_bit_mime = false;         // RFC 6152
  bool smtputf8 = false;               // RFC 6531
  bool enhanced_status_codes = false;  // RFC 2034
  bool size = false;                   // RFC 1870
  std::uint64_t size_limit = 0;        // SIZE's parameter; 0: no fixed limit declared (RFC 1870 §4)
};
ServerExtensions parse_ehlo_reply(const SmtpReply& reply);

// One delivery attempt to server. Never throws for anything the network or the server
// does; every failure is in the result. Runs on the caller's executor (one thread or
// strand): a deadline closes the socket from a timer handler.
net::awaitable<DeliveryAttempt> deliver(net::tcp::endpoint server, ClientEnvelope envelope, ClientOptions options);

}  // namespace mailflow::smtp
