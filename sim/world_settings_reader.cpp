// The world's `settings:` section: see world_settings_reader.hpp.
#include "sim/world_settings_reader.hpp"

#include "sim/clock.hpp"

namespace mailflow::sim {

using yaml::Value;

namespace {
// RFC 6891 §6.2.3: the EDNS UDP payload size is a 16-bit field.
constexpr std::uint64_t kMaxUdpPayload = 65535;
}  // namespace

// One key of a settings section: how its value is read and which member it sets.
template <class Section>
struct SettingKey {
  enum class Kind { Count, Size, Seconds, Duration, Flag };
  // A count (at least 1) or a size in octets up to `max`.
  SettingKey(std::string name, std::optional<std::size_t> Section::*member, std::uint64_t max = 0)
      : name(std::move(name)), kind(max ? Kind::Size : Kind::Count), number(member), max(max) {}
  // A duration ("30s", "250ms"); `whole_seconds` where the server counts seconds.
  SettingKey(std::string name, std::optional<std::chrono::milliseconds> Section::*member, bool whole_seconds)
      : name(std::move(name)), kind(whole_seconds ? Kind::Seconds : Kind::Duration), duration(member) {}
  SettingKey(std::string name, std::optional<bool> Section::*member)
      : name(std::move(name)), kind(Kind::Flag), flag(member) {}

  std::string name;
  Kind kind;
  std::optional<std::size_t> Section::*number = nullptr;
  std::optional<std::chrono::milliseconds> Section::*duration = nullptr;
  std::optional<bool> Section::*flag = nullptr;
  std::uint64_t max = 0;
};

template <class Section>
void SettingsReader::read_section(const Value& v, std::string_view where, const std::vector<SettingKey<Section>>& keys,
                                  Section& section) {
  std::vector<std::string_view> names;
  for (const auto& key : keys) names.push_back(key.name);
  const auto f = optional_fields(v, where, names);
  if (!f) return;
  using Kind = typename SettingKey<Section>::Kind;
  for (const auto& key : keys) {
    switch (key.kind) {
      case Kind::Count: set_count(*f, where, key.name, section.*key.number); break;
      case Kind::Size: set_size(*f, where, key.name, section.*key.number, key.max); break;
      case Kind::Seconds: set_duration(*f, where, key.name, section.*key.duration, true); break;
      case Kind::Duration: set_duration(*f, where, key.name, section.*key.duration, false); break;
      case Kind::Flag: set_bool(*f, where, key.name, section.*key.flag); break;
    }
  }
}

// The servers' limits structs count their time-outs in whole seconds, except DNS's.
void SettingsReader::read_smtp(const Value& v, SmtpSettings& smtp) {
  using S = SmtpSettings;
  static const std::vector<SettingKey<S>> keys{
      {"command_line", &S::command_line, SIZE_MAX},
      {"text_line", &S::text_line, SIZE_MAX},
      {"max_recipients", &S::max_recipients},
      {"max_message_bytes", &S::max_message_bytes, SIZE_MAX},
      {"max_errors", &S::max_errors},
      {"max_connections", &S::max_connections},
      {"max_connections_per_client", &S::max_connections_per_client},
      {"max_auth_failures", &S::max_auth_failures},
      {"idle_timeout", &S::idle_timeout, true},
      {"reject_bare_newlines", &S::reject_bare_newlines},
      {"allow_plaintext_auth", &S::allow_plaintext_auth},
      {"allow_below_rfc_minimums", &S::allow_below_rfc_minimums},
  };
  read_section(v, "settings.smtp", keys, smtp);
}

void SettingsReader::read_dns(const Value& v, DnsSettings& dns) {
  using S = DnsSettings;
  static const std::vector<SettingKey<S>> keys{
      {"udp_max_payload", &S::udp_max_payload, kMaxUdpPayload},
      {"max_tcp_connections", &S::max_tcp_connections},
      {"tcp_idle_timeout", &S::tcp_idle_timeout, false},
  };
  read_section(v, "settings.dns", keys, dns);
}

void SettingsReader::read_pop3(const Value& v, Pop3Settings& pop3) {
  using S = Pop3Settings;
  static const std::vector<SettingKey<S>> keys{
      {"command_line", &S::command_line, SIZE_MAX},
      {"idle_timeout", &S::idle_timeout, true},
      {"max_bad_commands", &S::max_bad_commands},
      {"max_auth_failures", &S::max_auth_failures},
      {"max_connections", &S::max_connections},
      {"max_connections_per_client", &S::max_connections_per_client},
      {"login_delay", &S::login_delay, true},
      {"allow_below_rfc_minimums", &S::allow_below_rfc_minimums},
  };
  read_section(v, "settings.pop3", keys, pop3);
}

void SettingsReader::read_imap(const Value& v, ImapSettings& imap) {
  using S = ImapSettings;
  static const std::vector<SettingKey<S>> keys{
      {"line_length", &S::line_length, SIZE_MAX},
      {"max_literal_bytes", &S::max_literal_bytes, SIZE_MAX},
      {"max_append_bytes", &S::max_append_bytes, SIZE_MAX},
      {"idle_timeout", &S::idle_timeout, true},
      {"login_timeout", &S::login_timeout, true},
      {"max_bad_commands", &S::max_bad_commands},
      {"max_auth_failures", &S::max_auth_failures},
      {"max_connections", &S::max_connections},
      {"max_connections_per_client", &S::max_connections_per_client},
      {"max_connections_per_user", &S::max_connections_per_user},
      {"allow_below_rfc_minimums", &S::allow_below_rfc_minimums},
  };
  read_section(v, "settings.imap", keys, imap);
}

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
