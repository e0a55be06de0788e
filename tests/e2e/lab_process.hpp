// End-to-end test support: runs `mailflow serve` as a real child process on a port offset
// of its own, waits for its ready file, and runs real client programs (dig, kdig) with a
// time limit. Everything it starts is bounded in time and stopped by the destructor.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mailflow::e2e {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs argv (no shell) with a time limit; the output is captured.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_seconds = 20);

// Any program running beside a test (a foreign server such as aiosmtpd); killed with
// SIGTERM, then SIGKILL, when the object goes.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  bool running() const;
  std::string output() const;

 private:
  int pid_ = -1;
  std::filesystem::path dir_;
};

// Waits until something accepts TCP connections on address:port (bounded).
bool wait_for_port(const std::string& address, int port, int timeout_ms = 10000);

class LabProcess {
 public:
  // Starts `mailflow serve` with extra arguments (e.g. {"--world", path}) on a free port
  // offset and a fresh state directory; throws std::runtime_error if it is not ready in time.
  // work_dir: where the state directory, ready file and log go; when given, it is kept
  // after the lab stops, so a second LabProcess can restart on the same state.
  explicit LabProcess(std::vector<std::string> extra_args = {}, std::filesystem::path work_dir = {});
  ~LabProcess();

  const nlohmann::json& ready() const { return ready_; }
  std::string dns_address() const { return ready_["dns"]["address"]; }
  int dns_port() const { return ready_["dns"]["port"]; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  const std::filesystem::path& ready_file() const { return ready_file_; }
  int port_offset() const { return port_offset_; }

  // Sends SIGTERM and waits (bounded); returns the exit status, or -1 if it had to be killed.
  int stop();
  std::string output() const;  // what serve printed so far

 private:
  bool try_start(const std::vector<std::string>& extra_args);

  int pid_ = -1;
  int port_offset_ = 0;
  std::filesystem::path state_dir_;
  bool keep_state_ = false;
  std::filesystem::path ready_file_;
  std::filesystem::path log_file_;
  nlohmann::json ready_;
};

std::filesystem::path mailflow_binary();
std::filesystem::path source_dir();
std::filesystem::path make_temp_dir(const std::string& prefix);

}  // namespace mailflow::e2e
