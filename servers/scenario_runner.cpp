// The headless scenario runner: see scenario_runner.hpp.
#include "servers/scenario_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <ostream>
#include <thread>

#include "servers/client_settings.hpp"
#include "servers/imap/imap_client.hpp"
#include "servers/lab.hpp"
#include "servers/net/tls.hpp"
#include "servers/pop3/pop3_client.hpp"
#include "servers/smtp/smtp_client.hpp"
#include "sim/journey_tracker.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow {

namespace {

using namespace std::chrono_literals;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string describe(const sim::JourneyExpectation& e) {
  std::string text = fmt::format("letter '{}' {}", e.letter, sim::journey_state_name(e.state));
  if (e.code) text += fmt::format(" with {}", *e.code);
  if (!e.status.empty()) text += (e.code ? " " : " with ") + e.status;
  if (!e.via.empty()) text += " via " + e.via;
  return text;
}

// Plays one scenario on a running lab.
class Player {
 public:
  Player(const sim::Scenario& scenario, Lab& lab, RunResult& result)
      : scenario_(scenario), world_(lab.served_world()), lab_(lab), result_(result), tracker_(&lab.bus()) {}

  void play() {
    for (const auto& fault : scenario_.faults) {
      if (auto problem = lab_.faults().add(fault); !problem.empty()) fail_step("declare fault " + fault.name, problem);
    }
    for (const auto& step : scenario_.steps) {
      std::visit(Overloaded{[&](const sim::SendStep& s) { send(s); }, [&](const sim::WaitStep& s) { wait(s); },
                            [&](const sim::FaultStep& s) { fault(s); },
                            [&](const sim::AdvanceStep& s) { lab_.advance_time(s.by); },
                            [&](const sim::FetchStep& s) { fetch(s); },
                            [&](const sim::DnsStep& s) { dns(s); }},
                 step);
    }
    lab_.bus().flush();
    for (const auto& expectation : scenario_.expectations) {
      result_.verdicts.push_back(std::visit([&](const auto& e) { return check(e); }, expectation));
    }
  }

 private:
  void fail_step(std::string step, std::string why) { result_.verdicts.push_back(Verdict{"step: " + step, false, why}); }

  void send(const sim::SendStep& s) {
    const sim::Actor* actor = scenario_.find_actor(s.actor);
    if (!actor) return;
    auto& transcript = transcripts_[actor->name];
    const std::string first_recipient = s.to.empty() ? std::string() : s.to.front();
    const ClientSettings dial =
        client_settings(lab_, *actor, sim::Service::Submission, sim::Service::Smtps, actor->user, first_recipient);
    const ResolvedServer resolved = resolve_server(lab_, actor->name, dial.server);
    if (!resolved.address) {
      // What a client with a typo in its settings meets; not a failed step, as a refused
      // login is not: expectations say what should have happened.
      transcript.push_back(resolved.problem);
      return;
    }

    smtp::ClientOptions options;
    options.helo_name = actor->name;
    if (dial.tls != sim::TlsMode::None) {
      net::TlsClientOptions tls;
      tls.ca_file = lab_.ca_file();
      options.tls = net::make_client_context(tls);
      options.verify_certificate = true;
      options.require_tls = true;  // a mail app set to STARTTLS or SSL/TLS insists on it
      options.tls_server_name = sim::canonical_name(dial.server);
    }
    options.implicit_tls = dial.tls == sim::TlsMode::Implicit;
    options.auth = smtp::ClientCredentials{dial.login, dial.password};
    options.timeouts = {5s, 10s, 10s, 10s, 10s, 20s};
    options.bus = &lab_.bus();
    options.host_name = actor->name;
    options.journey = lab_.new_journey_id();
    options.journeys = &lab_.journeys();
    if (!s.letter.empty()) result_.letters[s.letter] = options.journey;

    std::string message = fmt::format("From: <{}>\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\n"
                                      "Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                                      actor->user, fmt::join(s.to, ", "), s.subject, s.body);
    smtp::ClientEnvelope envelope{actor->user, s.to, std::move(message)};
    net::tcp::endpoint server(*resolved.address, dial.port);
    net::asio::io_context io;
    std::optional<smtp::DeliveryAttempt> attempt;
    auto run = [&]() -> net::awaitable<void> { attempt = co_await smtp::deliver(server, envelope, options); };
    net::asio::co_spawn(io, run(), net::asio::detached);
    io.run_for(60s);
    if (!attempt) {
      transcript.push_back("the submission did not finish within 60 s");
      return;
    }
    if (!attempt->remote_greeting.empty()) transcript.push_back(attempt->remote_greeting);
    if (attempt->reply.code) transcript.push_back(attempt->reply.summary());
    for (const auto& r : attempt->recipients) {
      if (r.reply.code) transcript.push_back(r.reply.summary());
    }
    if (!attempt->error.empty()) transcript.push_back(attempt->error);
  }

  // One fetch by a pop3 or imap actor with its account settings. Whatever goes wrong is
  // what the reader saw (its transcript, for "saw" expectations), as for a refused send.
  void fetch(const sim::FetchStep& s) {
    const sim::Actor* actor = scenario_.find_actor(s.actor);
    if (!actor) return;
    auto& transcript = transcripts_[actor->name];
    const bool pop3 = actor->kind == sim::ActorKind::Pop3Reader;
    const ClientSettings dial = pop3 ? client_settings(lab_, *actor, sim::Service::Pop3, sim::Service::Pop3s, "", actor->user)
                                     : client_settings(lab_, *actor, sim::Service::Imap, sim::Service::Imaps, "", actor->user);
    const ResolvedServer resolved = resolve_server(lab_, actor->name, dial.server);
    if (!resolved.address) {
      transcript.push_back(resolved.problem);  // as for a sender: what the reader saw
      return;
    }

    net::ReaderOptions options;
    options.tls = dial.tls == sim::TlsMode::Implicit   ? net::ReaderTls::Implicit
                  : dial.tls == sim::TlsMode::Starttls ? net::ReaderTls::Starttls
                                                       : net::ReaderTls::None;
    if (dial.tls != sim::TlsMode::None) {
      net::TlsClientOptions tls;
      tls.ca_file = lab_.ca_file();
      options.tls_context = net::make_client_context(tls);
      options.tls_server_name = sim::canonical_name(dial.server);
    }
    options.login = dial.login;
    options.password = dial.password;
    options.leave_on_server = actor->leave_on_server;
    options.known = known_[actor->name];
    options.timeouts = {5s, 10s, 30s};
    options.bus = &lab_.bus();
    options.host_name = actor->name;

    net::tcp::endpoint server(*resolved.address, dial.port);
    net::asio::io_context io;
    std::optional<net::ReaderResult> result;
    auto run = [&]() -> net::awaitable<void> {
      // Not a ?: of two co_awaits: GCC 12 mishandles the temporaries of one.
      if (pop3) {
        result = co_await pop3::fetch_mail(server, options);
      } else {
        result = co_await imap::fetch_mail(server, options);
      }
    };
    net::asio::co_spawn(io, run(), net::asio::detached);
    io.run_for(60s);
    if (!result) {
      transcript.push_back("the fetch did not finish within 60 s");
      return;
    }
    transcript.insert(transcript.end(), result->saw.begin(), result->saw.end());
    if (!result->ok()) transcript.push_back(net::describe(*result));
    known_[actor->name] = result->known;
    downloaded_[actor->name] += result->messages.size();
  }

  void wait(const sim::WaitStep& s) {
    auto it = result_.letters.find(s.letter);
    if (it == result_.letters.end()) return fail_step("wait for " + s.letter, "the letter was never sent");
    if (tracker_.wait_for(it->second, s.state, s.timeout)) return;
    auto status = tracker_.status(it->second);
    fail_step(fmt::format("wait for {} to be {}", s.letter, sim::journey_state_name(s.state)),
              fmt::format("not within {} ms; it is {}", s.timeout.count(),
                          status ? std::string(sim::journey_state_name(status->state)) : "not known to the lab"));
  }

  // A zone edit on the lab's DNS; caches that hold the old answer keep it for its TTL.
  void dns(const sim::DnsStep& s) {
    if (auto problem = lab_.replace_records({s.record}); !problem.empty()) {
      fail_step(fmt::format("dns {} {} {}", s.record.name, s.record.type, s.record.value), problem);
    }
  }

  void fault(const sim::FaultStep& s) {
    if (!lab_.faults().set_enabled(s.fault, s.enabled)) fail_step("fault " + s.fault, "no such fault in the lab");
  }

  Verdict check(const sim::JourneyExpectation& e) {
    Verdict v{describe(e)};
    auto it = result_.letters.find(e.letter);
    auto status = it == result_.letters.end() ? std::nullopt : tracker_.status(it->second);
    if (!status) {
      v.detail = "the lab never saw this letter";
      return v;
    }
    const bool via = e.via.empty() || std::find(status->hosts.begin(), status->hosts.end(), e.via) != status->hosts.end();
    v.passed = status->has_reached(e.state) && (!e.code || *e.code == status->code) &&
               (e.status.empty() || e.status == status->status) && via;
    if (!v.passed) {
      v.detail = fmt::format("it is {}", sim::journey_state_name(status->state));
      if (status->code) v.detail += fmt::format(" ({} {})", status->code, status->status);
      if (!via) v.detail += fmt::format(", via {}", fmt::join(status->hosts, ", "));
    }
    return v;
  }

  Verdict check(const sim::ClientExpectation& e) {
    Verdict v{fmt::format("{} saw \"{}\"", e.actor, e.saw)};
    for (const auto& line : transcripts_[e.actor]) v.passed = v.passed || line.find(e.saw) != std::string::npos;
    for (const auto& event : result_.events) {
      if (event.host == e.actor && event.kind == sim::EventKind::Reply) {
        v.passed = v.passed || event.line.find(e.saw) != std::string::npos;
      }
    }
    if (!v.passed) v.detail = "no reply it got contains that";
    return v;
  }

  // A fault's events say "fault 'NAME' (kind)...", wherever it acted.
  Verdict check(const sim::FaultExpectation& e) {
    Verdict v{e.times ? fmt::format("fault '{}' acted {} time(s)", e.fault, *e.times)
                      : fmt::format("fault '{}' {}", e.fault, e.fired ? "acted" : "never acted")};
    const std::string mark = fmt::format("fault '{}' (", e.fault);
    std::uint64_t acted = 0;
    for (const auto& event : result_.events) acted += event.kind == sim::EventKind::Fault && event.line.starts_with(mark);
    v.passed = e.times ? acted == *e.times : (acted > 0) == e.fired;
    if (!v.passed) v.detail = fmt::format("it acted {} time(s)", acted);
    return v;
  }

  Verdict check(const sim::DownloadExpectation& e) {
    Verdict v{fmt::format("{} downloaded {} message(s)", e.actor, e.messages)};
    const std::uint64_t got = downloaded_[e.actor];
    v.passed = got == e.messages;
    if (!v.passed) v.detail = fmt::format("it downloaded {}", got);
    return v;
  }

  Verdict check(const sim::MailboxExpectation& e) {
    Verdict v{fmt::format("{} {} holds {} message(s)", e.user, e.folder, e.messages)};
    auto status = mailbox_of(e.user)->status(e.folder);
    if (!status.ok()) {
      v.detail = "cannot read the folder";
      return v;
    }
    v.passed = status.value.messages == e.messages;
    if (!v.passed) v.detail = fmt::format("it holds {}", status.value.messages);
    return v;
  }

  Verdict check(const sim::BounceExpectation& e) {
    Verdict v{fmt::format("{} got a bounce mentioning \"{}\"", e.to, e.diagnostic_contains)};
    auto mailbox = mailbox_of(e.to);
    auto messages = mailbox->list("INBOX");
    if (messages.ok()) {
      for (const auto& m : messages.value) {
        auto bytes = mailbox->read("INBOX", m.uid);
        if (!bytes.ok() || bytes.value.find("message/delivery-status") == std::string::npos) continue;
        if (bytes.value.find(e.diagnostic_contains) != std::string::npos) v.passed = true;
      }
    }
    if (!v.passed) v.detail = "no delivery status notification in the INBOX says that";
    return v;
  }

  std::shared_ptr<sim::Mailbox> mailbox_of(const std::string& address) {
    const sim::User* user = world_.find_user_by_address(address);
    return lab_.store().open(address, user ? user->quota : sim::Quota{});
  }

  const sim::Scenario& scenario_;
  const sim::World& world_;
  Lab& lab_;
  RunResult& result_;
  sim::JourneyTracker tracker_;
  std::map<std::string, std::vector<std::string>> transcripts_;
  // Per reader: what it downloaded before (POP3 UIDLs, IMAP uidvalidity/uid), and how many.
  std::map<std::string, std::set<std::string>> known_;
  std::map<std::string, std::uint64_t> downloaded_;
};

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

bool RunResult::passed() const {
  if (!error.empty()) return false;
  for (const auto& v : verdicts) {
    if (!v.passed) return false;
  }
  return true;
}

RunResult run_scenario(const sim::Scenario& scenario, const RunOptions& options) {
  RunResult result;
  sim::World world = scenario.world;
  if (options.port_offset) world.port_offset = *options.port_offset;
  LabOptions lab_options;
  apply_world_settings(world.settings, lab_options);
  lab_options.state_dir = options.state_dir;
  lab_options.trace_file = options.trace_file;
  std::unique_ptr<Lab> lab;
  try {
    lab = std::make_unique<Lab>(world, lab_options);
    lab->start();
  } catch (const LabError& e) {
    result.error = e.what();
    return result;
  }
  std::mutex events_mutex;
  auto record = [&](const sim::Event& e) {
    std::lock_guard lock(events_mutex);
    result.events.push_back(e);
  };
  auto subscription = lab->bus().subscribe(record);
  std::thread serving([&] { lab->run(); });
  {
    Player player(scenario, *lab, result);
    player.play();
  }
  lab->stop();
  serving.join();
  lab->bus().flush();
  lab->bus().unsubscribe(subscription);
  return result;
}

void print_run(const sim::Scenario& scenario, const RunResult& result, std::ostream& out) {
  out << scenario.title.en << "\n" << scenario.title.ja << "\n\n";
  if (!result.error.empty()) {
    out << "the lab could not start: " << result.error << "\nFAIL\n";
    return;
  }
  const auto start = result.events.empty() ? std::chrono::system_clock::time_point{} : result.events.front().time;
  for (const auto& [letter, journey] : result.letters) {
    out << fmt::format("letter '{}' (journey {})\n", letter, journey);
    for (const auto& e : result.events) {
      if (e.journey != journey) continue;
      const double at = std::chrono::duration<double>(e.time - start).count();
      std::string code = e.code ? fmt::format(" [{}{}{}]", e.code, e.status.empty() ? "" : " ", e.status) : "";
      out << fmt::format("  +{:8.3f}s  {:<18} {:<22} {:<5} {:<10} {}{}\n", at, e.host, e.peer,
                         sim::protocol_name(e.protocol), sim::event_kind_name(e.kind), e.line, code);
    }
    out << "\n";
  }
  for (const auto& v : result.verdicts) {
    out << (v.passed ? "  ok    " : "  FAIL  ") << v.expectation;
    if (!v.passed && !v.detail.empty()) out << ": " << v.detail;
    out << "\n";
  }
  out << (result.passed() ? "PASS" : "FAIL") << "\n";
}

std::string junit_xml(const sim::Scenario& scenario, const RunResult& result) {
  std::size_t failures = 0;
  for (const auto& v : result.verdicts) failures += v.passed ? 0 : 1;
  if (!result.error.empty()) ++failures;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuite name=\"{}\" file=\"{}\" tests=\"{}\" failures=\"{}\">\n", xml_escape(scenario.title.en),
                     xml_escape(scenario.file), result.verdicts.size() + (result.error.empty() ? 0 : 1), failures);
  if (!result.error.empty()) {
    xml += fmt::format("  <testcase name=\"the lab starts\"><failure message=\"{}\"/></testcase>\n", xml_escape(result.error));
  }
  for (const auto& v : result.verdicts) {
    xml += fmt::format("  <testcase name=\"{}\">", xml_escape(v.expectation));
    if (!v.passed) xml += fmt::format("<failure message=\"{}\"/>", xml_escape(v.detail));
    xml += "</testcase>\n";
  }
  xml += "</testsuite>\n";
  return xml;
}

}  // namespace mailflow
