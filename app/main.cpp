// mailflow: the headless command line (DESIGN.md "Commands").
//   mailflow serve [--world FILE] [--state-dir DIR] [--port-offset N] [--ready-file FILE]
//                  [--control-port N | --no-control]
//                  [--trace FILE | --no-trace] [--time-scale X]
//   mailflow hosts [--world FILE]
//   mailflow run SCENARIO.yaml [--state-dir DIR] [--trace FILE] [--junit FILE] [--seed N]
//                [--port-offset N]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <iostream>

#include <fstream>

#include "servers/lab.hpp"
#include "servers/scenario_runner.hpp"
#include "sim/scenario_loader.hpp"
#include "sim/world_loader.hpp"

namespace {

using namespace mailflow;

// Exit codes: 0 done, 1 a server failed at run time, 2 bad command line or world file,
// 3 a server could not start, 4 a scenario ran and an expectation failed.
constexpr int kExitBadInput = 2;
constexpr int kExitCannotStart = 3;
constexpr int kExitScenarioFailed = 4;

std::optional<sim::World> load_world(const std::string& path, std::optional<int> port_offset) {
  sim::World world;
  if (path.empty()) {
    world = sim::default_world();
  } else {
    auto result = sim::load_world_file(path);
    if (!result.ok()) {
      for (const auto& error : result.errors) std::cerr << error.to_string() << "\n";
      std::cerr << fmt::format("mailflow: {} has {} error{}; nothing was started\n", path, result.errors.size(),
                               result.errors.size() == 1 ? "" : "s");
      return std::nullopt;
    }
    world = std::move(*result.world);
  }
  if (port_offset) {
    for (const auto& host : world.hosts) {
      for (const auto& endpoint : host.services) {
        if (!endpoint.port && sim::standard_port(endpoint.service) + *port_offset > 65535) {
          std::cerr << fmt::format("mailflow: --port-offset {} puts {} of {} past port 65535\n", *port_offset,
                                   sim::service_name(endpoint.service), host.name);
          return std::nullopt;
        }
      }
    }
    world.port_offset = static_cast<std::uint16_t>(*port_offset);
  }
  return world;
}

// The control API's switches of `mailflow serve`.
struct ControlArgs {
  bool off = false;
  std::optional<int> port;  // unset: 8025 + the port offset
};

int serve(const std::string& world_path, std::optional<int> port_offset, const std::string& state_dir,
          const std::string& ready_file, const std::string& trace_file, bool no_trace,
          std::optional<double> time_scale, const ControlArgs& control) {
  auto world = load_world(world_path, port_offset);
  if (!world) return kExitBadInput;

  // Built-in defaults, then the world's settings, then the command line.
  LabOptions options;
  apply_world_settings(world->settings, options);
  options.state_dir = state_dir;
  options.trace_file = no_trace ? std::filesystem::path() : std::filesystem::path(trace_file);
  if (time_scale) options.time_scale = *time_scale;
  options.control_api = !control.off;
  if (control.port) options.control_port = static_cast<std::uint16_t>(*control.port);
  std::optional<Lab> lab_storage;
  try {
    lab_storage.emplace(std::move(*world), options);
    lab_storage->start();
  } catch (const LabError& e) {
    std::cerr << "mailflow: " << e.what() << "\n";
    return kExitCannotStart;
  }
  Lab& lab = *lab_storage;

  std::cout << fmt::format("mailflow lab \"{}\" is running (state in {})\n\n", lab.served_world().name,
                           std::filesystem::absolute(options.state_dir).string());
  std::cout << sim::endpoint_table(lab.served_world());
  std::cout << "\nDNS, SMTP (MX, submission, SMTPS), POP3 (POP3, POP3S) and IMAP (IMAP, IMAPS) are served.\n";
  if (auto ca = lab.ca_file(); !ca.empty()) std::cout << fmt::format("TLS clients trust the lab CA: {}\n", std::filesystem::absolute(ca).string());
  if (auto dns = lab.dns_endpoint()) {
    std::cout << fmt::format("Try: dig @{} -p {} beta.test MX\n", dns->address().to_string(), dns->port());
  }
  if (auto url = lab.control_url(); !url.empty()) {
    std::cout << fmt::format("Control API: {}/api (try: curl {}/api/users)\n", url, url);
  }
  std::cout << "Press Ctrl-C to stop.\n" << std::flush;

  if (!ready_file.empty()) {
    try {
      lab.write_ready_file(ready_file);
    } catch (const LabError& e) {
      std::cerr << "mailflow: " << e.what() << "\n";
      return kExitCannotStart;
    }
  }

  net::asio::signal_set signals(lab.io(), SIGINT, SIGTERM);
  signals.async_wait([&](const net::error_code& ec, int signal) {
    if (ec) return;
    std::cout << fmt::format("\nmailflow: {} received, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM")
              << std::flush;
    lab.stop();
  });
  try {
    lab.run();
  } catch (const std::exception& e) {
    std::cerr << "mailflow: stopped by an internal error: " << e.what() << "\n";
    return 1;
  }
  if (!ready_file.empty()) std::filesystem::remove(ready_file);
  std::cout << "mailflow: stopped\n";
  return 0;
}

int hosts(const std::string& world_path) {
  auto world = load_world(world_path, std::nullopt);
  if (!world) return kExitBadInput;
  std::cout << fmt::format("# mailflow lab hosts (world \"{}\"); append to /etc/hosts\n", world->name);
  for (const auto& host : world->hosts) std::cout << fmt::format("{:<15} {}\n", host.address, host.name);
  return 0;
}

int run(const std::string& scenario_path, const std::string& state_dir, const std::string& trace_file,
        const std::string& junit_file, std::optional<std::uint64_t> seed, std::optional<int> port_offset) {
  auto loaded = sim::load_scenario_file(scenario_path);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::cerr << error.to_string() << "\n";
    std::cerr << fmt::format("mailflow: {} has {} error{}; nothing was run\n", scenario_path, loaded.errors.size(),
                             loaded.errors.size() == 1 ? "" : "s");
    return kExitBadInput;
  }
  RunOptions options;
  options.state_dir = state_dir;
  // A run starts from nothing: the state of an earlier run would change what it sees.
  std::error_code ec;
  std::filesystem::remove_all(options.state_dir, ec);
  options.trace_file = trace_file;
  options.seed = seed;
  if (port_offset) options.port_offset = static_cast<std::uint16_t>(*port_offset);
  RunResult result = run_scenario(*loaded.scenario, options);
  print_run(*loaded.scenario, result, std::cout);
  if (!junit_file.empty()) {
    std::ofstream out(junit_file, std::ios::trunc);
    out << junit_xml(*loaded.scenario, result);
    if (!out) std::cerr << "mailflow: cannot write " << junit_file << "\n";
  }
  if (!result.error.empty()) return kExitCannotStart;
  return result.passed() ? 0 : kExitScenarioFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mailflow: a mail-flow lab of real SMTP, DNS, POP3 and IMAP servers on loopback"};
  app.require_subcommand(1);

  std::string world_path, state_dir = "state", ready_file, trace_file = "trace.jsonl";
  std::optional<int> port_offset;
  std::optional<double> time_scale;
  bool no_trace = false;

  auto* serve_cmd = app.add_subcommand("serve", "start every server of the world and wait for Ctrl-C");
  serve_cmd->add_option("--world", world_path, "world file (YAML); the built-in default world when absent")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--state-dir", state_dir, "where mailboxes, queue, certificates and traces live")
      ->capture_default_str();
  serve_cmd->add_option("--port-offset", port_offset, "added to every standard port (default: the world's, 10000)")
      ->check(CLI::Range(0, 65535));
  serve_cmd->add_option("--ready-file", ready_file, "JSON file written once every listener is up");
  auto* trace_opt = serve_cmd->add_option("--trace", trace_file, "trace file (JSON Lines), relative to the state dir")
                        ->capture_default_str();
  serve_cmd->add_flag("--no-trace", no_trace, "write no trace file")->excludes(trace_opt);
  serve_cmd
      ->add_option("--time-scale", time_scale,
                   "lab time runs this many times faster than real time (default: the world's settings, 60)")
      ->check([](const std::string& text) -> std::string {
        // CLI::Range would let NaN through; this is written so NaN fails as well.
        double x = 0;
        if (!CLI::detail::lexical_cast(text, x) || !(x > 0 && x <= sim::ScaledClock::kMaxScale)) {
          return fmt::format("time scale must be above 0 and at most {}, got {}", sim::ScaledClock::kMaxScale, text);
        }
        return {};
      });

  ControlArgs control;
  serve_cmd->add_option("--control-port", control.port, "the control API's port on 127.0.0.1 (default 8025 + offset; 0: any)")
      ->check(CLI::Range(0, 65535));
  serve_cmd->add_flag("--no-control", control.off, "do not start the control API");

  auto* hosts_cmd = app.add_subcommand("hosts", "print /etc/hosts lines for every lab host");
  hosts_cmd->add_option("--world", world_path, "world file (YAML)")->check(CLI::ExistingFile);

  std::string scenario_path, run_state_dir = "state/run", run_trace = "trace.jsonl", junit_file;
  std::optional<std::uint64_t> seed;
  auto* run_cmd = app.add_subcommand("run", "run a scenario headless, print each journey and check its expectations");
  run_cmd->add_option("scenario", scenario_path, "scenario file (YAML)")->required()->check(CLI::ExistingFile);
  run_cmd->add_option("--state-dir", run_state_dir, "the run's lab state, emptied first")->capture_default_str();
  run_cmd->add_option("--trace", run_trace, "trace file (JSON Lines), relative to the state dir")->capture_default_str();
  run_cmd->add_option("--junit", junit_file, "also write the verdicts as JUnit XML");
  run_cmd->add_option("--seed", seed, "fixes every random choice (overrides the scenario's seed)");
  run_cmd->add_option("--port-offset", port_offset, "added to every standard port (default: the world's)")
      ->check(CLI::Range(0, 65535));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitBadInput;
  }
  if (*serve_cmd) return serve(world_path, port_offset, state_dir, ready_file, trace_file, no_trace, time_scale, control);
  if (*hosts_cmd) return hosts(world_path);
  if (*run_cmd) return run(scenario_path, run_state_dir, run_trace, junit_file, seed, port_offset);
  return kExitBadInput;
}
