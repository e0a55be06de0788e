// The `settings:` section of a world file (scenarios/worlds/README.md#settings): limits
// overriding the servers' defaults. Only what is nonsense for any server is refused here
// (zero, negative, out of type range); the RFC minimums are the servers' verify() to judge,
// once the lab applies the settings (apply_world_settings in servers/lab.hpp).
#pragma once

#include "sim/world.hpp"
#include "sim/yaml_reader.hpp"

namespace mailflow::sim {

template <class Section>
struct SettingKey;  // one key of a section (world_settings_reader.cpp)

class SettingsReader : public yaml::Reader {
 public:
  using yaml::Reader::Reader;
  void read(const yaml::Value& v, LabSettings& settings);

 private:
  void read_smtp(const yaml::Value& v, SmtpSettings& smtp);
  void read_dns(const yaml::Value& v, DnsSettings& dns);
  void read_pop3(const yaml::Value& v, Pop3Settings& pop3);
  void read_imap(const yaml::Value& v, ImapSettings& imap);
  void read_queue(const yaml::Value& v, QueueSettings& queue);
  template <class Section>
  void read_section(const yaml::Value& v, std::string_view where, const std::vector<SettingKey<Section>>& keys,
                    Section& section);
};

}  // namespace mailflow::sim
