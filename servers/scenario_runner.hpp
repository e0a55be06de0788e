// The headless scenario runner (`mailflow run`): starts the scenario's world as a real lab
// (every server on loopback, as `mailflow serve` does), declares its faults, plays its
// steps with the lab's own clients, then checks its expectations against what happened —
// the journeys on the event bus, the Maildirs on disk, what each client was answered.
//
// Steps run one after the other on the caller's thread while the lab serves on its own.
// It plays send, fetch (pop3::fetch_mail, imap::fetch_mail: each reader keeps what it
// downloaded before, as a device does), wait, fault, dns (Lab::replace_records) and advance
// steps. The clients dial with their account settings as client_settings.hpp bends them
// (the client-settings faults) and resolve the server's name through the lab's DNS.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/event.hpp"
#include "sim/scenario.hpp"

namespace mailflow {

struct RunOptions {
  std::filesystem::path state_dir;  // a fresh directory for the lab's state
  std::filesystem::path trace_file; // "" none; relative paths are inside state_dir
  std::optional<std::uint64_t> seed;          // overrides the scenario's
  std::optional<std::uint16_t> port_offset;   // overrides the world's
};

struct Verdict {
  std::string expectation;  // "letter 'letter' bounced with 550 5.1.1"
  bool passed = false;
  std::string detail;       // what was found instead, when it failed
};

struct RunResult {
  std::vector<Verdict> verdicts;     // one per expectation, then one per step that failed
  std::vector<sim::Event> events;    // everything the lab published, in order
  std::map<std::string, std::string> letters;  // letter name -> journey id
  std::string error;                 // the lab could not start; no verdicts then

  bool passed() const;
};

RunResult run_scenario(const sim::Scenario& scenario, const RunOptions& options);

// Each letter's journey hop by hop (time since the first event, host, peer, protocol,
// command or reply with its code), then every verdict, then PASS or FAIL.
void print_run(const sim::Scenario& scenario, const RunResult& result, std::ostream& out);

// The verdicts as JUnit XML: one testsuite (the scenario's title) and one testcase per
// verdict, so a CI shows a failed expectation like a failed test.
std::string junit_xml(const sim::Scenario& scenario, const RunResult& result);

}  // namespace mailflow
