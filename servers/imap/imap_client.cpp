// The simulated IMAP reader's dialogue (ImapFetch::run) over a ClientLink, and the reading
// of responses with their literals: see imap_client.hpp for the RFCs and what is left out.
#include "servers/imap/imap_client.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <vector>

#include "servers/net/client_link.hpp"
#include "servers/smtp/message_headers.hpp"
#include "servers/smtp/sasl.hpp"
#include "sim/ascii.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow::imap {

using namespace mailflow::net;

namespace {

// A response line between literals; RFC 7162 §4 asks clients for at least 8192 octets.
constexpr std::size_t kMaxLine = 64 * 1024;
// Literals and lines of one response, so a server cannot keep one response going forever.
constexpr std::size_t kMaxLiteralsPerResponse = 1000;

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return n;
}

// The n of a line ending in a literal's "{n}" (RFC 3501 §4.3; "{n+}" of RFC 7888 too).
std::optional<std::uint64_t> literal_size(std::string_view line) {
  if (!line.ends_with('}')) return std::nullopt;
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  if (digits.ends_with('+')) digits.remove_suffix(1);
  return number(digits);
}

// One server response: its lines, and the literal that follows each line but the last.
struct Response {
  std::vector<std::string> lines;
  std::vector<std::string> literals;

  // The lines joined, literals shown as their "{n}" only: for events and transcripts.
  std::string text() const {
    std::string t;
    for (const auto& l : lines) t += l;
    return t;
  }
  bool untagged() const { return lines.front().starts_with("* "); }
  bool continuation() const { return lines.front().starts_with('+'); }
  // The word after the tag or "*": "OK", "NO", "BAD", "BYE", or a number for "* 3 EXISTS".
  std::string word(std::size_t index) const {
    std::string_view l = lines.front();
    for (std::size_t i = 0; i < index; ++i) {
      auto space = l.find(' ');
      if (space == std::string_view::npos) return {};
      l.remove_prefix(space + 1);
    }
    return std::string(l.substr(0, l.find(' ')));
  }
  // The number after `name ` anywhere outside the literals ("UID 7", "UIDVALIDITY 3").
  std::optional<std::uint64_t> value_after(std::string_view name) const {
    for (const auto& l : lines) {
      for (auto at = l.find(name); at != std::string::npos; at = l.find(name, at + 1)) {
        bool starts_word = at == 0 || l[at - 1] == ' ' || l[at - 1] == '(' || l[at - 1] == '[';
        if (!starts_word || at + name.size() >= l.size() || l[at + name.size()] != ' ') continue;
        std::string_view rest = std::string_view(l).substr(at + name.size() + 1);
        if (auto n = number(rest.substr(0, rest.find_first_of(" )]")))) return n;
      }
    }
    return std::nullopt;
  }
  // The literal that follows "BODY[] " (RFC 3501 §7.4.2), if the response carries one.
  const std::string* body() const {
    for (std::size_t i = 0; i < literals.size(); ++i) {
      std::string_view l = lines[i];
      l = l.substr(0, l.rfind('{'));
      if (l.ends_with("BODY[] ")) return &literals[i];
    }
    return nullptr;
  }
};

// RFC 3501 §4.3: a quoted string may not hold CR, LF, NUL or 8-bit octets.
bool quotable(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) return false;
  }
  return true;
}

std::string quoted_string(std::string_view text) {
  std::string q = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

class ImapFetch : public ReaderProgress {
 public:
  ImapFetch(ClientLink& link, const ReaderOptions& options, ReaderResult& result)
      : ReaderProgress(result), link_(link), options_(options) {}

  awaitable<void> run() {
    enter(ReaderStage::Connect);
    co_await link_.connect();
    if (options_.tls == ReaderTls::Implicit) {
      enter(ReaderStage::StartTls);
      co_await link_.start_tls();
      result_.tls = true;
    }
    // RFC 3501 §7.1: "* OK" (log in), "* PREAUTH" (logged in already), "* BYE" (go away).
    enter(ReaderStage::Greeting);
    Response greeting = co_await read_response(options_.timeouts.reply, "the greeting");
    std::string status = greeting.word(1);
    if (!greeting.untagged() || (status != "OK" && status != "PREAUTH")) {
      co_return refuse(greeting.text(), "the server refused the connection");
    }
    if (options_.tls == ReaderTls::Starttls) {
      enter(ReaderStage::StartTls);
      auto done = co_await command("STARTTLS");
      if (!done) co_return;
      if (done->word(1) != "OK") {
        conclude(ReaderOutcome::TlsFailed, done->text(), "the server refused STARTTLS: " + done->text());
        co_return co_await logout();
      }
      co_await link_.start_tls();
      result_.tls = true;
    }
    enter(ReaderStage::Login);
    if (status != "PREAUTH" && !co_await login()) co_return co_await logout();
    enter(ReaderStage::Mailbox);
    auto uids = co_await select_inbox();
    if (!uids) co_return co_await logout();
    enter(ReaderStage::Download);
    for (std::uint64_t uid : *uids) {
      if (result_.known.contains(key(uid))) continue;
      if (!co_await download(uid)) co_return co_await logout();
    }
    enter(ReaderStage::Logout);
    auto bye = co_await command("LOGOUT");
    if (!bye) co_return;
    if (bye->word(1) != "OK") co_return refuse(bye->text(), "the server refused LOGOUT");
    conclude(ReaderOutcome::Fetched, {}, {});
  }

 private:
  // LOGIN with quoted strings (RFC 3501 §6.2.3), or AUTHENTICATE PLAIN (§6.2.2) when asked
  // for or when a quoted string cannot carry the credentials.
  awaitable<bool> login() {
    std::optional<Response> done;
    if (options_.sasl_plain || !quotable(options_.login) || !quotable(options_.password)) {
      std::string answer = smtp::encode_sasl_plain("", options_.login, options_.password);
      done = co_await command("AUTHENTICATE PLAIN", answer);
    } else {
      std::string line = "LOGIN " + quoted_string(options_.login) + " " + quoted_string(options_.password);
      done = co_await command(line);
    }
    if (!done) co_return false;
    if (done->word(1) == "OK") co_return true;
    refuse(done->text(), "the server refused the login");
    co_return false;
  }

  // SELECT INBOX (RFC 3501 §6.3.1), then the UIDs there (§6.4.8 UID FETCH 1:* (FLAGS)).
  // nullopt when the attempt was decided here.
  awaitable<std::optional<std::vector<std::uint64_t>>> select_inbox() {
    std::vector<Response> data;
    auto selected = co_await command("SELECT INBOX", {}, &data);
    if (!selected) co_return std::nullopt;
    if (selected->word(1) != "OK") {
      refuse(selected->text(), "the server refused SELECT");
      co_return std::nullopt;
    }
    std::uint64_t exists = 0;
    for (const auto& r : data) {
      if (r.word(2) == "EXISTS") exists = number(r.word(1)).value_or(0);
      if (auto v = r.value_after("UIDVALIDITY")) uidvalidity_ = *v;
    }
    std::vector<std::uint64_t> uids;
    if (exists == 0) co_return uids;  // "1:*" of an empty mailbox is an error to some servers
    data.clear();
    auto listed = co_await command("UID FETCH 1:* (FLAGS)", {}, &data);
    if (!listed) co_return std::nullopt;
    if (listed->word(1) != "OK") {
      refuse(listed->text(), "the server refused to list the messages");
      co_return std::nullopt;
    }
    for (const auto& r : data) {
      if (r.word(2) != "FETCH") continue;
      if (auto uid = r.value_after("UID")) uids.push_back(*uid);
    }
    co_return uids;
  }

  // UID FETCH <uid> BODY[]: the whole message, and \Seen for every device (§6.4.5).
  awaitable<bool> download(std::uint64_t uid) {
    std::vector<Response> data;
    auto fetched = co_await command(fmt::format("UID FETCH {} BODY[]", uid), {}, &data);
    if (!fetched) co_return false;
    if (fetched->word(1) != "OK") {
      refuse(fetched->text(), "the server refused to send the message");
      co_return false;
    }
    for (const auto& r : data) {
      const std::string* body = r.body();
      if (r.word(2) != "FETCH" || !body || r.value_after("UID") != uid) continue;
      DownloadedMessage message{key(uid), *body, smtp::header_value(*body, smtp::kJourneyHeader).value_or("")};
      link_.publish(sim::EventKind::Fetched, fmt::format("downloaded UID {} ({} octets)", uid, body->size()),
                    message.journey);
      result_.known.insert(message.uid);
      result_.messages.push_back(std::move(message));
      co_return true;
    }
    // Another device expunged it between the listing and now (RFC 3501 §6.4.8 allows an
    // OK without data): nothing to download, nothing wrong.
    co_return true;
  }

  std::string key(std::uint64_t uid) const { return fmt::format("{}/{}", uidvalidity_, uid); }

  // One tagged command and the responses up to its tagged completion, which is returned.
  // Untagged data goes to `data`. A "+" continuation gets `continuation` (a SASL answer,
  // masked in events). nullopt when the server said BYE and the attempt is decided.
  awaitable<std::optional<Response>> command(std::string line, std::string continuation = {},
                                             std::vector<Response>* data = nullptr) {
    const std::string tag = fmt::format("m{}", ++tags_);
    const bool leaving = line == "LOGOUT";
    co_await link_.write_line(tag + " " + line, options_.timeouts.reply);
    std::string waiting_for = "the response to " + line.substr(0, line.find(' '));
    while (true) {
      Response r = co_await read_response(options_.timeouts.message, waiting_for);
      if (r.lines.front().starts_with(tag + " ")) {
        std::string word = r.word(1);
        if (word != "OK" && word != "NO" && word != "BAD") {
          throw LinkFailure(ReaderOutcome::ProtocolError, "not a tagged status response: " + r.text());
        }
        co_return r;
      }
      if (r.continuation()) {
        if (continuation.empty()) throw LinkFailure(ReaderOutcome::ProtocolError, "an unexpected continuation: " + r.text());
        co_await link_.write_line(continuation, options_.timeouts.reply, "****");
        continuation.clear();
        continue;
      }
      if (!r.untagged()) throw LinkFailure(ReaderOutcome::ProtocolError, "a response of another tag: " + r.text());
      // RFC 3501 §7.1.5: BYE outside LOGOUT means the server is closing the connection now.
      if (r.word(1) == "BYE" && !leaving) {
        refuse(r.text(), "the server closed the connection");
        co_return std::nullopt;
      }
      if (data) data->push_back(std::move(r));
    }
  }

  // A line; while it ends in "{n}", the n octets after it and the line that continues it.
  awaitable<Response> read_response(std::chrono::milliseconds timeout, std::string_view waiting_for) {
    Response r;
    // Each co_await's result is named first: GCC 12 mishandles one inside a call's arguments.
    std::string first = co_await link_.read_line(timeout, waiting_for);
    r.lines.push_back(std::move(first));
    while (auto n = literal_size(r.lines.back())) {
      if (*n > options_.max_message || r.literals.size() >= kMaxLiteralsPerResponse) {
        throw LinkFailure(ReaderOutcome::ProtocolError, fmt::format("a literal of {} octets is more than this reader takes", *n));
      }
      std::string literal = co_await link_.read_exact(*n, options_.timeouts.message, waiting_for);
      r.literals.push_back(std::move(literal));
      std::string rest = co_await link_.read_line(timeout, waiting_for);
      r.lines.push_back(std::move(rest));
    }
    std::string text = r.text();
    link_.publish(sim::EventKind::Reply, text);
    result_.saw.push_back(std::move(text));
    co_return r;
  }

  // After a refusal: leave politely; a lost answer changes nothing.
  awaitable<void> logout() {
    try {
      co_await command("LOGOUT");
    } catch (const LinkFailure&) {
    }
  }

  ClientLink& link_;
  const ReaderOptions& options_;
  std::uint64_t tags_ = 0;
  std::uint64_t uidvalidity_ = 0;
};

}  // namespace

awaitable<ReaderResult> fetch_mail(tcp::endpoint server, ReaderOptions options) {
  auto executor = co_await asio::this_coro::executor;
  ReaderResult result;
  result.remote = endpoint_text(server);
  result.known = options.known;
  auto link = std::make_shared<ClientLink>(executor, server, options, sim::Protocol::Imap, kMaxLine);
  link->start_deadline();
  ImapFetch fetch(*link, options, result);
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

}  // namespace mailflow::imap
