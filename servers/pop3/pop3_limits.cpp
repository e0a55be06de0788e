// Pop3Limits::verify: see pop3_limits.hpp.
#include "servers/pop3/pop3_limits.hpp"

namespace mailflow::pop3 {

std::string Pop3Limits::verify() const {
  std::string problems;
  auto problem = [&](const std::string& text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  if (!allow_below_rfc_minimums) {
    if (command_line < 255) problem("command_line is below the RFC 2449 §4 value of 255");
    if (idle_timeout < std::chrono::minutes(10)) problem("idle_timeout is below the RFC 1939 §3 minimum of 10 minutes");
  }
  // Even a demo needs room for "QUIT\r\n".
  if (command_line < 16) problem("command_line must be at least 16");
  if (auth_line < command_line) problem("auth_line must not be below command_line");
  if (idle_timeout.count() <= 0) problem("idle_timeout must be positive");
  if (max_bad_commands == 0) problem("max_bad_commands must be at least 1");
  if (max_auth_failures == 0) problem("max_auth_failures must be at least 1");
  if (max_connections == 0) problem("max_connections must be at least 1");
  if (max_connections_per_client == 0) problem("max_connections_per_client must be at least 1");
  if (max_connections_per_client > max_connections) problem("max_connections_per_client exceeds max_connections");
  if (login_delay.count() < 0) problem("login_delay must not be negative");
  return problems;
}

}  // namespace mailflow::pop3
