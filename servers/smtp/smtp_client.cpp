// The relay's SMTP client: the delivery dialogue (Delivery::run), the link under it that
// reads bounded replies and writes under per-operation deadlines, and the EHLO keyword
// parser. See smtp_client.hpp for the RFCs and what is left out.
#include "servers/smtp/smtp_client.hpp"

#include "sim/ascii.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "servers/net/deadline.hpp"
#include "servers/net/line_buffer.hpp"
#include "servers/net/session_id.hpp"
#include "servers/net/tls.hpp"
#include "servers/smtp/sasl.hpp"
#include "servers/smtp/smtp_data.hpp"
#include "sim/event.hpp"

// GCC 12 takes the operator new / operator delete pair of Asio's coroutine frames for a
// mismatch in some coroutines here (-Wmismatched-new-delete); the pair is Asio's own.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::smtp {

using namespace mailflow::net;
using std::chrono::milliseconds;

namespace {

// RFC 5321 §4.5.3.2.5 times each send of message data, so the message goes out in blocks
// of this size, each under its own data_block deadline.
constexpr std::size_t kDataBlockOctets = 64 * 1024;

// Why the link cannot go on; deliver() turns it into the attempt's outcome.
struct LinkFailure : std::runtime_error {
  LinkFailure(AttemptOutcome o, const std::string& why) : std::runtime_error(why), outcome(o) {}
  AttemptOutcome outcome;
};

using sim::ascii_iequals;

bool has_8bit(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool unsafe_in_path(std::string_view address) {
  return address.find_first_of(std::string_view("\r\n\0<>", 5)) != std::string_view::npos;
}

bool is_completion(const SmtpReply& reply) { return reply.code >= 200 && reply.code < 300; }

// RFC 5321 §3.8: 421 means the server is closing the connection now.
constexpr int kServiceClosing = 421;
// RFC 5321 §4.3.2: the reply to DATA that asks for the message.
constexpr int kStartMailInput = 354;
// RFC 5321 §4.3.1 / RFC 3207 §4: service ready (greeting; go ahead with TLS).
constexpr int kServiceReady = 220;
// RFC 4954 §6: authentication succeeded.
constexpr int kAuthSucceeded = 235;

// A session with no TLS configured still needs a context to build its stream type.
asio::ssl::context& plaintext_context() {
  static asio::ssl::context context(asio::ssl::context::tls_client);
  return context;
}

// One TCP (later TLS) connection to the server: bounded reply reading, writes, the
// STARTTLS handshake, and events. Every operation arms the deadline first; when it passes,
// the socket is closed and the operation fails as Timeout.
class SmtpLink : public std::enable_shared_from_this<SmtpLink> {
 public:
  SmtpLink(asio::any_io_executor executor, tcp::endpoint server, const ClientOptions& options)
      : options_(options),
        server_(server),
        stream_(tcp::socket(executor), options.tls ? *options.tls : plaintext_context()),
        deadline_(std::make_shared<Deadline>(executor)),
        input_(options.max_reply_line + 2),  // LineBuffer counts the CRLF
        parser_(options.max_reply_line, options.max_reply_lines),
        peer_(endpoint_text(server)),
        session_(next_session_id()),
        journeys_(options.journeys) {}
  ~SmtpLink() {
    if (!announced_.empty()) journeys_->forget(announced_);
  }

  void start_deadline() { asio::co_spawn(stream_.get_executor(), watch(deadline_, weak_from_this()), asio::detached); }

  awaitable<void> connect() {
    std::string name = options_.tls_server_name.empty() ? peer_ : options_.tls_server_name + " " + peer_;
    publish(sim::EventKind::Connect, "connecting to " + name);
    deadline_->arm(options_.timeouts.connect);
    error_code ec;
    if (options_.local_address) {
      // Leave from our own host's address, so the next hop sees which post office called.
      auto& socket = stream_.next_layer();
      socket.open(server_.protocol(), ec);
      if (!ec) socket.bind(tcp::endpoint(*options_.local_address, 0), ec);
      if (ec) throw LinkFailure(AttemptOutcome::ConnectFailed, "cannot bind " + options_.local_address->to_string() + ": " + ec.message());
    }
    co_await stream_.next_layer().async_connect(server_, asio::redirect_error(use_awaitable, ec));
    if (!ec) {
      // Small commands written back to back (pipelining, after TLS): see tcp_listener.cpp.
      error_code ignored;
      stream_.next_layer().set_option(tcp::no_delay(true), ignored);
      announce_journey();
      co_return;
    }
    if (deadline_->expired()) throw LinkFailure(AttemptOutcome::Timeout, "timed out connecting to " + peer_);
    if (ec == asio::error::connection_refused) throw LinkFailure(AttemptOutcome::ConnectFailed, "connection refused");
    throw LinkFailure(AttemptOutcome::ConnectFailed, "cannot connect to " + peer_ + ": " + ec.message());
  }

  // Before the greeting is even read, so the receiving session knows the journey at MAIL.
  void announce_journey() {
    if (!journeys_ || options_.journey.empty()) return;
    error_code ec;
    auto local = stream_.next_layer().local_endpoint(ec);
    if (ec) return;
    announced_ = endpoint_text(local);
    journeys_->announce(announced_, options_.journey);
  }

  // The next whole reply (RFC 5321 §4.2). waiting_for names it in errors: "the greeting".
  awaitable<SmtpReply> read_reply(milliseconds timeout, std::string_view waiting_for) {
    while (true) {
      auto next = input_.next_line();
      if (next.status == LineBuffer::Status::TooLong) {
        throw LinkFailure(AttemptOutcome::ProtocolError,
                          fmt::format("reply line longer than {} octets while waiting for {}", options_.max_reply_line,
                                      waiting_for));
      }
      if (next.status == LineBuffer::Status::NeedMore) {
        co_await read_some(timeout, waiting_for);
        continue;
      }
      switch (parser_.feed_line(next.line)) {
        case ReplyParser::Status::NeedMore: continue;
        case ReplyParser::Status::Malformed:
          throw LinkFailure(AttemptOutcome::ProtocolError,
                            fmt::format("malformed reply while waiting for {}: {}", waiting_for, parser_.error()));
        case ReplyParser::Status::Complete: {
          SmtpReply reply = parser_.take();
          publish(sim::EventKind::Reply, reply.summary(), reply.code, reply.enhanced);
          co_return reply;
        }
      }
    }
  }

  awaitable<void> send_command(std::string line, milliseconds timeout) {
    std::vector<std::string> lines;
    lines.push_back(std::move(line));
    co_await send_commands(lines, timeout);
  }

  // Command lines, in one write (with PIPELINING, a whole group: RFC 2920 §3.1).
  awaitable<void> send_commands(const std::vector<std::string>& lines, milliseconds timeout) {
    std::string wire;
    for (const auto& line : lines) {
      publish(sim::EventKind::Command, sim::mask_credentials(line));
      wire += line + "\r\n";
    }
    // Named before the co_await: GCC 12 destroys a temporary of a ?: inside co_await twice.
    std::string what = lines.size() == 1 ? sim::mask_credentials(lines.front()) : std::string("the pipelined commands");
    co_await write(wire, timeout, what);
  }

  // The dot-stuffed message data, in blocks (RFC 5321 §4.5.3.2.5). The event says only
  // how large it is: bodies never go into events.
  awaitable<void> send_message_data(std::string_view wire) {
    publish(sim::EventKind::Command, fmt::format("message data ({} octets)", wire.size()));
    for (std::size_t offset = 0; offset < wire.size(); offset += kDataBlockOctets) {
      co_await write(wire.substr(offset, kDataBlockOctets), options_.timeouts.data_block, "the message data");
    }
  }

  // RFC 3207 §4.2: after the server's 220, the TLS handshake. Nothing the server sent in
  // plaintext after its 220 may be read as if it came over TLS (response injection, the
  // client side of CVE-2011-0411), so the input is discarded first.
  awaitable<void> start_tls() {
    try {
      prepare_client_stream(stream_, options_.tls_server_name, options_.verify_certificate);
    } catch (const std::exception& e) {
      throw LinkFailure(AttemptOutcome::TlsFailed, std::string("cannot prepare TLS: ") + e.what());
    }
    input_.clear();
    deadline_->arm(options_.timeouts.command);
    error_code ec;
    co_await stream_.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    PeerVerification peer = peer_verification(stream_.native_handle());
    if (ec) {
      std::string why = deadline_->expired() ? "timed out in the TLS handshake" : "TLS handshake failed: " + ec.message();
      if (peer.presented && !peer.verified) why += " (certificate: " + peer.reason + ")";
      publish(sim::EventKind::Tls, why);
      throw LinkFailure(AttemptOutcome::TlsFailed, why);
    }
    tls_ = true;
    tls_description_ = describe_tls(stream_.native_handle());
    std::string certificate = peer.verified ? "verified" : "not verified: " + peer.reason;
    publish(sim::EventKind::Tls, fmt::format("{}; certificate {} {}", tls_description_, peer.subject, certificate));
  }

  void close() {
    error_code ignored;
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
  }

  // The attempt is over: close, stop the watcher, say how it ended.
  void finish(std::string how) {
    close();
    deadline_->cancel();
    publish(sim::EventKind::Disconnect, std::move(how));
  }

  bool tls() const { return tls_; }
  const std::string& tls_description() const { return tls_description_; }

 private:
  // The watcher holds the Deadline but only a weak link: a deadline passing after the
  // attempt finds nothing to close.
  static awaitable<void> watch(std::shared_ptr<Deadline> deadline, std::weak_ptr<SmtpLink> weak_link) {
    auto close_link = [weak_link] {
      if (auto link = weak_link.lock()) link->close();
    };
    co_await Deadline::watch(std::move(deadline), close_link);  // named: GCC 12 mishandles a lambda temporary here
  }

  awaitable<void> read_some(milliseconds timeout, std::string_view waiting_for) {
    char chunk[4096];
    error_code ec;
    deadline_->arm(timeout);
    std::size_t n = tls_ ? co_await stream_.async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec))
                         : co_await stream_.next_layer().async_read_some(asio::buffer(chunk),
                                                                         asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (deadline_->expired()) {
        throw LinkFailure(AttemptOutcome::Timeout, fmt::format("timed out waiting for {}", waiting_for));
      }
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        throw LinkFailure(AttemptOutcome::ProtocolError,
                          fmt::format("the server closed the connection while we waited for {}", waiting_for));
      }
      throw LinkFailure(AttemptOutcome::ProtocolError,
                        fmt::format("connection lost while waiting for {}: {}", waiting_for, ec.message()));
    }
    input_.append(std::string_view(chunk, n));
  }

  awaitable<void> write(std::string_view bytes, milliseconds timeout, std::string_view what) {
    error_code ec;
    deadline_->arm(timeout);
    if (tls_) {
      co_await asio::async_write(stream_, asio::buffer(bytes), asio::redirect_error(use_awaitable, ec));
    } else {
      co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes), asio::redirect_error(use_awaitable, ec));
    }
    if (!ec) co_return;
    if (deadline_->expired()) throw LinkFailure(AttemptOutcome::Timeout, fmt::format("timed out sending {}", what));
    throw LinkFailure(AttemptOutcome::ProtocolError, fmt::format("connection lost sending {}: {}", what, ec.message()));
  }

  void publish(sim::EventKind kind, std::string line, int code = 0, std::string status = {}) {
    if (!options_.bus || !options_.bus->has_subscribers()) return;
    sim::Event e;
    e.journey = options_.journey;
    e.host = options_.host_name;
    e.peer = peer_;
    e.session = session_;
    e.protocol = sim::Protocol::Smtp;
    e.kind = kind;
    e.line = std::move(line);
    e.code = code;
    e.status = std::move(status);
    options_.bus->publish(std::move(e));
  }

  const ClientOptions& options_;
  tcp::endpoint server_;
  TlsStream stream_;
  std::shared_ptr<Deadline> deadline_;
  LineBuffer input_;
  ReplyParser parser_;
  std::string peer_;
  std::uint64_t session_;
  JourneyRegistry* journeys_;
  std::string announced_;  // our endpoint as announced to journeys_
  bool tls_ = false;
  std::string tls_description_;
};

// One delivery attempt: the dialogue, and the bookkeeping of who was decided by what.
class Delivery {
 public:
  Delivery(SmtpLink& link, const ClientEnvelope& envelope, const ClientOptions& options, DeliveryAttempt& attempt)
      : link_(link), envelope_(envelope), options_(options), timeouts_(options.timeouts), attempt_(attempt),
        settled_(envelope.recipients.size(), false) {}

  // RFC 5321 §3.3 in order. Returns once the attempt is decided (conclude()), or throws
  // LinkFailure when the connection fails before that.
  awaitable<void> run() {
    if (auto why = envelope_problem()) {
      enter(AttemptStage::Mail);
      co_return refuse_locally(*why);  // never worth a connection
    }
    enter(AttemptStage::Connect);
    co_await link_.connect();
    if (options_.implicit_tls) {
      // RFC 8314 §3.3: on a submissions port TLS comes first, then the greeting inside it.
      enter(AttemptStage::StartTls);
      co_await link_.start_tls();
      attempt_.tls = true;
      attempt_.tls_description = link_.tls_description();
    }

    // RFC 5321 §3.1, §4.3.2: the server speaks first; 220, or 554 "no service here".
    enter(AttemptStage::Greeting);
    SmtpReply greeting = co_await link_.read_reply(timeouts_.greeting, "the greeting");
    attempt_.remote_greeting = greeting.summary();
    if (greeting.code != kServiceReady) {
      decide_by(greeting, "the server refused the connection");
      co_return co_await quit();
    }

    enter(AttemptStage::Ehlo);
    auto extensions = co_await hello();
    if (!extensions) co_return;

    // RFC 3207: STARTTLS when offered and we have a context; RFC 7435: without
    // require_tls, a server that does not offer it (or answers 454) gets plaintext.
    bool can_tls = options_.tls && extensions->starttls && !link_.tls();
    if (!can_tls && !link_.tls() && options_.require_tls) {
      enter(AttemptStage::StartTls);
      conclude(AttemptOutcome::TlsFailed, {},
               options_.tls ? "TLS is required but the server does not offer STARTTLS"
                            : "TLS is required but no TLS context was given");
      co_return co_await quit();
    }
    if (can_tls) {
      enter(AttemptStage::StartTls);
      co_await link_.send_command("STARTTLS", timeouts_.command);
      SmtpReply go_ahead = co_await link_.read_reply(timeouts_.command, "the reply to STARTTLS");
      if (go_ahead.code == kServiceReady) {
        co_await link_.start_tls();
        attempt_.tls = true;
        attempt_.tls_description = link_.tls_description();
        // RFC 3207 §4.2: forget what the server said before TLS; ask again.
        enter(AttemptStage::Ehlo);
        extensions = co_await hello();
        if (!extensions) co_return;
      } else if (options_.require_tls || go_ahead.code == kServiceClosing) {
        conclude(go_ahead.code == kServiceClosing ? AttemptOutcome::Deferred : AttemptOutcome::TlsFailed, go_ahead,
                 "the server refused STARTTLS: " + go_ahead.summary());
        co_return co_await quit();
      }
    }

    if (options_.auth) {
      enter(AttemptStage::Auth);
      if (!co_await authenticate()) co_return;
    }
    co_await transaction(*extensions);
  }

  // RFC 4954 §4 with PLAIN's initial response (RFC 4616). Sent even when EHLO offers no
  // AUTH (before STARTTLS a submission server offers none): the server's own refusal, such
  // as "530 5.7.0 Must issue a STARTTLS command first", is what the user should see.
  awaitable<bool> authenticate() {
    const auto& c = *options_.auth;
    co_await link_.send_command("AUTH PLAIN " + encode_sasl_plain("", c.login, c.password), timeouts_.command);
    SmtpReply reply = co_await link_.read_reply(timeouts_.command, "the reply to AUTH");
    if (reply.code == kAuthSucceeded) co_return true;
    decide_by(reply, "the server refused the login");
    co_await quit();
    co_return false;
  }

  // Records a LinkFailure, unless a reply decided the attempt already (a server that hangs
  // up after "550" to a pipelined MAIL has still rejected it).
  void fail(AttemptOutcome outcome, std::string why) { conclude(outcome, {}, std::move(why)); }

  // Every recipient not decided by a reply of its own gets the reply that ended the attempt.
  void settle_recipients() {
    for (std::size_t i = 0; i < attempt_.recipients.size(); ++i) {
      if (!settled_[i]) attempt_.recipients[i].reply = attempt_.reply;
    }
  }

  bool decided() const { return decided_; }

 private:
  // RFC 5321 §4.1.1.1 EHLO; §3.2: a server that does not know EHLO (500, 502) gets HELO and
  // is assumed to offer no extensions. nullopt when the attempt was decided here.
  awaitable<std::optional<ServerExtensions>> hello() {
    co_await link_.send_command("EHLO " + options_.helo_name, timeouts_.command);
    SmtpReply ehlo = co_await link_.read_reply(timeouts_.command, "the reply to EHLO");
    if (is_completion(ehlo)) co_return parse_ehlo_reply(ehlo);
    if (ehlo.code == 500 || ehlo.code == 502) {
      co_await link_.send_command("HELO " + options_.helo_name, timeouts_.command);
      ehlo = co_await link_.read_reply(timeouts_.command, "the reply to HELO");
      if (is_completion(ehlo)) co_return ServerExtensions{};
    }
    decide_by(ehlo, "the server refused our greeting");
    co_await quit();
    co_return std::nullopt;
  }

  // MAIL, RCPT for each recipient, DATA, the message (RFC 5321 §3.3). With PIPELINING the
  // first three go out in one write and the replies are read in order (RFC 2920 §3.1);
  // without it each command waits for its reply, and nothing is sent after a refusal.
  awaitable<void> transaction(const ServerExtensions& extensions) {
    enter(AttemptStage::Mail);
    bool utf8_addresses = has_8bit(envelope_.sender) || std::any_of(envelope_.recipients.begin(),
                                                                    envelope_.recipients.end(), has_8bit);
    // RFC 6531 §3.4: an address that is not ASCII goes only to a server offering SMTPUTF8.
    if (utf8_addresses && !extensions.smtputf8) {
      refuse_locally("the server does not offer SMTPUTF8, needed for a non-ASCII address");
      co_return co_await quit();
    }

    std::string data = dot_stuff(envelope_.message);
    std::string mail = "MAIL FROM:<" + envelope_.sender + ">";
    // RFC 1870 §3: the size of the message; the stuffed size, an upper bound by a few dots.
    if (extensions.size) mail += " SIZE=" + std::to_string(data.size() - 3);
    if (extensions.eight_bit_mime && has_8bit(envelope_.message)) mail += " BODY=8BITMIME";  // RFC 6152 §3
    if (utf8_addresses) mail += " SMTPUTF8";                                                // RFC 6531 §3.4
    std::vector<std::string> commands{mail};
    for (const auto& address : envelope_.recipients) commands.push_back("RCPT TO:<" + address + ">");
    commands.push_back("DATA");

    const bool pipelining = extensions.pipelining;
    if (pipelining) co_await link_.send_commands(commands, timeouts_.command);

    // MAIL FROM (§4.1.1.2).
    if (!pipelining) co_await link_.send_command(commands.front(), timeouts_.command);
    SmtpReply mail_reply = co_await link_.read_reply(timeouts_.command, "the reply to MAIL");
    if (!is_completion(mail_reply)) {
      decide_by(mail_reply, "the server refused the sender");
      // With PIPELINING the RCPT and DATA replies still come (503s); they are read below.
      if (!pipelining || mail_reply.code == kServiceClosing) co_return co_await quit();
    }

    // RCPT TO (§4.1.1.3): each recipient's own reply.
    enter(AttemptStage::Rcpt);
    std::vector<std::size_t> accepted;
    for (std::size_t i = 0; i < envelope_.recipients.size(); ++i) {
      if (!pipelining) co_await link_.send_command(commands[i + 1], timeouts_.command);
      SmtpReply reply = co_await link_.read_reply(timeouts_.command, "the reply to RCPT");
      if (reply.code == kServiceClosing) {
        decide_by(reply, "the server closed the connection");
        co_return co_await quit();
      }
      if (decided_) continue;  // MAIL was refused: these replies only keep us in step
      if (is_completion(reply)) {
        accepted.push_back(i);
      } else {
        settled_[i] = true;
      }
      attempt_.recipients[i].reply = std::move(reply);
    }

    // DATA (§4.1.1.4). No recipient accepted: the transaction is over. RFC 2920 §3.1: the
    // server must then refuse a pipelined DATA; one that answers 354 anyway gets an empty
    // message, ended at once, whose reply is ignored.
    if (!decided_ && accepted.empty()) decide_by(first_refusal(), "every recipient was refused");
    enter(AttemptStage::Data);
    if (decided_ && !pipelining) co_return co_await quit();
    if (!pipelining) co_await link_.send_command("DATA", timeouts_.command);
    SmtpReply data_reply = co_await link_.read_reply(timeouts_.data_start, "the reply to DATA");
    if (data_reply.code != kStartMailInput) {
      decide_by(data_reply, "the server refused to take the message");
      co_return co_await quit();
    }
    if (decided_) {
      co_await link_.send_message_data(".\r\n");
      co_await link_.read_reply(timeouts_.data_end, "the reply to an empty message");
      co_return co_await quit();
    }

    // The message, then one reply for every accepted recipient (§3.3, §4.1.1.4).
    enter(AttemptStage::DataEnd);
    co_await link_.send_message_data(data);
    SmtpReply final_reply = co_await link_.read_reply(timeouts_.data_end, "the reply after the final dot");
    for (std::size_t i : accepted) {
      attempt_.recipients[i].reply = final_reply;
      settled_[i] = true;
    }
    if (is_completion(final_reply)) {
      conclude(AttemptOutcome::Delivered, final_reply, {});
    } else {
      decide_by(final_reply, "the server refused the message");
    }
    co_await quit();
  }

  // RFC 5321 §4.1.1.10. The attempt is decided before QUIT, so a lost reply to it changes
  // nothing (after a 250 at the dot the message is the server's: §6.1).
  awaitable<void> quit() {
    if (attempt_.reply.code == kServiceClosing) co_return;  // §3.8: the server is gone already
    try {
      co_await link_.send_command("QUIT", timeouts_.command);
      co_await link_.read_reply(timeouts_.command, "the reply to QUIT");
    } catch (const LinkFailure&) {
    }
  }

  // The reply that speaks for a transaction whose every RCPT was refused: a temporary
  // refusal first (those recipients are retried), else the first permanent one.
  SmtpReply first_refusal() const {
    for (const auto& r : attempt_.recipients) {
      if (r.reply.transient()) return r.reply;
    }
    return attempt_.recipients.front().reply;
  }

  void enter(AttemptStage stage) {
    if (!decided_) attempt_.stage = stage;
  }

  // A reply ended the attempt: 4yz defers (RFC 5321 §4.5.4.1), 5yz rejects; any other code
  // where this one came is the server not following the protocol.
  void decide_by(const SmtpReply& reply, std::string_view why) {
    if (reply.transient()) return conclude(AttemptOutcome::Deferred, reply, fmt::format("{}: {}", why, reply.summary()));
    if (reply.permanent()) return conclude(AttemptOutcome::Rejected, reply, fmt::format("{}: {}", why, reply.summary()));
    conclude(AttemptOutcome::ProtocolError, reply, fmt::format("unexpected reply {} ({})", reply.summary(), why));
  }

  // An envelope no server should see: an address that could end the command line early or
  // close its angle brackets would let whoever wrote it add commands of their own.
  std::optional<std::string> envelope_problem() const {
    if (envelope_.recipients.empty()) return "the envelope has no recipients";
    if (unsafe_in_path(envelope_.sender)) return "the sender address contains CR, LF, NUL or angle brackets";
    for (const auto& address : envelope_.recipients) {
      if (unsafe_in_path(address)) return "a recipient address contains CR, LF, NUL or angle brackets";
    }
    return std::nullopt;
  }

  // We refuse to send this envelope to any server: permanent, no reply involved.
  void refuse_locally(std::string why) { conclude(AttemptOutcome::Rejected, {}, std::move(why)); }

  void conclude(AttemptOutcome outcome, SmtpReply reply, std::string error) {
    if (decided_) return;
    decided_ = true;
    attempt_.outcome = outcome;
    attempt_.reply = std::move(reply);
    attempt_.error = std::move(error);
  }

  SmtpLink& link_;
  const ClientEnvelope& envelope_;
  const ClientOptions& options_;
  const ClientTimeouts& timeouts_;
  DeliveryAttempt& attempt_;
  std::vector<bool> settled_;  // this recipient's reply is its own final word
  bool decided_ = false;
};

// The EHLO keywords the client acts on (RFC 5321 §4.1.1.1, keywords case-insensitive).
struct KeywordFlag {
  std::string_view keyword;
  bool ServerExtensions::*flag;
};
constexpr KeywordFlag kKeywordFlags[] = {
    {"PIPELINING", &ServerExtensions::pipelining},         // RFC 2920 §3
    {"STARTTLS", &ServerExtensions::starttls},             // RFC 3207 §4
    {"8BITMIME", &ServerExtensions::eight_bit_mime},       // RFC 6152 §2
    {"SMTPUTF8", &ServerExtensions::smtputf8},             // RFC 6531 §3.1
    {"ENHANCEDSTATUSCODES", &ServerExtensions::enhanced_status_codes},  // RFC 2034 §2
    {"SIZE", &ServerExtensions::size},                     // RFC 1870 §4
};

}  // namespace

std::string_view attempt_outcome_name(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::Delivered: return "delivered";
    case AttemptOutcome::Rejected: return "rejected";
    case AttemptOutcome::Deferred: return "deferred";
    case AttemptOutcome::ConnectFailed: return "connect-failed";
    case AttemptOutcome::Timeout: return "timeout";
    case AttemptOutcome::TlsFailed: return "tls-failed";
    case AttemptOutcome::ProtocolError: return "protocol-error";
  }
  return "?";
}

std::string_view attempt_stage_name(AttemptStage stage) {
  switch (stage) {
    case AttemptStage::Connect: return "connect";
    case AttemptStage::Greeting: return "greeting";
    case AttemptStage::Ehlo: return "ehlo";
    case AttemptStage::StartTls: return "starttls";
    case AttemptStage::Auth: return "auth";
    case AttemptStage::Mail: return "mail";
    case AttemptStage::Rcpt: return "rcpt";
    case AttemptStage::Data: return "data";
    case AttemptStage::DataEnd: return "data-end";
    case AttemptStage::Quit: return "quit";
  }
  return "?";
}

// ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
//             / ( "250-" Domain [ SP ehlo-greet ] CRLF *( "250-" ehlo-line CRLF ) "250" SP ehlo-line CRLF )
// ehlo-line = ehlo-keyword *( SP ehlo-param )                       (RFC 5321 §4.1.1.1)
ServerExtensions parse_ehlo_reply(const SmtpReply& reply) {
  ServerExtensions extensions;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::string_view line = reply.lines[i];
    auto space = line.find(' ');
    std::string_view keyword = line.substr(0, space);
    std::string_view params = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    for (const auto& known : kKeywordFlags) {
      if (ascii_iequals(keyword, known.keyword)) extensions.*known.flag = true;
    }
    if (ascii_iequals(keyword, "SIZE")) {
      // RFC 1870 §4: "SIZE" [SP 1*DIGIT]; absent or 0: no fixed maximum.
      std::uint64_t limit = 0;
      auto [end, ec] = std::from_chars(params.data(), params.data() + params.size(), limit);
      extensions.size_limit = ec == std::errc() && end == params.data() + params.size() ? limit : 0;
    }
  }
  return extensions;
}

awaitable<DeliveryAttempt> deliver(tcp::endpoint server, ClientEnvelope envelope, ClientOptions options) {
  auto executor = co_await asio::this_coro::executor;
  DeliveryAttempt attempt;
  attempt.remote = endpoint_text(server);
  for (const auto& recipient : envelope.recipients) attempt.recipients.push_back(RecipientResult{recipient, {}});

  auto link = std::make_shared<SmtpLink>(executor, server, options);
  link->start_deadline();
  Delivery delivery(*link, envelope, options, attempt);
  try {
    co_await delivery.run();
    if (!delivery.decided()) delivery.fail(AttemptOutcome::ProtocolError, "the dialogue ended undecided");
  } catch (const LinkFailure& failure) {
    delivery.fail(failure.outcome, failure.what());
  } catch (const std::exception& e) {
    delivery.fail(AttemptOutcome::ProtocolError, std::string("client failed: ") + e.what());
  }
  delivery.settle_recipients();
  std::string how = fmt::format("{} at {}", attempt_outcome_name(attempt.outcome), attempt_stage_name(attempt.stage));
  if (!attempt.error.empty()) how += ": " + attempt.error;
  else if (attempt.reply.code != 0) how += " (" + attempt.reply.summary() + ")";
  link->finish(std::move(how));
  co_return attempt;
}

}  // namespace mailflow::smtp
