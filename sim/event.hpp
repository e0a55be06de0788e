// The one event catalogue shared by servers, visualizer, scenarios and lessons.
// Every protocol step in the lab is an Event: short fields and ids, never message bodies.
// Credentials are masked by the publisher before an event is built (see mask_credentials).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailflow::sim {

enum class Protocol { Lab, Dns, Smtp, Pop3, Imap, Control };

enum class EventKind {
  Listening,   // a server bound its socket
  Stopped,     // a server closed its socket
  Connect,     // a client connected
  Disconnect,  // a connection ended
  Tls,         // a TLS handshake finished (line holds version and cipher)
  Auth,        // a login succeeded or failed
  Command,     // a client line (masked)
  Reply,       // a server line
  State,       // a session entered a new protocol state (line holds its name)
  Queued,      // a message was accepted into a queue
  DnsQuery,    // a DNS question (line: "beta.test. IN MX")
  DnsAnswer,   // a DNS answer (line: rcode and records)
  Relay,       // a message left for the next hop
  Delivered,   // a message was stored in a mailbox
  Deferred,    // delivery will be retried
  Rejected,    // a message or recipient was refused
  Bounced,     // a delivery status notification was sent back
  Fetched,     // a client downloaded a message
  Deleted,     // a message was removed from a mailbox
  Error,       // something went wrong inside the lab (line says what)
  Fault,       // a fault of the lab's FaultSet fired here (line: its name, kind and effect)
};

// Every enumerator once, in declaration order: for tests, menus and filters.
inline constexpr Protocol kAllProtocols[] = {Protocol::Lab,  Protocol::Dns,  Protocol::Smtp,
                                             Protocol::Pop3, Protocol::Imap, Protocol::Control};
inline constexpr EventKind kAllEventKinds[] = {
    EventKind::Listening, EventKind::Stopped,  EventKind::Connect,  EventKind::Disconnect,
    EventKind::Tls,       EventKind::Auth,     EventKind::Command,  EventKind::Reply,
    EventKind::State,     EventKind::Queued,   EventKind::DnsQuery, EventKind::DnsAnswer,
    EventKind::Relay,     EventKind::Delivered, EventKind::Deferred, EventKind::Rejected,
    EventKind::Bounced,   EventKind::Fetched,  EventKind::Deleted,  EventKind::Error,
    EventKind::Fault};

// "lab", "dns", "smtp", "pop3", "imap", "control".
std::string_view protocol_name(Protocol p);
// Kebab-case: "listening", "dns-query", "delivered", ...
std::string_view event_kind_name(EventKind k);
std::optional<EventKind> event_kind_from_name(std::string_view name);
std::optional<Protocol> protocol_from_name(std::string_view name);

struct Event {
  std::uint64_t seq = 0;  // set by the bus: total order of publication
  std::chrono::system_clock::time_point time{};  // set by the bus when left empty
  std::string journey;    // journey id once known, else empty
  std::string host;       // the lab host that saw it: "ns.lab.test"
  std::string peer;       // the other end: "127.0.0.1:40522"
  std::uint64_t session = 0;  // connection id, unique per process; 0 when none
  Protocol protocol = Protocol::Lab;
  EventKind kind = EventKind::Error;
  std::string line;       // command or reply line, question or answer summary
  int code = 0;           // reply code (SMTP 550, DNS rcode), 0 when none
  std::string status;     // enhanced status code "5.1.1", when the reply has one
};

// RFC 3339 UTC with microseconds: "2026-12-01T10:00:00.123456Z" (sub-microsecond
// digits are truncated, so a trace keeps what a human or a replay can use).
std::string format_event_time(std::chrono::system_clock::time_point t);
// Accepts RFC 3339 date-times ("Z" or a numeric offset, 0 to 9 fraction digits);
// nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_event_time(std::string_view text);

// One JSON object (no trailing newline), the trace-file format:
// {"seq":1,"time":"2026-12-01T10:00:00.123456Z","kind":"dns-query",...}
// Keys in the order seq, time, kind, protocol, host, peer, session, journey, line, code,
// status; empty strings and a zero code or session are left out to keep lines short.
// Bytes that are not valid UTF-8 become U+FFFD (JSON text must be Unicode), so only
// valid UTF-8 round-trips exactly.
std::string to_json_line(const Event& e);
// Parses what to_json_line wrote; nullopt for a line that is not an event. Unknown keys
// are ignored so that older readers accept newer traces.
std::optional<Event> event_from_json_line(std::string_view line);

// Replaces what follows AUTH PLAIN/LOGIN, PASS, LOGIN user <password> with "****",
// so that no event ever carries a secret.
//   "AUTH PLAIN dGVzdA=="            -> "AUTH PLAIN ****"   (SMTP, POP3 RFC 5034)
//   "PASS secret"                    -> "PASS ****"         (POP3)
//   a1 LOGIN "bob" "se cret"         -> "a1 LOGIN bob ****" (IMAP)
//   "a1 AUTHENTICATE PLAIN xxx"      -> "a1 AUTHENTICATE PLAIN ****"
// Verbs match case-insensitively; other lines come back unchanged. SASL continuation
// lines (a bare base64 answer to "334"/"+") carry no verb, so the session masks those.
std::string mask_credentials(std::string_view line);

}  // namespace mailflow::sim
