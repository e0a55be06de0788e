// A scenario (scenarios/*.yaml, format in scenarios/README.md): a world, the simulated mail
// users who act in it with their account settings, the faults, a timeline of steps and
// the expectations the headless runner checks. Plain values; the loader
// (scenario_loader.hpp) fills and checks them, the runner plays them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/fault.hpp"
#include "sim/world.hpp"

namespace mailflow::sim {

// Text a student reads, in both of the lab's languages.
struct LocalizedText {
  std::string en;
  std::string ja;
  friend bool operator==(const LocalizedText&, const LocalizedText&) = default;
};

enum class ActorKind { Sender, Pop3Reader, ImapReader };
enum class TlsMode { None, Starttls, Implicit };

// A simulated mail user's client and its account settings, any of which a scenario may
// get wrong on purpose (a port, the server's name, the password, the TLS mode).
struct Actor {
  std::string name;  // "alice-laptop"
  ActorKind kind = ActorKind::Sender;
  std::string user;    // the world user whose account this is
  std::string server;  // the host name the client dials
  std::optional<std::uint16_t> port;  // unset: the world's port for the kind and TLS mode
  TlsMode tls = TlsMode::Starttls;
  std::string login;     // unset in the file: the user's login
  std::string password;  // unset in the file: the user's password
  bool leave_on_server = false;  // POP3: keep what was downloaded (no DELE)
  friend bool operator==(const Actor&, const Actor&) = default;
};

struct SendStep {
  std::string actor;
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  std::string letter;  // a name for the letter, for wait steps and expectations ("" none)
  friend bool operator==(const SendStep&, const SendStep&) = default;
};
struct FetchStep {
  std::string actor;
  friend bool operator==(const FetchStep&, const FetchStep&) = default;
};

// Where a letter's journey stands.
enum class JourneyState { Queued, Delivered, Deferred, Bounced, Rejected };
std::string_view journey_state_name(JourneyState state);

struct WaitStep {
  std::string letter;
  JourneyState state = JourneyState::Delivered;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // real time
  friend bool operator==(const WaitStep&, const WaitStep&) = default;
};
struct FaultStep {
  std::string fault;
  bool enabled = true;
  friend bool operator==(const FaultStep&, const FaultStep&) = default;
};
struct DnsStep {  // replaces the records of one name and type
  DnsRecordSpec record;
  friend bool operator==(const DnsStep&, const DnsStep&) = default;
};
struct AdvanceStep {  // moves lab time forward (queue retries, TTLs, windows)
  std::chrono::milliseconds by{0};
  friend bool operator==(const AdvanceStep&, const AdvanceStep&) = default;
};

using Step = std::variant<SendStep, FetchStep, WaitStep, FaultStep, DnsStep, AdvanceStep>;

struct JourneyExpectation {
  std::string letter;
  JourneyState state = JourneyState::Delivered;
  std::optional<int> code;  // the reply that decided it (550)
  std::string status;       // its enhanced status code ("5.1.1")
  std::string via;          // a host the journey passed ("mx.beta.test"; "" any): which MX got it
  friend bool operator==(const JourneyExpectation&, const JourneyExpectation&) = default;
};
struct ClientExpectation {  // a client saw a reply containing this text ("535 5.7.8")
  std::string actor;
  std::string saw;
  friend bool operator==(const ClientExpectation&, const ClientExpectation&) = default;
};
struct DownloadExpectation {  // a pop3 or imap actor downloaded this many messages, all fetches together
  std::string actor;
  std::uint64_t messages = 0;
  friend bool operator==(const DownloadExpectation&, const DownloadExpectation&) = default;
};
struct MailboxExpectation {
  std::string user;
  std::string folder = "INBOX";
  std::uint64_t messages = 0;
  friend bool operator==(const MailboxExpectation&, const MailboxExpectation&) = default;
};
struct BounceExpectation {  // the sender got a bounce whose diagnostic contains a text
  std::string to;
  std::string diagnostic_contains;
  friend bool operator==(const BounceExpectation&, const BounceExpectation&) = default;
};

struct FaultExpectation {  // a declared fault acted (or never did), optionally exactly this often
  std::string fault;
  bool fired = true;
  std::optional<std::uint64_t> times;  // the number of its fault events, when given
  friend bool operator==(const FaultExpectation&, const FaultExpectation&) = default;
};

using Expectation = std::variant<JourneyExpectation, ClientExpectation, MailboxExpectation, BounceExpectation,
                                 DownloadExpectation, FaultExpectation>;

struct Scenario {
  std::string file;  // where it was loaded from
  LocalizedText title;
  LocalizedText explanation;  // what goes wrong and how a user would fix it
  World world;
  std::optional<std::uint64_t> seed;  // every random choice; `mailflow run --seed` overrides
  std::vector<Actor> actors;
  std::vector<FaultSpec> faults;
  std::vector<Step> steps;
  std::vector<Expectation> expectations;

  const Actor* find_actor(std::string_view name) const;
};

}  // namespace mailflow::sim
