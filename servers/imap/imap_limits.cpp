// ImapLimits::verify: see imap_limits.hpp.
#include "servers/imap/imap_limits.hpp"

namespace mailflow::imap {

std::string ImapLimits::verify() const {
  std::string problems;
  auto problem = [&](const std::string& text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  // Room for "a1 LOGIN user password" with a literal marker at least.
  if (line_length < 64) problem("line_length must be at least 64");
  if (max_literal_bytes == 0) problem("max_literal_bytes must be at least 1");
  if (max_append_bytes == 0) problem("max_append_bytes must be at least 1");
  if (max_command_bytes < line_length) problem("max_command_bytes must not be below line_length");
  if (max_command_bytes < max_literal_bytes) problem("max_command_bytes must not be below max_literal_bytes");
  if (max_list_depth == 0) problem("max_list_depth must be at least 1");
  if (!allow_below_rfc_minimums && idle_timeout < std::chrono::minutes(30)) problem("idle_timeout is below the RFC 3501 §5.4 minimum of 30 minutes");
  if (idle_timeout.count() <= 0) problem("idle_timeout must be positive");
  if (login_timeout.count() <= 0) problem("login_timeout must be positive");
  if (command_timeout.count() <= 0) problem("command_timeout must be positive");
  if (max_bad_commands == 0) problem("max_bad_commands must be at least 1");
  if (max_auth_failures == 0) problem("max_auth_failures must be at least 1");
  if (max_connections == 0) problem("max_connections must be at least 1");
  if (max_connections_per_client == 0) problem("max_connections_per_client must be at least 1");
  if (max_connections_per_client > max_connections) problem("max_connections_per_client exceeds max_connections");
  if (max_connections_per_user == 0) problem("max_connections_per_user must be at least 1");
  if (mime.max_depth == 0) problem("mime.max_depth must be at least 1");
  if (mime.max_parts == 0) problem("mime.max_parts must be at least 1");
  return problems;
}

}  // namespace mailflow::imap
