// The world's `settings:` section: see world_settings_reader.hpp.
#include "sim/world_settings_reader.hpp"

#include "sim/clock.hpp"

namespace mailflow::sim {

using yaml::Value;

namespace {
// RFC 6891 §6.2.3: the EDNS UDP payload size is a 16-bit field.
constexpr std::uint64_t kMaxUdpPayload = 65535;
}  // namespace

void SettingsReader::read(const Value& v, LabSettings& settings) {
  const auto f = optional_fields(v, "settings", {"time_scale", "smtp", "dns", "pop3", "imap", "queue"});
  if (!f) return;
  if (const Value* scale = optional(*f, "time_scale")) {
    if (auto x = real_of(*scale, "settings.time_scale")) {
      if (*x > 0 && *x <= ScaledClock::kMaxScale) {
        settings.time_scale = *x;
      } else {
        error(scale->at, fmt::format("settings.time_scale must be above 0 and at most {}, got '{}'",
                                     ScaledClock::kMaxScale, scale->node.Scalar()));
      }
    }
  }
  if (const Value* smtp = optional(*f, "smtp")) read_smtp(*smtp, settings.smtp);
  if (const Value* dns = optional(*f, "dns")) read_dns(*dns, settings.dns);
  if (const Value* pop3 = optional(*f, "pop3")) read_pop3(*pop3, settings.pop3);
  if (const Value* imap = optional(*f, "imap")) read_imap(*imap, settings.imap);
  if (const Value* queue = optional(*f, "queue")) read_queue(*queue, settings.queue);
}

void SettingsReader::read_smtp(const Value& v, SmtpSettings& smtp) {
  static constexpr std::string_view kWhere = "settings.smtp";
  const auto f = optional_fields(v, kWhere,
                                 {"command_line", "text_line", "max_recipients", "max_message_bytes", "max_errors",
                                  "max_connections", "max_connections_per_client", "max_auth_failures",
                                  "idle_timeout", "reject_bare_newlines", "allow_plaintext_auth",
                                  "allow_below_rfc_minimums"});
  if (!f) return;
  set_size(*f, kWhere, "command_line", smtp.command_line, SIZE_MAX);
  set_size(*f, kWhere, "text_line", smtp.text_line, SIZE_MAX);
  set_count(*f, kWhere, "max_recipients", smtp.max_recipients);
  set_size(*f, kWhere, "max_message_bytes", smtp.max_message_bytes, SIZE_MAX);
  set_count(*f, kWhere, "max_errors", smtp.max_errors);
  set_count(*f, kWhere, "max_connections", smtp.max_connections);
  set_count(*f, kWhere, "max_connections_per_client", smtp.max_connections_per_client);
  set_count(*f, kWhere, "max_auth_failures", smtp.max_auth_failures);
  // SmtpLimits counts its timeouts in whole seconds.
  set_duration(*f, kWhere, "idle_timeout", smtp.idle_timeout, true);
  set_bool(*f, kWhere, "reject_bare_newlines", smtp.reject_bare_newlines);
  set_bool(*f, kWhere, "allow_plaintext_auth", smtp.allow_plaintext_auth);
  set_bool(*f, kWhere, "allow_below_rfc_minimums", smtp.allow_below_rfc_minimums);
}

void SettingsReader::read_dns(const Value& v, DnsSettings& dns) {
  static constexpr std::string_view kWhere = "settings.dns";
  const auto f = optional_fields(v, kWhere, {"udp_max_payload", "max_tcp_connections", "tcp_idle_timeout"});
  if (!f) return;
  set_size(*f, kWhere, "udp_max_payload", dns.udp_max_payload, kMaxUdpPayload);
  set_count(*f, kWhere, "max_tcp_connections", dns.max_tcp_connections);
  set_duration(*f, kWhere, "tcp_idle_timeout", dns.tcp_idle_timeout, false);
}

void SettingsReader::read_pop3(const Value& v, Pop3Settings& pop3) {
  static constexpr std::string_view kWhere = "settings.pop3";
  const auto f = optional_fields(v, kWhere,
                                 {"command_line", "idle_timeout", "max_bad_commands", "max_auth_failures",
                                  "max_connections", "max_connections_per_client", "login_delay",
                                  "allow_below_rfc_minimums"});
  if (!f) return;
  set_size(*f, kWhere, "command_line", pop3.command_line, SIZE_MAX);
  // Pop3Limits counts its times in whole seconds.
  set_duration(*f, kWhere, "idle_timeout", pop3.idle_timeout, true);
  set_count(*f, kWhere, "max_bad_commands", pop3.max_bad_commands);
  set_count(*f, kWhere, "max_auth_failures", pop3.max_auth_failures);
  set_count(*f, kWhere, "max_connections", pop3.max_connections);
  set_count(*f, kWhere, "max_connections_per_client", pop3.max_connections_per_client);
  set_duration(*f, kWhere, "login_delay", pop3.login_delay, true);
  set_bool(*f, kWhere, "allow_below_rfc_minimums", pop3.allow_below_rfc_minimums);
}

void SettingsReader::read_imap(const Value& v, ImapSettings& imap) {
  static constexpr std::string_view kWhere = "settings.imap";
  const auto f = optional_fields(v, kWhere,
                                 {"line_length", "max_literal_bytes", "max_append_bytes", "idle_timeout",
                                  "login_timeout", "max_bad_commands", "max_auth_failures", "max_connections",
                                  "max_connections_per_client", "max_connections_per_user",
                                  "allow_below_rfc_minimums"});
  if (!f) return;
  set_size(*f, kWhere, "line_length", imap.line_length, SIZE_MAX);
  set_size(*f, kWhere, "max_literal_bytes", imap.max_literal_bytes, SIZE_MAX);
  set_size(*f, kWhere, "max_append_bytes", imap.max_append_bytes, SIZE_MAX);
  // ImapLimits counts its times in whole seconds.
  set_duration(*f, kWhere, "idle_timeout", imap.idle_timeout, true);
  set_duration(*f, kWhere, "login_timeout", imap.login_timeout, true);
  set_count(*f, kWhere, "max_bad_commands", imap.max_bad_commands);
  set_count(*f, kWhere, "max_auth_failures", imap.max_auth_failures);
  set_count(*f, kWhere, "max_connections", imap.max_connections);
  set_count(*f, kWhere, "max_connections_per_client", imap.max_connections_per_client);
  set_count(*f, kWhere, "max_connections_per_user", imap.max_connections_per_user);
  set_bool(*f, kWhere, "allow_below_rfc_minimums", imap.allow_below_rfc_minimums);
}

void SettingsReader::read_queue(const Value& v, QueueSettings& queue) {
  static constexpr std::string_view kWhere = "settings.queue";
  const auto f = optional_fields(v, kWhere, {"first_retry", "backoff", "max_interval", "lifetime"});
  if (!f) return;
  // RetryPolicy counts in whole seconds.
  const auto seconds = [&](const std::string& key, std::optional<std::chrono::seconds>& out) {
    std::optional<std::chrono::milliseconds> ms;
    set_duration(*f, kWhere, key, ms, true);
    if (ms) out = std::chrono::duration_cast<std::chrono::seconds>(*ms);
  };
  seconds("first_retry", queue.first_retry);
  seconds("max_interval", queue.max_interval);
  seconds("lifetime", queue.lifetime);
  if (const Value* backoff = optional(*f, "backoff")) {
    if (auto x = real_of(*backoff, "settings.queue.backoff")) {
      if (*x >= 1) {
        queue.backoff = *x;
      } else {
        error(backoff->at, fmt::format("settings.queue.backoff must be at least 1 (1 retries at a fixed "
                                       "interval), got '{}'",
                                       backoff->node.Scalar()));
      }
    }
  }
}

}  // namespace mailflow::sim
