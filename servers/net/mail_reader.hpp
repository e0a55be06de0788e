// What the lab's simulated mail readers (pop3::fetch_mail, imap::fetch_mail) are told and
// what they report: the account settings of a scenario's pop3 or imap actor, and one
// fetch — the messages downloaded, every line the server said, and the stage where it
// stopped when it failed. Shared so the scenario runner plays both kinds the same way.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "sim/event_bus.hpp"

namespace mailflow::net {

enum class ReaderTls {
  None,      // plaintext all the way (the server should then refuse the password)
  Starttls,  // POP3 STLS (RFC 2595 §4), IMAP STARTTLS (RFC 3501 §6.2.1); insisted on
  Implicit,  // POP3S / IMAPS (RFC 8314 §3.3): the handshake before the greeting
};

struct ReaderTimeouts {
  std::chrono::milliseconds connect{5'000};
  std::chrono::milliseconds reply{10'000};    // a status line, a tagged response, a handshake
  std::chrono::milliseconds message{30'000};  // each read while a message comes down
};

struct ReaderOptions {
  ReaderTls tls = ReaderTls::Implicit;
  std::shared_ptr<boost::asio::ssl::context> tls_context;  // trusts the lab CA; needed unless tls is None
  std::string tls_server_name;   // SNI and the name the certificate must carry
  bool verify_certificate = true;
  std::string login;
  std::string password;
  bool sasl_plain = false;        // AUTH PLAIN / AUTHENTICATE PLAIN instead of USER+PASS / LOGIN
  bool leave_on_server = false;   // POP3: no DELE (IMAP always leaves mail on the server)
  // What this device downloaded before (POP3 UIDLs; IMAP "uidvalidity/uid"): those are
  // not downloaded again. POP3 without leave_on_server downloads whatever is there.
  std::set<std::string> known;
  ReaderTimeouts timeouts;
  std::size_t max_message = 64 * 1024 * 1024;  // octets; a larger message ends the fetch
  // Events (protocol Pop3 or Imap): Connect, Tls, Command (masked), Reply (server lines,
  // never message content), Fetched (journey = the message's X-Mailflow-Journey), Disconnect.
  sim::EventBus* bus = nullptr;
  std::string host_name;  // ours: the actor's name
};

// Where the dialogue was when it was decided.
enum class ReaderStage { Connect, Greeting, StartTls, Login, Mailbox, Download, Delete, Logout };

enum class ReaderOutcome {
  Fetched,        // logged in, downloaded every new message, logged out
  Refused,        // the server said -ERR / NO / BAD (see the result's reply)
  ConnectFailed,  // no TCP connection
  Timeout,        // a deadline passed
  TlsFailed,      // the handshake failed, or STLS / STARTTLS was refused
  ProtocolError,  // malformed or over-long lines, the server hung up
};

// "fetched", "refused", "connect-failed", "timeout", "tls-failed", "protocol-error".
std::string_view reader_outcome_name(ReaderOutcome outcome);
// "connect", "greeting", "starttls", "login", "mailbox", "download", "delete", "logout".
std::string_view reader_stage_name(ReaderStage stage);

struct DownloadedMessage {
  std::string uid;      // POP3 UIDL, IMAP "uidvalidity/uid"
  std::string bytes;    // the message as stored, CRLF line endings
  std::string journey;  // its X-Mailflow-Journey header; "" when it has none
};

struct ReaderResult {
  ReaderOutcome outcome = ReaderOutcome::ConnectFailed;
  ReaderStage stage = ReaderStage::Connect;
  std::string reply;  // the server line that decided, when one did
  std::string error;  // why it failed; empty when fetched
  std::vector<DownloadedMessage> messages;  // downloaded this time, in server order
  std::vector<std::string> saw;  // every status and response line the server sent, in order
  std::set<std::string> known;   // options.known plus what was downloaded now
  bool tls = false;
  std::string remote;  // "127.10.2.3:10995"

  bool ok() const { return outcome == ReaderOutcome::Fetched; }
};

// "fetched 2 message(s)" or "refused at login: -ERR [AUTH] Authentication failed".
std::string describe(const ReaderResult& result);

// A reader's dialogue keeps its result here: the stage it has reached, and how it ended.
// The first conclusion counts; what happens after it (a polite QUIT or LOGOUT) does not
// change the verdict.
class ReaderProgress {
 public:
  explicit ReaderProgress(ReaderResult& result) : result_(result) {}

  void enter(ReaderStage stage) {
    if (!decided_) result_.stage = stage;
  }
  void conclude(ReaderOutcome outcome, std::string reply, std::string error);
  // The server said no to what `why` names; `line` is its answer.
  void refuse(const std::string& line, std::string_view why);
  void fail(ReaderOutcome outcome, std::string why) { conclude(outcome, {}, std::move(why)); }
  bool decided() const { return decided_; }

 protected:
  ReaderResult& result_;

 private:
  bool decided_ = false;
};

}  // namespace mailflow::net
