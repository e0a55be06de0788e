// The simulated POP3 reader's dialogue (Pop3Fetch::run) over a ClientLink: see
// pop3_client.hpp for the RFCs and what is left out.
#include "servers/pop3/pop3_client.hpp"

#include <fmt/format.h>

#include <charconv>
#include <map>

#include "servers/net/client_link.hpp"
#include "servers/smtp/message_headers.hpp"
#include "servers/smtp/sasl.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::pop3 {

using namespace mailflow::net;

namespace {

// RFC 2449 §4: a response line is at most 512 octets; message lines (RFC 5322 §2.1.1) at
// most 1000. Generous, so a sloppy server's long header line still comes through.
constexpr std::size_t kMaxLine = 64 * 1024;

bool positive(std::string_view line) { return line.starts_with("+OK"); }

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return n;
}

class Pop3Fetch : public ReaderProgress {
 public:
  Pop3Fetch(ClientLink& link, const ReaderOptions& options, ReaderResult& result)
      : ReaderProgress(result), link_(link), options_(options) {}

  awaitable<void> run() {
    enter(ReaderStage::Connect);
    co_await link_.connect();
    if (options_.tls == ReaderTls::Implicit) {
      enter(ReaderStage::StartTls);
      co_await link_.start_tls();
      result_.tls = true;
    }
    enter(ReaderStage::Greeting);
    if (std::string greeting = co_await status_line("the greeting"); !positive(greeting)) {
      co_return refuse(greeting, "the server refused the connection");
    }
    if (options_.tls == ReaderTls::Starttls) {
      enter(ReaderStage::StartTls);
      std::string go_ahead = co_await command("STLS");
      if (!positive(go_ahead)) {
        conclude(ReaderOutcome::TlsFailed, go_ahead, "the server refused STLS: " + go_ahead);
        co_return co_await quit();
      }
      co_await link_.start_tls();
      result_.tls = true;
    }
    enter(ReaderStage::Login);
    if (!co_await login()) co_return co_await quit();
    enter(ReaderStage::Mailbox);
    auto drop = co_await list_messages();
    if (!drop) co_return co_await quit();
    for (const auto& [n, message] : *drop) {
      if (options_.leave_on_server && !message.uid.empty() && result_.known.contains(message.uid)) continue;
      if (!co_await download(n, message)) co_return co_await quit();
    }
    // RFC 1939 §6: the DELEs take effect only now, in the UPDATE state after QUIT.
    enter(ReaderStage::Logout);
    std::string bye = co_await command("QUIT");
    if (!positive(bye)) co_return refuse(bye, "the server could not finish the session");
    conclude(ReaderOutcome::Fetched, {}, {});
  }

 private:
  struct DropEntry {
    std::uint64_t size = 0;
    std::string uid;  // "" when the server has no UIDL
  };

  // USER/PASS (RFC 1939 §7) or AUTH PLAIN with its initial response (RFC 5034 §4).
  awaitable<bool> login() {
    if (options_.sasl_plain) {
      std::string reply = co_await command("AUTH PLAIN " + smtp::encode_sasl_plain("", options_.login, options_.password));
      if (positive(reply)) co_return true;
      refuse(reply, "the server refused the login");
      co_return false;
    }
    std::string user = co_await command("USER " + options_.login);
    if (!positive(user)) {
      refuse(user, "the server refused the user name");
      co_return false;
    }
    std::string pass = co_await command("PASS " + options_.password);
    if (positive(pass)) co_return true;
    refuse(pass, "the server refused the login");
    co_return false;
  }

  // STAT, then LIST for the sizes and UIDL for the unique ids (RFC 1939 §5, §7).
  awaitable<std::optional<std::map<std::uint64_t, DropEntry>>> list_messages() {
    std::string stat = co_await command("STAT");
    if (!positive(stat)) {
      refuse(stat, "the server refused STAT");
      co_return std::nullopt;
    }
    std::map<std::uint64_t, DropEntry> drop;
    std::string list = co_await command("LIST");
    if (!positive(list)) {
      refuse(list, "the server refused LIST");
      co_return std::nullopt;
    }
    // Named, not a range-for over a co_await: GCC 12 may free such a temporary early.
    std::vector<std::string> scan = co_await listing("the scan listing");
    for (const auto& line : scan) {
      auto space = line.find(' ');
      auto n = number(std::string_view(line).substr(0, space));
      auto size = space == std::string::npos ? std::nullopt : number(std::string_view(line).substr(space + 1));
      if (!n || !size) throw LinkFailure(ReaderOutcome::ProtocolError, "malformed scan listing line: " + line);
      drop[*n].size = *size;
    }
    // RFC 1939 §7: UIDL is optional; a server without it makes every message new.
    if (std::string uidl = co_await command("UIDL"); positive(uidl)) {
      std::vector<std::string> ids = co_await listing("the unique-id listing");
      for (const auto& line : ids) {
        auto space = line.find(' ');
        auto n = number(std::string_view(line).substr(0, space));
        if (!n || space == std::string::npos || !drop.contains(*n)) {
          throw LinkFailure(ReaderOutcome::ProtocolError, "malformed unique-id listing line: " + line);
        }
        drop[*n].uid = line.substr(space + 1);
      }
    }
    co_return drop;
  }

  // RETR, then DELE unless the account leaves mail on the server.
  awaitable<bool> download(std::uint64_t n, const DropEntry& entry) {
    enter(ReaderStage::Download);
    if (entry.size > options_.max_message) {
      fail(ReaderOutcome::ProtocolError, fmt::format("message {} is {} octets, more than this reader takes", n, entry.size));
      co_return false;
    }
    std::string retr = co_await command(fmt::format("RETR {}", n));
    if (!positive(retr)) {
      refuse(retr, "the server refused to send the message");
      co_return false;
    }
    // Not inside the braces of an aggregate: GCC 12 frees a co_await's result there too early.
    std::string bytes = co_await message_body();
    DownloadedMessage message;
    message.uid = entry.uid;
    message.bytes = std::move(bytes);
    message.journey = smtp::header_value(message.bytes, smtp::kJourneyHeader).value_or("");
    link_.publish(sim::EventKind::Fetched,
                  fmt::format("downloaded message {} (UIDL {}, {} octets)", n, entry.uid.empty() ? "-" : entry.uid,
                              message.bytes.size()),
                  message.journey);
    if (!entry.uid.empty()) result_.known.insert(entry.uid);
    result_.messages.push_back(std::move(message));
    if (options_.leave_on_server) co_return true;
    enter(ReaderStage::Delete);
    std::string dele = co_await command(fmt::format("DELE {}", n));
    if (positive(dele)) co_return true;
    refuse(dele, "the server refused to delete the message");
    co_return false;
  }

  awaitable<std::string> command(std::string line) {
    co_await link_.write_line(line, options_.timeouts.reply);
    std::string first_word = line.substr(0, line.find(' '));
    co_return co_await status_line("the reply to " + first_word);
  }

  // RFC 1939 §3: "+OK" or "-ERR", then text.
  awaitable<std::string> status_line(std::string waiting_for) {
    std::string line = co_await link_.read_line(options_.timeouts.reply, waiting_for);
    link_.publish(sim::EventKind::Reply, line);
    result_.saw.push_back(line);
    if (!positive(line) && !line.starts_with("-ERR")) {
      throw LinkFailure(ReaderOutcome::ProtocolError, fmt::format("not a POP3 status line ({}): {}", waiting_for, line));
    }
    co_return line;
  }

  // The lines of a multi-line response up to the lone ".", each un-stuffed (RFC 1939 §3).
  awaitable<std::vector<std::string>> listing(std::string_view what) {
    std::vector<std::string> lines;
    while (true) {
      std::string line = co_await link_.read_line(options_.timeouts.reply, what);
      if (line == ".") co_return lines;
      if (line.starts_with('.')) line.erase(0, 1);
      lines.push_back(std::move(line));
      if (lines.size() > 1'000'000) throw LinkFailure(ReaderOutcome::ProtocolError, fmt::format("{} never ends", what));
    }
  }

  awaitable<std::string> message_body() {
    std::string bytes;
    while (true) {
      std::string line = co_await link_.read_line(options_.timeouts.message, "the message");
      if (line == ".") co_return bytes;
      if (line.starts_with('.')) line.erase(0, 1);
      bytes += line;
      bytes += "\r\n";
      if (bytes.size() > options_.max_message + 2) {
        throw LinkFailure(ReaderOutcome::ProtocolError, "the message is larger than this reader takes");
      }
    }
  }

  // After a refusal: leave politely; a lost reply changes nothing (nothing was marked
  // deleted that should not be: DELE only follows a complete download).
  awaitable<void> quit() {
    try {
      co_await command("QUIT");
    } catch (const LinkFailure&) {
    }
  }

  ClientLink& link_;
  const ReaderOptions& options_;
};

}  // namespace

awaitable<ReaderResult> fetch_mail(tcp::endpoint server, ReaderOptions options) {
  auto executor = co_await asio::this_coro::executor;
  ReaderResult result;
  result.remote = endpoint_text(server);
  result.known = options.known;
  auto link = std::make_shared<ClientLink>(executor, server, options, sim::Protocol::Pop3, kMaxLine);
  link->start_deadline();
  Pop3Fetch fetch(*link, options, result);
  try {
    co_await fetch.run();
    if (!fetch.decided()) fetch.fail(ReaderOutcome::ProtocolError, "the dialogue ended undecided");
  } catch (const LinkFailure& failure) {
    fetch.fail(failure.outcome, failure.what());
  } catch (const std::exception& e) {
    fetch.fail(ReaderOutcome::ProtocolError, std::string("client failed: ") + e.what());
  }
  link->finish(describe(result));
  co_return result;
}

}  // namespace mailflow::pop3
