// The control API's routes and handlers; see control_api.hpp and the README.
#include "servers/control/control_api.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "servers/lab.hpp"
#include "servers/smtp/message_headers.hpp"
#include "sim/mime.hpp"
#include "sim/scenario_loader.hpp"

namespace mailflow::control {

using nlohmann::json;

namespace {

// Enough for the header of nearly every message (a summary needs nothing else).
constexpr std::size_t kHeaderPrefixBytes = 64 * 1024;
// A wait for a journey gives up after this long unless ?timeout= says less.
constexpr std::chrono::milliseconds kMaxWait{std::chrono::minutes(5)};
constexpr std::chrono::milliseconds kDefaultWait{std::chrono::seconds(30)};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::uint32_t> parse_uid(const std::string& text) {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

// "30s", "1500ms", "2m" or plain milliseconds.
std::optional<std::chrono::milliseconds> parse_timeout(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view unit(end, text.data() + text.size() - end);
  if (unit.empty() || unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "s") return std::chrono::milliseconds(value * 1000);
  if (unit == "m") return std::chrono::milliseconds(value * 60'000);
  return std::nullopt;
}

std::optional<sim::JourneyState> journey_state_named(std::string_view name) {
  using S = sim::JourneyState;
  for (S s : {S::Queued, S::Delivered, S::Deferred, S::Bounced, S::Rejected}) {
    if (sim::journey_state_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string store_error(const sim::StoreResult& r) {
  return fmt::format("{}{}{}", sim::store_status_name(r.status), r.error.empty() ? "" : ": ", r.error);
}

int status_for(sim::StoreStatus s) {
  switch (s) {
    case sim::StoreStatus::NoSuchFolder:
    case sim::StoreStatus::NoSuchMessage: return 404;
    case sim::StoreStatus::InvalidName:
    case sim::StoreStatus::InvalidFlags: return 400;
    default: return 500;
  }
}

json header_json(const sim::mime::Part& part) {
  json fields = json::array();
  for (const auto& f : part.fields) fields.push_back({{"name", f.name}, {"value", f.value}});
  return fields;
}

std::string first_field(const sim::mime::Part& part, std::string_view name) {
  for (const auto& f : part.fields) {
    if (f.name.size() == name.size() &&
        std::equal(f.name.begin(), f.name.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return f.value;
    }
  }
  return "";
}

json message_summary(const sim::MessageInfo& m, std::string_view header) {
  const sim::mime::Part part = sim::mime::parse_message(header);
  return {{"uid", m.uid},
          {"flags", m.flags},
          {"seen", m.flags.find('S') != std::string::npos},
          {"size", m.size},
          {"internal_date", sim::format_event_time(m.internal_date)},
          {"from", first_field(part, "From")},
          {"to", first_field(part, "To")},
          {"subject", first_field(part, "Subject")},
          {"date", first_field(part, "Date")},
          {"message_id", first_field(part, "Message-ID")},
          {"journey", first_field(part, smtp::kJourneyHeader)}};
}

json fault_json(const sim::FaultSpec& f) {
  const auto& info = sim::fault_info(f.kind);
  json j = {{"name", f.name},
            {"kind", info.name},
            {"point", sim::fault_point_name(info.point)},
            {"summary", info.summary},
            {"enabled", f.enabled}};
  if (!f.host.empty()) j["host"] = f.host;
  if (!f.domain.empty()) j["domain"] = f.domain;
  return j;
}

json journey_json(const sim::JourneyStatus& s) {
  json reached = json::array();
  for (auto state : s.reached) reached.push_back(sim::journey_state_name(state));
  json j = {{"id", s.id},
            {"state", sim::journey_state_name(s.state)},
            {"reached", reached},
            {"hosts", s.hosts},
            {"line", s.line},
            {"first_seen", sim::format_event_time(s.first_seen)},
            {"last_seen", sim::format_event_time(s.last_seen)}};
  if (s.code != 0) j["code"] = s.code;
  if (!s.status.empty()) j["status"] = s.status;
  if (!s.bounce_to.empty()) j["bounce_to"] = s.bounce_to;
  if (s.bounce_state) j["bounce_state"] = sim::journey_state_name(*s.bounce_state);
  return j;
}

}  // namespace

std::optional<ParsedTarget> parse_target(std::string_view target) {
  if (!target.starts_with('/')) return std::nullopt;
  ParsedTarget out;
  const std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      const std::size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      const std::size_t eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!key || !value) return std::nullopt;
      if (!key->empty()) out.query[*key] = *value;
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  path.remove_prefix(1);
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    auto segment = percent_decode(path.substr(0, slash), false);
    if (!segment) return std::nullopt;
    if (!segment->empty()) out.segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

Response error_response(int status, std::string_view message) { return json_response(status, {{"error", message}}); }

const ControlApi::Route ControlApi::kRoutes[] = {
    {"GET", "/api", &ControlApi::index, "this list"},
    {"GET", "/api/users", &ControlApi::users, "users with their folders (messages, unseen)"},
    {"GET", "/api/users/{user}/messages", &ControlApi::messages, "messages of ?folder= (INBOX) with their headers' summary"},
    {"DELETE", "/api/users/{user}/messages", &ControlApi::delete_messages, "delete every message of ?folder= (INBOX)"},
    {"GET", "/api/users/{user}/messages/{uid}", &ControlApi::message, "one message: summary and every header field"},
    {"GET", "/api/users/{user}/messages/{uid}/raw", &ControlApi::message_raw, "one message as stored (message/rfc822)"},
    {"DELETE", "/api/users/{user}/messages/{uid}", &ControlApi::delete_message, "delete (expunge) one message"},
    {"GET", "/api/queue", &ControlApi::queue, "what the SMTP hosts' queues hold"},
    {"GET", "/api/faults", &ControlApi::faults, "the lab's faults"},
    {"POST", "/api/faults", &ControlApi::add_fault, "add a fault (JSON, as in a scenario's faults: list)"},
    {"POST", "/api/faults/{name}/on", &ControlApi::enable_fault, "switch a fault on"},
    {"POST", "/api/faults/{name}/off", &ControlApi::disable_fault, "switch a fault off"},
    {"DELETE", "/api/faults/{name}", &ControlApi::remove_fault, "remove a fault"},
    {"POST", "/api/reset", &ControlApi::reset, "empty mailboxes and queues, faults back as declared"},
    {"GET", "/api/journeys", &ControlApi::journey_list, "every journey seen since the API started"},
    {"GET", "/api/journeys/{id}", &ControlApi::journey, "one journey's state"},
    {"GET", "/api/journeys/{id}/wait", &ControlApi::wait_journey,
     "wait until ?state= (delivered) is reached, at most ?timeout= (30s); 408 when it is not"},
    {"GET", "/api/events", &ControlApi::events, "the event bus as Server-Sent Events (?journey= only that one)"},
};

ControlApi::ControlApi(Lab& lab) : lab_(lab), tracker_(&lab.bus()) {}

net::awaitable<Response> ControlApi::handle(const Request& request) {
  auto target = parse_target(request.target);
  if (!target) co_return error_response(400, "the request target is not a valid path");
  bool path_known = false;
  for (const Route& route : kRoutes) {
    auto pattern = parse_target(route.pattern);
    if (pattern->segments.size() != target->segments.size()) continue;
    Call call{request, {}, target->query};
    bool match = true;
    for (std::size_t i = 0; i < pattern->segments.size() && match; ++i) {
      const std::string& p = pattern->segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        call.params[p.substr(1, p.size() - 2)] = target->segments[i];
      } else {
        match = p == target->segments[i];
      }
    }
    if (!match) continue;
    path_known = true;
    if (route.method != request.method) continue;
    co_return co_await (this->*route.handler)(call);
  }
  if (path_known) co_return error_response(405, fmt::format("{} is not allowed on {}", request.method, request.target));
  co_return error_response(404, fmt::format("no such endpoint: {} (GET /api lists them)", request.target));
}

net::awaitable<Response> ControlApi::index(Call&) {
  json routes = json::array();
  for (const Route& r : kRoutes) routes.push_back({{"method", r.method}, {"path", r.pattern}, {"summary", r.summary}});
  co_return json_response(200, {{"endpoints", routes}});
}

namespace {

const sim::User* find_user(const sim::World& world, const std::string& address) {
  for (const auto& u : world.users) {
    if (u.address == address) return &u;
  }
  return nullptr;
}

}  // namespace

net::awaitable<Response> ControlApi::users(Call&) {
  json out = json::array();
  for (const auto& user : lab_.served_world().users) {
    auto mailbox = lab_.store().open(user.address, user.quota);
    json folders = json::array();
    if (mailbox) {
      auto names = mailbox->list_folders();
      for (const auto& name : names.value) {
        auto status = mailbox->status(name);
        if (!status.ok()) continue;
        folders.push_back({{"name", name}, {"messages", status.value.messages}, {"unseen", status.value.unseen}});
      }
    }
    out.push_back({{"address", user.address},
                   {"login", user.login},
                   {"password", user.password},
                   {"maildir", lab_.store().maildir_of(user.address).value_or("").string()},
                   {"folders", folders}});
  }
  co_return json_response(200, out);
}

std::variant<ControlApi::MailboxTarget, Response> ControlApi::mailbox_of(const Call& call) {
  const sim::User* user = find_user(lab_.served_world(), call.params.at("user"));
  if (!user) return error_response(404, fmt::format("no user {} in this world", call.params.at("user")));
  auto mailbox = lab_.store().open(user->address, user->quota);
  if (!mailbox) return error_response(500, "the mailbox cannot be opened");
  return MailboxTarget{user, std::move(mailbox), call.query.contains("folder") ? call.query.at("folder") : "INBOX"};
}

net::awaitable<Response> ControlApi::messages(Call& call) {
  auto target = mailbox_of(call);
  if (auto* error = std::get_if<Response>(&target)) co_return *error;
  auto& [user, mailbox, folder] = std::get<MailboxTarget>(target);
  auto listed = mailbox->list(folder);
  if (!listed.ok()) co_return error_response(status_for(listed.status), store_error(listed));
  json out = json::array();
  for (const auto& m : listed.value) {
    auto header = mailbox->read_prefix(folder, m.uid, kHeaderPrefixBytes);
    if (!header.ok()) continue;  // expunged meanwhile
    out.push_back(message_summary(m, header.value));
  }
  co_return json_response(200, {{"user", user->address}, {"folder", folder}, {"messages", out}});
}

net::awaitable<Response> ControlApi::message(Call& call) {
  auto target = mailbox_of(call);
  if (auto* error = std::get_if<Response>(&target)) co_return *error;
  auto& [user, mailbox, folder] = std::get<MailboxTarget>(target);
  auto uid = parse_uid(call.params.at("uid"));
  if (!uid) co_return error_response(400, "a message is named by its UID, a positive number");
  auto listed = mailbox->list(folder);
  if (!listed.ok()) co_return error_response(status_for(listed.status), store_error(listed));
  auto info = std::find_if(listed.value.begin(), listed.value.end(), [&](const auto& m) { return m.uid == *uid; });
  auto text = mailbox->read(folder, *uid);
  if (info == listed.value.end() || !text.ok()) co_return error_response(404, fmt::format("no message with UID {} in {}", *uid, folder));
  json out = message_summary(*info, text.value);
  out["headers"] = header_json(sim::mime::parse_message(text.value));
  co_return json_response(200, out);
}

net::awaitable<Response> ControlApi::message_raw(Call& call) {
  auto target = mailbox_of(call);
  if (auto* error = std::get_if<Response>(&target)) co_return *error;
  auto& [user, mailbox, folder] = std::get<MailboxTarget>(target);
  auto uid = parse_uid(call.params.at("uid"));
  if (!uid) co_return error_response(400, "a message is named by its UID, a positive number");
  auto text = mailbox->read(folder, *uid);
  if (!text.ok()) co_return error_response(status_for(text.status), store_error(text));
  Response r;
  r.content_type = "message/rfc822";
  r.body = std::move(text.value);
  co_return r;
}

net::awaitable<Response> ControlApi::delete_message(Call& call) {
  auto target = mailbox_of(call);
  if (auto* error = std::get_if<Response>(&target)) co_return *error;
  auto& [user, mailbox, folder] = std::get<MailboxTarget>(target);
  auto uid = parse_uid(call.params.at("uid"));
  if (!uid) co_return error_response(400, "a message is named by its UID, a positive number");
  auto removed = mailbox->expunge(folder, *uid);
  if (!removed.ok()) co_return error_response(status_for(removed.status), store_error(removed));
  lab_.mailbox_changed(user->address, folder);
  co_return json_response(200, {{"deleted", 1}});
}

net::awaitable<Response> ControlApi::delete_messages(Call& call) {
  auto target = mailbox_of(call);
  if (auto* error = std::get_if<Response>(&target)) co_return *error;
  auto& [user, mailbox, folder] = std::get<MailboxTarget>(target);
  auto listed = mailbox->list(folder);
  if (!listed.ok()) co_return error_response(status_for(listed.status), store_error(listed));
  std::size_t deleted = 0;
  for (const auto& m : listed.value) deleted += mailbox->expunge(folder, m.uid).ok() ? 1 : 0;
  lab_.mailbox_changed(user->address, folder);
  co_return json_response(200, {{"deleted", deleted}});
}

net::awaitable<Response> ControlApi::queue(Call&) {
  json out = json::array();
  for (const auto& [host, entry] : lab_.queued()) {
    json recipients = json::array();
    for (const auto& r : entry.recipients) {
      recipients.push_back({{"address", r.address},
                            {"state", sim::recipient_state_name(r.state)},
                            {"attempts", r.attempts},
                            {"last_reply", r.last_reply},
                            {"remote_mta", r.remote_mta}});
    }
    out.push_back({{"host", host},
                   {"id", entry.id},
                   {"journey", entry.journey},
                   {"sender", entry.sender},
                   {"recipients", recipients},
                   {"attempts", entry.attempts},
                   {"size", entry.size},
                   {"arrival", sim::format_event_time(entry.arrival)},
                   {"next_attempt", sim::format_event_time(entry.next_attempt)}});
  }
  co_return json_response(200, out);
}

net::awaitable<Response> ControlApi::faults(Call&) {
  json out = json::array();
  for (const auto& f : lab_.faults().list()) out.push_back(fault_json(f));
  co_return json_response(200, out);
}

net::awaitable<Response> ControlApi::add_fault(Call& call) {
  // JSON is YAML: the scenario loader reads the fault, with its checks and its messages.
  auto loaded = sim::load_fault_string(call.request.body, "request body");
  if (!loaded.fault) {
    std::string message;
    for (const auto& e : loaded.errors) message += (message.empty() ? "" : "; ") + e.to_string();
    co_return error_response(400, message);
  }
  if (auto problem = lab_.faults().add(*loaded.fault); !problem.empty()) co_return error_response(409, problem);
  co_return json_response(201, fault_json(*loaded.fault));
}

net::awaitable<Response> ControlApi::enable_fault(Call& call) {
  const std::string& name = call.params.at("name");
  if (!lab_.faults().set_enabled(name, true)) co_return error_response(404, fmt::format("no fault named {}", name));
  co_return json_response(200, {{"name", name}, {"enabled", true}});
}

net::awaitable<Response> ControlApi::disable_fault(Call& call) {
  const std::string& name = call.params.at("name");
  if (!lab_.faults().set_enabled(name, false)) co_return error_response(404, fmt::format("no fault named {}", name));
  co_return json_response(200, {{"name", name}, {"enabled", false}});
}

net::awaitable<Response> ControlApi::remove_fault(Call& call) {
  const std::string& name = call.params.at("name");
  if (!lab_.faults().remove(name)) co_return error_response(404, fmt::format("no fault named {}", name));
  co_return json_response(200, {{"removed", name}});
}

net::awaitable<Response> ControlApi::reset(Call&) {
  const Lab::ResetReport report = lab_.reset();
  tracker_.clear();
  co_return json_response(200, {{"messages_deleted", report.messages_deleted},
                                {"folders_deleted", report.folders_deleted},
                                {"queue_entries_dropped", report.queue_entries_dropped},
                                {"deliveries_in_flight", report.deliveries_in_flight}});
}

net::awaitable<Response> ControlApi::journey_list(Call&) {
  json out = json::array();
  for (const auto& s : tracker_.all()) out.push_back(journey_json(s));
  co_return json_response(200, out);
}

net::awaitable<Response> ControlApi::journey(Call& call) {
  auto status = tracker_.status(call.params.at("id"));
  if (!status) co_return error_response(404, fmt::format("no journey {} seen yet", call.params.at("id")));
  co_return json_response(200, journey_json(*status));
}

net::awaitable<Response> ControlApi::wait_journey(Call& call) {
  const std::string& id = call.params.at("id");
  auto state = journey_state_named(call.query.contains("state") ? call.query.at("state") : "delivered");
  if (!state) co_return error_response(400, "state must be one of queued, delivered, deferred, bounced, rejected");
  auto timeout = call.query.contains("timeout") ? parse_timeout(call.query.at("timeout")) : kDefaultWait;
  if (!timeout || *timeout > kMaxWait) co_return error_response(400, "timeout must be like 30s, 1500ms or 2m, at most 5m");
  // Polls the tracker on a timer: a wait must not hold the io thread the servers run on.
  net::asio::steady_timer timer(co_await net::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  while (true) {
    if (tracker_.wait_for(id, *state, std::chrono::milliseconds(0))) {
      co_return json_response(200, journey_json(*tracker_.status(id)));
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(net::use_awaitable);
  }
  json out = {{"error", fmt::format("journey {} did not reach {} within {} ms", id, sim::journey_state_name(*state),
                                    timeout->count())}};
  if (auto status = tracker_.status(id)) out["journey"] = journey_json(*status);
  co_return json_response(408, out);
}

net::awaitable<Response> ControlApi::events(Call& call) {
  Response r;
  r.event_stream = true;
  r.content_type = "text/event-stream";
  if (call.query.contains("journey")) r.stream_journey = call.query.at("journey");
  co_return r;
}

}  // namespace mailflow::control
