// The fault catalogue (DESIGN.md "Faults"): every trouble the lab can cause on purpose,
// named as scenarios write it, with the decision point where it acts. A fault acts inside
// a real server or client at that point, so what crosses the socket is exactly what the
// real trouble produces; the reply codes themselves live with each protocol's codes
// (servers/*/..._codes.hpp), not here.
//
// FaultSet holds a lab's faults: declared by a scenario or added live, switched on and off
// while the lab runs (visualizer, control API), and asked by the servers at their
// decision points. Thread-safe; asking costs one atomic load while no fault is on.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/fault_trigger.hpp"

namespace mailflow::sim {

enum class FaultKind {
  // client settings (the built-in mail clients get them wrong)
  WrongPort, ServerNameTypo, WrongPassword, NoTls,
  // servers
  ServerDown, FirewallDrop, SlowReplies, Greylisting, ServiceUnavailable, DisconnectInData,
  // recipients and senders
  UnknownUser, UserNotLocal, MailboxFull, MailboxFullTemporary, BadSender, UnauthorizedSender, RelayDenied,
  PolicyRejection, MessageTooLarge,
  // DNS
  Nxdomain, DomainExpired, Servfail, DnsTimeout, NoMx, MxDeadHost, RecordChanged,
  // TLS
  SelfSignedCertificate, ExpiredCertificate, WrongHostCertificate, StarttlsRequired, TlsVersionMismatch,
  // network, named as toxiproxy names its toxics
  Latency, Bandwidth, SlowClose, Timeout, ResetPeer, Slicer, LimitData,
};

// Where in the lab a fault acts.
enum class FaultPoint {
  ClientSettings,  // a built-in client's account settings
  Connect,         // a server accepting a connection (before the greeting)
  Greeting,        // the server's greeting or banner
  Reply,           // before any reply of the server (slow server)
  MailFrom,        // SMTP MAIL FROM
  RcptTo,          // SMTP RCPT TO
  Data,            // SMTP DATA and the message
  DnsQuery,        // the authoritative DNS server answering
  TlsHandshake,    // the certificate and protocol versions offered
  Network,         // the bytes on a connection
};

struct FaultInfo {
  FaultKind kind;
  std::string_view name;  // as scenarios write it: "mailbox_full"
  FaultPoint point;
  std::string_view summary;  // one line for the fault panel and `--help`
};

// Every fault, in catalogue order.
const std::vector<FaultInfo>& fault_catalogue();
const FaultInfo& fault_info(FaultKind kind);
std::optional<FaultKind> fault_kind_named(std::string_view name);
std::string_view fault_point_name(FaultPoint point);

// What a fault needs beyond its kind; each kind reads the fields its summary names.
struct FaultParams {
  std::optional<std::chrono::milliseconds> delay;   // latency, slow_replies, timeout, slow_close
  std::optional<std::chrono::milliseconds> jitter;  // latency
  std::optional<std::uint64_t> bytes;               // bandwidth (per second), slicer, limit_data
  std::optional<std::uint16_t> port;                // wrong_port
  std::string value;                                // server_name_typo, wrong_password, record_changed
  std::string text;                                 // policy_rejection: the reply's text

  friend bool operator==(const FaultParams&, const FaultParams&) = default;
};

struct FaultSpec {
  std::string name;  // unique in a lab: how scenarios, the panel and the API refer to it
  FaultKind kind = FaultKind::UnknownUser;
  std::string host;    // the host it acts on ("" every host)
  std::string domain;  // DNS faults: the domain whose answers change ("" every domain)
  TriggerSpec trigger;
  FaultParams params;
  bool enabled = true;

  // "" when the fault makes sense; else what is wrong.
  std::string verify() const;
  friend bool operator==(const FaultSpec&, const FaultSpec&) = default;
};

// A fault that fired: the decision point acts on it.
struct FaultHit {
  std::string name;
  FaultKind kind;
  FaultParams params;
};

class FaultSet {
 public:
  // Adds a fault; returns what is wrong instead when the spec fails verify() or its name
  // is taken.
  std::string add(FaultSpec spec);
  bool remove(const std::string& name);
  // Switching a fault on starts its trigger's counting afresh. False: no such fault.
  bool set_enabled(const std::string& name, bool enabled);
  void reset();  // every trigger counts afresh, every fault back to its declared state
  std::vector<FaultSpec> list() const;

  // The first enabled fault at `point` for `host` (and `domain`, for DNS) whose trigger
  // fires for this attempt, in the order the faults were added. A fault's domain names
  // the domain and every name under it: "beta.test" acts on "mx.beta.test" too.
  std::optional<FaultHit> check(FaultPoint point, std::string_view host, const FaultAttempt& attempt,
                                std::string_view domain = {});
  bool any_enabled() const { return enabled_count_.load(std::memory_order_relaxed) > 0; }
  // Whether an enabled fault of `kind` acts on `host` at every attempt (trigger always, no
  // filters): a server can then act before any attempt arrives (server_down closes its
  // listening socket, so connecting is refused by the kernel itself). Counts nothing.
  // The name of the first such fault, or nothing.
  std::optional<std::string> unconditional(FaultKind kind, std::string_view host) const;
  // Called after every add, remove, set_enabled and reset, outside the lock and on the
  // caller's thread; a server that keeps state derived from the faults re-reads it there.
  void on_change(std::function<void()> listener);

 private:
  struct Entry {
    FaultSpec spec;
    bool declared_enabled;
    std::unique_ptr<Trigger> trigger;
  };
  void recount_locked();
  void changed();

  mutable std::mutex mutex_;
  std::vector<std::function<void()>> listeners_;  // guarded by mutex_
  std::vector<Entry> faults_;
  std::atomic<std::size_t> enabled_count_{0};
};

}  // namespace mailflow::sim
