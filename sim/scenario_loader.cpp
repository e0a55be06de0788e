// The scenario loader: see scenario_loader.hpp. One pass reads every section; a second
// checks the references between them (steps and expectations name actors, letters, faults
// and users that exist, in an order that makes sense).
#include "sim/scenario_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "sim/world_loader.hpp"

namespace mailflow::sim {

namespace {

using yaml::Fields;
using yaml::Value;
using yaml::Where;
using yaml::describe;
using yaml::where_of;

constexpr std::uintmax_t kMaxScenarioFileBytes = 4 * 1024 * 1024;

template <typename Enum>
struct Named {
  std::string_view name;
  Enum value;
};

constexpr Named<ActorKind> kActorKinds[] = {
    {"sender", ActorKind::Sender}, {"pop3", ActorKind::Pop3Reader}, {"imap", ActorKind::ImapReader}};
constexpr Named<TlsMode> kTlsModes[] = {
    {"none", TlsMode::None}, {"starttls", TlsMode::Starttls}, {"implicit", TlsMode::Implicit}};
constexpr Named<JourneyState> kJourneyStates[] = {{"queued", JourneyState::Queued},
                                                  {"delivered", JourneyState::Delivered},
                                                  {"deferred", JourneyState::Deferred},
                                                  {"bounced", JourneyState::Bounced},
                                                  {"rejected", JourneyState::Rejected}};

template <typename Enum, std::size_t N>
std::string names_of(const Named<Enum> (&table)[N]) {
  std::string out;
  for (const auto& n : table) out += (out.empty() ? "" : ", ") + std::string(n.name);
  return out;
}

// Where each reference was written, for the second pass.
struct Reference {
  std::string name;
  Where at;
};

class ScenarioReader : public yaml::Reader {
 public:
  ScenarioReader(std::string file) : yaml::Reader(file) { scenario_.file = std::move(file); }

  std::vector<LoadError> read(const YAML::Node& root) {
    read_top(Value{root, where_of(root)});
    check_references();
    return take_errors();
  }
  Scenario take() { return std::move(scenario_); }

  // One fault on its own (the control API's POST /api/faults).
  std::vector<LoadError> read_one_fault(const YAML::Node& root) {
    read_fault(Value{root, where_of(root)});
    return take_errors();
  }

 private:
  void read_top(const Value& root) {
    if (root.node.IsNull()) {
      error({}, "the scenario file is empty: expected a map with keys title, explanation, world, seed, actors, "
                "faults, steps, expect");
      return;
    }
    const auto f = fields(root, "the scenario",
                          {"title", "explanation", "world", "seed", "actors", "faults", "steps", "expect"});
    if (!f) return;
    if (const Value* v = required(*f, root, "the scenario", "title")) read_text(*v, "title", scenario_.title);
    if (const Value* v = required(*f, root, "the scenario", "explanation")) {
      read_text(*v, "explanation", scenario_.explanation);
    }
    scenario_.world = default_world();
    if (const Value* v = optional(*f, "world")) read_world(*v);
    if (const Value* v = optional(*f, "seed")) {
      if (auto n = number_of(*v, "seed", 0, UINT64_MAX)) scenario_.seed = *n;
    }
    if (const Value* v = optional(*f, "actors")) for_each_item(*v, "actors", [&](const Value& i) { read_actor(i); });
    if (const Value* v = optional(*f, "faults")) for_each_item(*v, "faults", [&](const Value& i) { read_fault(i); });
    if (const Value* v = optional(*f, "steps")) for_each_item(*v, "steps", [&](const Value& i) { read_step(i); });
    if (const Value* v = optional(*f, "expect")) {
      for_each_item(*v, "expect", [&](const Value& i) { read_expectation(i); });
    }
  }

  void read_text(const Value& v, std::string_view what, LocalizedText& text) {
    const auto f = fields(v, what, {"en", "ja"});
    if (!f) return;
    if (const Value* en = required(*f, v, what, "en")) text.en = string_of(*en, fmt::format("{}.en", what)).value_or("");
    if (const Value* ja = required(*f, v, what, "ja")) text.ja = string_of(*ja, fmt::format("{}.ja", what)).value_or("");
  }

  // "default", or a world file relative to the scenario's directory.
  void read_world(const Value& v) {
    auto name = string_of(v, "world");
    if (!name || *name == "default") return;
    std::filesystem::path path(*name);
    if (path.is_relative()) path = std::filesystem::path(file()).parent_path() / path;
    WorldLoadResult world = load_world_file(path.string());
    if (!world.ok()) {
      error(v.at, fmt::format("the world file {} has errors (below)", path.string()));
      add_errors(std::move(world.errors));
      return;
    }
    scenario_.world = std::move(*world.world);
  }

  template <typename Enum, std::size_t N>
  std::optional<Enum> enum_of(const Value& v, std::string_view what, const Named<Enum> (&table)[N]) {
    auto text = string_of(v, what);
    if (!text) return std::nullopt;
    for (const auto& n : table) {
      if (n.name == *text) return n.value;
    }
    error(v.at, fmt::format("unknown {} '{}' (known: {})", what, *text, names_of(table)));
    return std::nullopt;
  }

  std::optional<std::string> reference(const Fields& f, const Value& map, std::string_view what,
                                       const std::string& key, std::vector<Reference>& into) {
    const Value* v = required(f, map, what, key);
    if (!v) return std::nullopt;
    auto name = string_of(*v, fmt::format("{} {}", what, key));
    if (name) into.push_back({*name, v->at});
    return name;
  }

  void read_actor(const Value& item) {
    const auto f = fields(item, "actor", {"name", "kind", "user", "server", "port", "tls", "login", "password",
                                          "leave_on_server"});
    if (!f) return;
    Actor actor;
    if (const Value* v = required(*f, item, "actor", "name")) {
      actor.name = string_of(*v, "actor name").value_or("");
      if (!actor.name.empty() && !actor_at_.emplace(actor.name, v->at).second) {
        error(v->at, fmt::format("duplicate actor name '{}' (first at line {})", actor.name, actor_at_[actor.name].line));
      }
    }
    if (const Value* v = required(*f, item, "actor", "kind")) actor.kind = enum_of(*v, "actor kind", kActorKinds).value_or(actor.kind);
    actor.tls = actor.kind == ActorKind::Sender ? TlsMode::Starttls : TlsMode::Implicit;
    if (const Value* v = optional(*f, "tls")) actor.tls = enum_of(*v, "tls mode", kTlsModes).value_or(actor.tls);
    const Value* user = required(*f, item, "actor", "user");
    if (user) {
      actor.user = string_of(*user, "actor user").value_or("");
      if (const User* u = scenario_.world.find_user_by_address(actor.user)) {
        actor.login = u->login;
        actor.password = u->password;
      } else if (!actor.user.empty()) {
        error(user->at, fmt::format("actor user '{}' is not a user of the world", actor.user));
      }
    }
    if (const Value* v = required(*f, item, "actor", "server")) actor.server = string_of(*v, "actor server").value_or("");
    if (const Value* v = optional(*f, "port")) {
      if (auto n = number_of(*v, "actor port", 1, 65535)) actor.port = static_cast<std::uint16_t>(*n);
    }
    if (const Value* v = optional(*f, "login")) actor.login = string_of(*v, "actor login").value_or("");
    if (const Value* v = optional(*f, "password")) actor.password = string_of(*v, "actor password").value_or("");
    if (const Value* v = optional(*f, "leave_on_server")) actor.leave_on_server = bool_of(*v, "leave_on_server").value_or(false);
    scenario_.actors.push_back(std::move(actor));
  }

  void read_fault(const Value& item) {
    const auto f = fields(item, "fault", {"name", "kind", "host", "domain", "enabled", "trigger", "delay", "jitter",
                                          "bytes", "port", "value", "text"});
    if (!f) return;
    FaultSpec fault;
    const Value* name = required(*f, item, "fault", "name");
    if (name) fault.name = string_of(*name, "fault name").value_or("");
    if (const Value* v = required(*f, item, "fault", "kind")) {
      if (auto text = string_of(*v, "fault kind")) {
        if (auto kind = fault_kind_named(*text)) {
          fault.kind = *kind;
        } else {
          std::string known;
          for (const auto& info : fault_catalogue()) known += (known.empty() ? "" : ", ") + std::string(info.name);
          error(v->at, fmt::format("unknown fault kind '{}' (known: {})", *text, known));
          return;
        }
      }
    }
    if (const Value* v = optional(*f, "host")) fault.host = string_of(*v, "fault host").value_or("");
    if (const Value* v = optional(*f, "domain")) fault.domain = string_of(*v, "fault domain").value_or("");
    if (const Value* v = optional(*f, "enabled")) fault.enabled = bool_of(*v, "fault enabled").value_or(true);
    if (const Value* v = optional(*f, "trigger")) read_trigger(*v, fault.trigger);
    FaultParams& p = fault.params;
    if (const Value* v = optional(*f, "delay")) p.delay = duration_of(*v, "fault delay", false);
    if (const Value* v = optional(*f, "jitter")) p.jitter = duration_of(*v, "fault jitter", false);
    if (const Value* v = optional(*f, "bytes")) p.bytes = size_of(*v, "fault bytes", 1, UINT64_MAX);
    if (const Value* v = optional(*f, "port")) {
      if (auto n = number_of(*v, "fault port", 1, 65535)) p.port = static_cast<std::uint16_t>(*n);
    }
    if (const Value* v = optional(*f, "value")) p.value = string_of(*v, "fault value").value_or("");
    if (const Value* v = optional(*f, "text")) p.text = string_of(*v, "fault text").value_or("");
    if (fault.name.empty()) return;  // already reported
    if (auto problem = fault.verify(); !problem.empty()) {
      error(item.at, problem);
      return;
    }
    if (!fault_at_.emplace(fault.name, name->at).second) {
      error(name->at, fmt::format("duplicate fault name '{}' (first at line {})", fault.name, fault_at_[fault.name].line));
      return;
    }
    scenario_.faults.push_back(std::move(fault));
  }

  // "always", or a map: one of first / every / probability (+ seed), and filters.
  void read_trigger(const Value& v, TriggerSpec& t) {
    if (v.node.IsScalar() && v.node.Scalar() == "always") return;
    const auto f = fields(v, "trigger", {"first", "every", "probability", "seed", "recipient", "sender", "client",
                                         "from", "until", "rate_per_minute"});
    if (!f) return;
    int modes = 0;
    if (const Value* n = optional(*f, "first")) {
      t.mode = TriggerMode::FirstN;
      t.count = number_of(*n, "trigger first", 1, yaml::kMaxCount).value_or(1);
      ++modes;
    }
    if (const Value* n = optional(*f, "every")) {
      t.mode = TriggerMode::EveryNth;
      t.count = number_of(*n, "trigger every", 1, yaml::kMaxCount).value_or(1);
      ++modes;
    }
    if (const Value* p = optional(*f, "probability")) {
      t.mode = TriggerMode::Probability;
      if (auto x = real_of(*p, "trigger probability")) {
        if (*x >= 0 && *x <= 1) {
          t.probability = *x;
        } else {
          error(p->at, fmt::format("trigger probability must be from 0 to 1, got '{}'", p->node.Scalar()));
        }
      }
      ++modes;
    }
    if (modes > 1) error(v.at, "a trigger takes one of first, every and probability");
    if (const Value* s = optional(*f, "seed")) {
      if (t.mode != TriggerMode::Probability) error(s->at, "trigger seed only goes with probability");
      t.seed = number_of(*s, "trigger seed", 0, UINT64_MAX).value_or(0);
    }
    if (const Value* s = optional(*f, "recipient")) t.recipient = string_of(*s, "trigger recipient").value_or("");
    if (const Value* s = optional(*f, "sender")) t.sender = string_of(*s, "trigger sender").value_or("");
    if (const Value* s = optional(*f, "client")) t.client = string_of(*s, "trigger client").value_or("");
    if (const Value* s = optional(*f, "from")) t.window_start = duration_of(*s, "trigger from", false);
    if (const Value* s = optional(*f, "until")) t.window_end = duration_of(*s, "trigger until", false);
    if (t.window_start && t.window_end && *t.window_end <= *t.window_start) {
      error(v.at, "the trigger's window must end (until) after it starts (from)");
    }
    if (const Value* s = optional(*f, "rate_per_minute")) {
      if (auto n = number_of(*s, "trigger rate_per_minute", 1, yaml::kMaxCount)) t.rate_per_minute = static_cast<std::uint32_t>(*n);
    }
  }

  // A step is a map with one key naming what it does.
  void read_step(const Value& item) {
    const auto f = fields(item, "step", {"send", "fetch", "wait", "fault", "dns", "advance"});
    if (!f) return;
    if (f->size() != 1) {
      error(item.at, "a step does one thing: send, fetch, wait, fault, dns or advance");
      return;
    }
    const auto& [key, field] = *f->begin();
    const Value& v = field.value;
    if (key == "send") {
      const auto g = fields(v, "send", {"from", "to", "subject", "body", "as"});
      if (!g) return;
      SendStep s;
      s.actor = reference(*g, v, "send", "from", senders_used_).value_or("");
      if (const Value* to = required(*g, v, "send", "to")) {
        if (to->node.IsScalar()) {
          s.to.push_back(to->node.Scalar());
        } else {
          for_each_item(*to, "send to", [&](const Value& r) { s.to.push_back(string_of(r, "recipient").value_or("")); });
        }
      }
      if (const Value* x = optional(*g, "subject")) s.subject = string_of(*x, "send subject").value_or("");
      if (const Value* x = optional(*g, "body")) s.body = string_of(*x, "send body").value_or("");
      if (const Value* x = optional(*g, "as")) {
        s.letter = string_of(*x, "letter name").value_or("");
        if (!s.letter.empty() && !letter_at_.emplace(s.letter, x->at).second) {
          error(x->at, fmt::format("letter '{}' is already named at line {}", s.letter, letter_at_[s.letter].line));
        }
      }
      scenario_.steps.emplace_back(std::move(s));
    } else if (key == "fetch") {
      FetchStep s;
      if (auto name = string_of(v, "fetch")) {
        s.actor = *name;
        readers_used_.push_back({*name, v.at});
      }
      scenario_.steps.emplace_back(std::move(s));
    } else if (key == "wait") {
      const auto g = fields(v, "wait", {"letter", "state", "timeout"});
      if (!g) return;
      WaitStep s;
      s.letter = reference(*g, v, "wait", "letter", letters_used_).value_or("");
      if (const Value* x = required(*g, v, "wait", "state")) s.state = enum_of(*x, "journey state", kJourneyStates).value_or(s.state);
      if (const Value* x = optional(*g, "timeout")) s.timeout = duration_of(*x, "wait timeout", false).value_or(s.timeout);
      scenario_.steps.emplace_back(std::move(s));
    } else if (key == "fault") {
      const auto g = fields(v, "fault step", {"name", "enabled"});
      if (!g) return;
      FaultStep s;
      s.fault = reference(*g, v, "fault step", "name", faults_used_).value_or("");
      if (const Value* x = required(*g, v, "fault step", "enabled")) s.enabled = bool_of(*x, "fault step enabled").value_or(true);
      scenario_.steps.emplace_back(std::move(s));
    } else if (key == "dns") {
      const auto g = fields(v, "dns step", {"name", "type", "value", "ttl"});
      if (!g) return;
      DnsStep s;
      if (const Value* x = required(*g, v, "dns step", "name")) s.record.name = canonical_name(string_of(*x, "dns name").value_or(""));
      if (const Value* x = required(*g, v, "dns step", "type")) s.record.type = string_of(*x, "dns type").value_or("");
      if (const Value* x = required(*g, v, "dns step", "value")) s.record.value = string_of(*x, "dns value").value_or("");
      if (const Value* x = optional(*g, "ttl")) s.record.ttl = static_cast<std::uint32_t>(number_of(*x, "dns ttl", 0, 2147483647).value_or(300));
      scenario_.steps.emplace_back(std::move(s));
    } else {
      AdvanceStep s;
      s.by = duration_of(v, "advance", false).value_or(std::chrono::milliseconds(0));
      scenario_.steps.emplace_back(std::move(s));
    }
  }

  void read_expectation(const Value& item) {
    if (!item.node.IsMap()) {
      error(item.at, fmt::format("an expectation must be a map, got {}", describe(item.node)));
      return;
    }
    const bool journey = item.node["letter"].IsDefined(), client = item.node["actor"].IsDefined();
    const bool mailbox = item.node["mailbox"].IsDefined(), bounce = item.node["bounce_to"].IsDefined();
    const bool fault = item.node["fault"].IsDefined();
    if (journey + client + mailbox + bounce + fault != 1) {
      error(item.at,
            "an expectation names one of letter (a journey), actor (what a client saw or downloaded), mailbox, "
            "bounce_to or fault");
      return;
    }
    if (fault) return read_fault_expectation(item);
    if (journey) {
      const auto f = fields(item, "journey expectation", {"letter", "state", "code", "status", "via"});
      if (!f) return;
      JourneyExpectation e;
      e.letter = reference(*f, item, "expectation", "letter", letters_used_).value_or("");
      if (const Value* x = required(*f, item, "journey expectation", "state")) e.state = enum_of(*x, "journey state", kJourneyStates).value_or(e.state);
      if (const Value* x = optional(*f, "code")) {
        if (auto n = number_of(*x, "reply code", 200, 599)) e.code = static_cast<int>(*n);
      }
      if (const Value* x = optional(*f, "status")) e.status = string_of(*x, "enhanced status code").value_or("");
      if (const Value* x = optional(*f, "via")) e.via = canonical_name(string_of(*x, "via host").value_or(""));
      scenario_.expectations.emplace_back(std::move(e));
    } else if (client && item.node["downloaded"].IsDefined()) {
      const auto f = fields(item, "download expectation", {"actor", "downloaded"});
      if (!f) return;
      DownloadExpectation e;
      e.actor = reference(*f, item, "expectation", "actor", readers_used_).value_or("");
      if (const Value* x = required(*f, item, "download expectation", "downloaded")) e.messages = number_of(*x, "downloaded", 0, UINT32_MAX).value_or(0);
      scenario_.expectations.emplace_back(std::move(e));
    } else if (client) {
      const auto f = fields(item, "client expectation", {"actor", "saw"});
      if (!f) return;
      ClientExpectation e;
      e.actor = reference(*f, item, "expectation", "actor", actors_used_).value_or("");
      if (const Value* x = required(*f, item, "client expectation", "saw")) e.saw = string_of(*x, "saw").value_or("");
      scenario_.expectations.emplace_back(std::move(e));
    } else if (mailbox) {
      const auto f = fields(item, "mailbox expectation", {"mailbox", "folder", "messages"});
      if (!f) return;
      MailboxExpectation e;
      e.user = reference(*f, item, "expectation", "mailbox", users_used_).value_or("");
      if (const Value* x = optional(*f, "folder")) e.folder = string_of(*x, "folder").value_or("INBOX");
      if (const Value* x = required(*f, item, "mailbox expectation", "messages")) e.messages = number_of(*x, "messages", 0, UINT32_MAX).value_or(0);
      scenario_.expectations.emplace_back(std::move(e));
    } else {
      const auto f = fields(item, "bounce expectation", {"bounce_to", "diagnostic_contains"});
      if (!f) return;
      BounceExpectation e;
      e.to = reference(*f, item, "expectation", "bounce_to", users_used_).value_or("");
      if (const Value* x = optional(*f, "diagnostic_contains")) e.diagnostic_contains = string_of(*x, "diagnostic_contains").value_or("");
      scenario_.expectations.emplace_back(std::move(e));
    }
  }

  void read_fault_expectation(const Value& item) {
    const auto f = fields(item, "fault expectation", {"fault", "fired", "times"});
    if (!f) return;
    FaultExpectation e;
    e.fault = reference(*f, item, "expectation", "fault", faults_used_).value_or("");
    if (const Value* x = optional(*f, "fired")) e.fired = bool_of(*x, "fired").value_or(true);
    if (const Value* x = optional(*f, "times")) {
      e.times = number_of(*x, "times", 1, UINT32_MAX);
      if (!e.fired) error(x->at, "times needs fired: true (a fault that never fired acted 0 times)");
    }
    scenario_.expectations.emplace_back(std::move(e));
  }

  // Second pass: every name a step or expectation uses exists, and is of the right kind.
  void check_references() {
    const auto kind_of = [&](const std::string& name) -> std::optional<ActorKind> {
      if (const Actor* a = scenario_.find_actor(name)) return a->kind;
      return std::nullopt;
    };
    for (const auto& r : senders_used_) {
      auto kind = kind_of(r.name);
      if (!kind) error(r.at, fmt::format("no actor named '{}'", r.name));
      else if (*kind != ActorKind::Sender) error(r.at, fmt::format("actor '{}' is a reader; only a sender sends", r.name));
    }
    for (const auto& r : readers_used_) {
      auto kind = kind_of(r.name);
      if (!kind) error(r.at, fmt::format("no actor named '{}'", r.name));
      else if (*kind == ActorKind::Sender) error(r.at, fmt::format("actor '{}' is a sender; only pop3 and imap actors fetch", r.name));
    }
    for (const auto& r : actors_used_) {
      if (!kind_of(r.name)) error(r.at, fmt::format("no actor named '{}'", r.name));
    }
    for (const auto& r : letters_used_) {
      if (!letter_at_.contains(r.name)) error(r.at, fmt::format("no letter named '{}' (name one with `as:` on a send step)", r.name));
    }
    for (const auto& r : faults_used_) {
      if (!fault_at_.contains(r.name)) error(r.at, fmt::format("no fault named '{}'", r.name));
    }
    for (const auto& r : users_used_) {
      if (!scenario_.world.find_user_by_address(r.name)) error(r.at, fmt::format("'{}' is not a user of the world", r.name));
    }
  }

  Scenario scenario_;
  std::map<std::string, Where> actor_at_, fault_at_, letter_at_;
  std::vector<Reference> senders_used_, readers_used_, actors_used_, letters_used_, faults_used_, users_used_;
};

ScenarioLoadResult failed(std::vector<LoadError> errors) {
  ScenarioLoadResult result;
  result.errors = std::move(errors);
  return result;
}

}  // namespace

std::string_view journey_state_name(JourneyState state) {
  for (const auto& n : kJourneyStates) {
    if (n.value == state) return n.name;
  }
  return "?";
}

const Actor* Scenario::find_actor(std::string_view name) const {
  auto it = std::find_if(actors.begin(), actors.end(), [&](const Actor& a) { return a.name == name; });
  return it == actors.end() ? nullptr : &*it;
}

ScenarioLoadResult load_scenario_string(std::string_view yaml, std::string file_name) {
  yaml::Document doc = yaml::load_document(yaml, file_name, "a scenario file");
  if (!doc.root) return failed(std::move(doc.errors));
  try {
    ScenarioReader reader(file_name);
    ScenarioLoadResult result;
    result.errors = reader.read(*doc.root);
    if (result.errors.empty()) result.scenario = reader.take();
    return result;
  } catch (const std::exception& e) {
    return failed({LoadError{file_name, 0, 0, std::string("cannot load the scenario: ") + e.what()}});
  }
}

FaultLoadResult load_fault_string(std::string_view yaml, std::string file_name) {
  FaultLoadResult result;
  yaml::Document doc = yaml::load_document(yaml, file_name, "a fault");
  if (!doc.root) {
    result.errors = std::move(doc.errors);
    return result;
  }
  try {
    ScenarioReader reader(file_name);
    result.errors = reader.read_one_fault(*doc.root);
    Scenario read = reader.take();
    if (result.errors.empty() && read.faults.size() == 1) result.fault = std::move(read.faults.front());
  } catch (const std::exception& e) {
    result.errors.push_back(LoadError{file_name, 0, 0, std::string("cannot load the fault: ") + e.what()});
  }
  return result;
}

ScenarioLoadResult load_scenario_file(const std::string& path) {
  std::vector<LoadError> errors;
  auto text = yaml::read_text_file(path, kMaxScenarioFileBytes, "a scenario file", errors);
  if (!text) return failed(std::move(errors));
  return load_scenario_string(*text, path);
}

}  // namespace mailflow::sim
