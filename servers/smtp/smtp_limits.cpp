// SmtpLimits::verify: see smtp_limits.hpp.
#include "servers/smtp/smtp_limits.hpp"

namespace mailflow::smtp {

std::string SmtpLimits::verify() const {
  std::string problems;
  auto problem = [&](const std::string& text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  if (!allow_below_rfc_minimums) {
    if (command_line < 512) problem("command_line is below the RFC 5321 §4.5.3.1.4 minimum of 512");
    if (text_line < 1000) problem("text_line is below the RFC 5321 §4.5.3.1.6 minimum of 1000");
    if (max_recipients < 100) problem("max_recipients is below the RFC 5321 §4.5.3.1.8 minimum of 100");
    if (auth_line < 12288) problem("auth_line is below the RFC 4954 §4 minimum of 12288");
  }
  // Even a demo needs room for "QUIT\r\n" and a line ending.
  if (command_line < 16) problem("command_line must be at least 16");
  if (text_line < 3) problem("text_line must be at least 3");
  if (auth_line < command_line) problem("auth_line must not be below command_line");
  if (max_recipients == 0) problem("max_recipients must be at least 1");
  if (max_message_bytes == 0) problem("max_message_bytes must be at least 1");
  if (idle_timeout.count() <= 0) problem("idle_timeout must be positive");
  if (data_timeout.count() <= 0) problem("data_timeout must be positive");
  if (max_session_time.count() <= 0) problem("max_session_time must be positive");
  if (max_errors == 0) problem("max_errors must be at least 1");
  if (max_connections == 0) problem("max_connections must be at least 1");
  if (max_connections_per_client == 0) problem("max_connections_per_client must be at least 1");
  if (max_connections_per_client > max_connections) problem("max_connections_per_client exceeds max_connections");
  if (max_auth_failures == 0) problem("max_auth_failures must be at least 1");
  return problems;
}

}  // namespace mailflow::smtp
