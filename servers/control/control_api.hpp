// The control API's requests and answers (README "Control API"): HTTP/JSON for test
// suites in any language. One table maps method + path pattern to a handler; a handler
// reads the lab (users, mailboxes, the queue, faults, journeys) and answers JSON, or an
// error as {"error": "..."} with the status code that fits. The transport (Beast, the
// Server-Sent Events stream) is control_server.hpp; everything here runs on the lab's
// io thread, so it sees the servers' state without locks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "servers/net/asio.hpp"
#include "sim/journey_tracker.hpp"
#include "sim/maildir_store.hpp"

namespace mailflow {
class Lab;
}

namespace mailflow::control {

struct Request {
  std::string method;  // "GET", "POST", "DELETE", ...
  std::string target;  // "/api/users?x=y", as sent
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // The handler hands the connection over to the event stream (GET /api/events).
  bool event_stream = false;
  std::string stream_journey;  // only this journey's events ("" every event)
};

// Splits "/a/b%20c?x=1&y" into decoded path segments and query parameters. nullopt for a
// target that is not an absolute path or has a bad %-escape.
struct ParsedTarget {
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
};
std::optional<ParsedTarget> parse_target(std::string_view target);

Response json_response(int status, const nlohmann::json& body);
Response error_response(int status, std::string_view message);

class ControlApi {
 public:
  explicit ControlApi(Lab& lab);
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  net::awaitable<Response> handle(const Request& request);
  sim::JourneyTracker& journeys() { return tracker_; }

 private:
  struct Call {
    const Request& request;
    std::map<std::string, std::string> params;  // from {name} segments of the pattern
    std::map<std::string, std::string> query;
  };
  using Handler = net::awaitable<Response> (ControlApi::*)(Call&);
  struct Route {
    std::string_view method;
    std::string_view pattern;  // "/api/users/{user}/messages/{uid}"
    Handler handler;
    std::string_view summary;  // for GET /api
  };
  static const Route kRoutes[];

  // The user, mailbox and ?folder= (INBOX) a message route names, or the error answer.
  struct MailboxTarget {
    const sim::User* user;
    std::shared_ptr<sim::Mailbox> mailbox;
    std::string folder;
  };
  std::variant<MailboxTarget, Response> mailbox_of(const Call& call);

  net::awaitable<Response> index(Call&);
  net::awaitable<Response> users(Call&);
  net::awaitable<Response> messages(Call&);
  net::awaitable<Response> message(Call&);
  net::awaitable<Response> message_raw(Call&);
  net::awaitable<Response> delete_message(Call&);
  net::awaitable<Response> delete_messages(Call&);
  net::awaitable<Response> queue(Call&);
  net::awaitable<Response> faults(Call&);
  net::awaitable<Response> add_fault(Call&);
  net::awaitable<Response> enable_fault(Call&);
  net::awaitable<Response> disable_fault(Call&);
  net::awaitable<Response> remove_fault(Call&);
  net::awaitable<Response> reset(Call&);
  net::awaitable<Response> journey_list(Call&);
  net::awaitable<Response> journey(Call&);
  net::awaitable<Response> wait_journey(Call&);
  net::awaitable<Response> events(Call&);

  Lab& lab_;
  sim::JourneyTracker tracker_;
};

}  // namespace mailflow::control
