// Child processes for end-to-end tests: mailflow serve and real clients.
#include "tests/e2e/lab_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mailflow::e2e {
namespace {

using namespace std::chrono_literals;

int spawn(const std::vector<std::string>& argv, const std::filesystem::path& output_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

// Waits for pid up to `limit`; returns the exit code (128+signal when killed by one).
std::optional<int> wait_for(int pid, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (done < 0) return -1;
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::filesystem::path mailflow_binary() {
  const char* dir = std::getenv("MAILFLOW_BINARY_DIR");
  return std::filesystem::path(dir ? dir : MAILFLOW_DEFAULT_BINARY_DIR) / "app" / "mailflow";
}

std::filesystem::path source_dir() {
  const char* dir = std::getenv("MAILFLOW_SOURCE_DIR");
  return dir ? dir : MAILFLOW_DEFAULT_SOURCE_DIR;
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

CommandResult run_command(const std::vector<std::string>& argv, int timeout_seconds) {
  auto dir = make_temp_dir("mailflow-cmd");
  auto out = dir / "output";
  CommandResult result;
  int pid = spawn(argv, out);
  auto code = wait_for(pid, std::chrono::seconds(timeout_seconds));
  if (!code) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  result.exit_code = code.value_or(-1);
  result.output = read_file(out);
  std::filesystem::remove_all(dir);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  dir_ = make_temp_dir("mailflow-child");
  pid_ = spawn(argv, dir_ / "output");
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (!wait_for(pid_, 5s)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool ChildProcess::running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

std::string ChildProcess::output() const { return read_file(dir_ / "output"); }

bool wait_for_port(const std::string& address, int port, int timeout_ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, address.c_str(), &to.sin_addr);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

LabProcess::LabProcess(std::vector<std::string> extra_args, std::filesystem::path work_dir) {
  keep_state_ = !work_dir.empty();
  state_dir_ = keep_state_ ? work_dir : make_temp_dir("mailflow-e2e");
  std::filesystem::remove(state_dir_ / "ready.json");
  ready_file_ = state_dir_ / "ready.json";
  log_file_ = state_dir_ / "serve.log";
  // ctest -j runs several of these at once: each takes a random offset (its DNS port is
  // offset + 53) and tries another when serve reports it cannot bind (exit code 3).
  std::mt19937 random(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(std::random_device{}()));
  for (int attempt = 0; attempt < 8; ++attempt) {
    port_offset_ = 20000 + static_cast<int>(random() % 400) * 100;
    if (try_start(extra_args)) return;
  }
  throw std::runtime_error("mailflow serve did not start: " + output());
}

bool LabProcess::try_start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {mailflow_binary().string(), "serve",           "--state-dir", (state_dir_ / "state").string(),
                                   "--ready-file",             ready_file_.string(), "--port-offset", std::to_string(port_offset_),
                                   // 8025 + a big offset is past 65535: any free port (the ready file says which)
                                   "--control-port", "0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(argv, log_file_);
  auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    if (std::filesystem::exists(ready_file_)) {
      ready_ = nlohmann::json::parse(read_file(ready_file_));
      return true;
    }
    if (auto code = wait_for(pid_, 20ms)) {
      pid_ = -1;
      if (*code == 3) return false;  // could not bind: try another offset
      throw std::runtime_error("mailflow serve exited with " + std::to_string(*code) + ": " + output());
    }
  }
  stop();
  throw std::runtime_error("mailflow serve wrote no ready file within 20 s: " + output());
}

int LabProcess::stop() {
  if (pid_ < 0) return -1;
  kill(pid_, SIGTERM);
  auto code = wait_for(pid_, 10s);
  if (!code) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return code.value_or(-1);
}

std::string LabProcess::output() const { return read_file(log_file_); }

LabProcess::~LabProcess() {
  stop();
  std::error_code ignored;
  if (!keep_state_) std::filesystem::remove_all(state_dir_, ignored);
}

}  // namespace mailflow::e2e
