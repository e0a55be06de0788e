// The YAML world loader. Two passes: the first reads each section into World values,
// remembering where every value came from; the second checks what only the whole world can
// tell (duplicates, MX targets, domains of hosts and users, ports that collide). Errors are
// collected, never thrown, and sorted into document order at the end.
// The format is documented in scenarios/worlds/README.md; keep the two in step.
#include "sim/world_loader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "sim/ascii.hpp"
#include "sim/clock.hpp"
#include "sim/world_settings_reader.hpp"
#include "sim/yaml_reader.hpp"

namespace mailflow::sim {
namespace {

// A world file is a handful of lines; the bound keeps a stray multi-gigabyte path harmless.
constexpr std::uintmax_t kMaxWorldFileBytes = 4 * 1024 * 1024;
// RFC 2181 §8: a TTL is an unsigned 31-bit number of seconds.
constexpr std::uint64_t kMaxTtl = 2147483647;
constexpr std::uint64_t kMaxPort = 65535;

using yaml::Field;
using yaml::Fields;
using yaml::Value;
using yaml::Where;
using yaml::describe;
using yaml::parse_digits;
using yaml::where_of;

bool is_ipv4(std::string_view text) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    std::uint64_t value = 0;
    // Leading zeros are refused: inet_aton would read "010" as octal 8.
    if (part.size() > 3 || !parse_digits(part, value) || value > 255 || (part.size() > 1 && part[0] == '0'))
      return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

bool is_ipv6(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// RFC 1035 §2.3.1 preferred syntax, plus '_' for service labels such as _dmarc.
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_inside(std::string_view name, std::string_view domain) {
  return name == domain ||
         (name.size() > domain.size() && name.ends_with(domain) && name[name.size() - domain.size() - 1] == '.');
}

// RFC 5322 §3.2.3 dot-atom: atext characters, dots only between them.
bool is_local_part(std::string_view local) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  if (local.find("..") != std::string_view::npos) return false;
  return std::all_of(local.begin(), local.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

std::string service_list() {
  std::string out;
  for (Service s : kAllServices) out += (out.empty() ? "" : ", ") + std::string(service_name(s));
  return out;
}

// Where each value of the world came from, for the second pass's messages.
struct HostSource {
  Where item, name, domain, address;
  bool domain_given = false;  // a 'domain' key was written, even if its value was bad
  std::vector<Where> services;  // parallel to Host::services
};
struct UserSource {
  Where item, address, login;
};
struct MxSource {
  std::string domain;
  Where host;
};

class WorldReader : public yaml::Reader {
 public:
  using yaml::Reader::Reader;

  std::vector<WorldError> read(const YAML::Node& root) {
    read_top(Value{root, where_of(root)});
    check_hosts();
    check_users();
    check_mx();
    return take_errors();
  }

  World take_world() { return std::move(world_); }

 private:

  // A DNS name as a world writes it: canonical, and checked against RFC 1035 syntax.
  std::optional<std::string> name_of(const Value& v, std::string_view what) {
    auto text = string_of(v, what);
    if (!text) return std::nullopt;
    std::string name = canonical_name(*text);
    if (!is_dns_name(name)) {
      error(v.at, fmt::format("{} '{}' is not a valid DNS name", what, *text));
      return std::nullopt;
    }
    return name;
  }


  void read_top(const Value& root) {
    if (root.node.IsNull()) {
      error({}, "the world file is empty: expected a map with keys name, port_offset, domains, hosts, users, "
                "settings");
      return;
    }
    const auto f = fields(root, "the world", {"name", "port_offset", "domains", "hosts", "users", "settings"});
    if (!f) return;
    if (const Value* v = optional(*f, "name")) {
      if (auto name = string_of(*v, "name")) world_.name = *name;
    }
    if (const Value* v = optional(*f, "port_offset")) {
      port_offset_at_ = v->at;
      if (auto n = number_of(*v, "port_offset", 0, kMaxPort)) world_.port_offset = static_cast<std::uint16_t>(*n);
    }
    if (const Value* v = optional(*f, "domains")) {
      for_each_item(*v, "domains", [this](const Value& item) { read_domain(item); });
    }
    hosts_key_at_ = root.at;
    if (const auto it = f->find("hosts"); it != f->end()) {
      hosts_key_at_ = it->second.key_at;
      const std::size_t errors_before = error_count();
      for_each_item(it->second.value, "hosts", [this](const Value& item) { read_host(item); });
      hosts_complete_ = error_count() == errors_before;
    }
    if (const Value* v = optional(*f, "users")) {
      for_each_item(*v, "users", [this](const Value& item) { read_user(item); });
    }
    if (const Value* v = optional(*f, "settings")) {
      SettingsReader settings(file());
      settings.read(*v, world_.settings);
      add_errors(settings.take_errors());
    }
  }

  void read_domain(const Value& item) {
    const auto f = fields(item, "domain", {"name", "ttl", "mx", "records"});
    if (!f) return;
    Domain domain;
    const Value* name = required(*f, item, "domain", "name");
    if (!name) return;
    const auto parsed = name_of(*name, "domain name");
    if (!parsed) return;
    domain.name = *parsed;
    if (const auto [it, inserted] = domain_lines_.emplace(domain.name, item.at.line); !inserted) {
      error(name->at, fmt::format("duplicate domain {} (first defined at line {})", domain.name, it->second));
      return;
    }
    if (const Value* v = optional(*f, "ttl")) {
      if (auto ttl = number_of(*v, "ttl", 0, kMaxTtl)) domain.ttl = static_cast<std::uint32_t>(*ttl);
    }
    if (const Value* v = optional(*f, "mx")) {
      for_each_item(*v, "mx", [&](const Value& mx_item) { read_mx(mx_item, domain); });
    }
    if (const Value* v = optional(*f, "records")) {
      for_each_item(*v, "records", [&](const Value& record_item) { read_record(record_item, domain); });
    }
    world_.domains.push_back(std::move(domain));
  }

  void read_mx(const Value& item, Domain& domain) {
    const auto f = fields(item, "mx entry", {"host", "preference"});
    if (!f) return;
    MxRecord mx;
    if (const Value* v = optional(*f, "preference")) {
      if (auto n = number_of(*v, "mx preference", 0, kMaxPort)) mx.preference = static_cast<std::uint16_t>(*n);
    }
    const Value* host = required(*f, item, "mx entry", "host");
    if (!host) return;
    const auto name = name_of(*host, "mx host");
    if (!name) return;
    mx.host = *name;
    mx_sources_.push_back({domain.name, host->at});
    domain.mx.push_back(std::move(mx));
  }

  void read_record(const Value& item, Domain& domain) {
    const auto f = fields(item, "record", {"name", "type", "value", "ttl"});
    if (!f) return;
    DnsRecordSpec record;
    record.ttl = domain.ttl;
    const Value* name = required(*f, item, "record", "name");
    const Value* type = required(*f, item, "record", "type");
    const Value* value = required(*f, item, "record", "value");
    if (const Value* v = optional(*f, "ttl")) {
      if (auto ttl = number_of(*v, "ttl", 0, kMaxTtl)) record.ttl = static_cast<std::uint32_t>(*ttl);
    }
    if (!name || !type || !value) return;
    const auto owner = name_of(*name, "record name");
    if (owner && !is_inside(*owner, domain.name)) {
      error(name->at, fmt::format("record name {} is not inside domain {}", *owner, domain.name));
    }
    const auto type_text = string_of(*type, "record type");
    const auto value_text = string_of(*value, "record value");
    if (!owner || !type_text || !value_text) return;
    record.name = *owner;
    record.type = *type_text;
    for (char& c : record.type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto normalized = record_value(record.type, *value_text, *type, *value);
    if (!normalized) return;
    record.value = *normalized;
    domain.records.push_back(std::move(record));
  }

  // Checks a record's value against its type and returns it in canonical presentation form.
  std::optional<std::string> record_value(const std::string& type, const std::string& text, const Value& type_at,
                                          const Value& value_at) {
    const auto bad = [&](std::string_view expected) {
      error(value_at.at, fmt::format("{} record value '{}' is not {}", type, text, expected));
      return std::nullopt;
    };
    if (type == "A") return is_ipv4(text) ? std::optional(text) : bad("an IPv4 address");
    if (type == "AAAA") return is_ipv6(text) ? std::optional(text) : bad("an IPv6 address");
    if (type == "TXT") return text;
    if (type == "NS" || type == "CNAME" || type == "PTR") {
      const std::string target = canonical_name(text);
      return is_dns_name(target) ? std::optional(target) : bad("a DNS name");
    }
    if (type == "MX") {
      std::istringstream in(text);
      std::string preference, host, extra;
      in >> preference >> host >> extra;
      std::uint64_t n = 0;
      const std::string target = canonical_name(host);
      if (!parse_digits(preference, n) || n > kMaxPort || !is_dns_name(target) || !extra.empty())
        return bad("'preference host', such as '10 mx.beta.test'");
      return fmt::format("{} {}", n, target);
    }
    error(type_at.at, fmt::format("unknown record type '{}' (known: A, AAAA, MX, NS, TXT, CNAME, PTR)", type));
    return std::nullopt;
  }

  void read_host(const Value& item) {
    const auto f = fields(item, "host", {"name", "domain", "address", "services"});
    if (!f) return;
    Host host;
    HostSource source{item.at, {}, {}, {}, {}};
    const Value* name = required(*f, item, "host", "name");
    const Value* address = required(*f, item, "host", "address");
    if (const Value* v = optional(*f, "domain")) {
      source.domain = v->at;
      source.domain_given = true;
      if (auto domain = name_of(*v, "host domain")) host.domain = *domain;
    }
    if (address) {
      source.address = address->at;
      if (auto text = string_of(*address, "host address")) {
        if (!is_ipv4(*text)) {
          error(address->at, fmt::format("host address '{}' is not an IPv4 address", *text));
        } else if (!text->starts_with("127.")) {
          error(address->at, fmt::format("host address {} is not a loopback address: the lab only listens "
                                         "on 127.0.0.0/8",
                                         *text));
        } else {
          host.address = *text;
        }
      }
    }
    if (const Value* v = optional(*f, "services")) read_services(*v, host, source);
    if (!name) return;
    const auto parsed = name_of(*name, "host name");
    if (!parsed) return;
    host.name = *parsed;
    source.name = name->at;
    if (!optional(*f, "domain")) source.domain = name->at;
    world_.hosts.push_back(std::move(host));
    host_sources_.push_back(std::move(source));
  }

  // services: [smtp, imap] or { smtp: 2525, imap: } (a null port means standard + offset).
  void read_services(const Value& v, Host& host, HostSource& source) {
    const auto add = [&](const YAML::Node& name_node, Where at, std::optional<std::uint16_t> port) {
      if (!name_node.IsScalar()) {
        error(at, fmt::format("a service must be a name, got {}", describe(name_node)));
        return;
      }
      const auto service = service_from_name(name_node.Scalar());
      if (!service) {
        error(at, fmt::format("unknown service '{}' (known: {})", name_node.Scalar(), service_list()));
      } else if (host.serves(*service)) {
        error(at, fmt::format("service {} is listed twice", service_name(*service)));
      } else {
        host.services.push_back({*service, port});
        source.services.push_back(at);
      }
    };
    if (v.node.IsSequence()) {
      for_each_item(v, "services", [&](const Value& item) { add(item.node, item.at, std::nullopt); });
    } else if (v.node.IsMap()) {
      for (auto it = v.node.begin(); it != v.node.end(); ++it) {
        const Where key_at = where_of(it->first);
        std::optional<std::uint16_t> port;
        if (!it->second.IsNull()) {
          const std::string what = fmt::format("port of {}", describe(it->first));
          const auto n = number_of(Value{it->second, where_of(it->second)}, what, 1, kMaxPort);
          if (!n) continue;
          port = static_cast<std::uint16_t>(*n);
        }
        add(it->first, key_at, port);
      }
    } else if (!v.node.IsNull()) {
      error(v.at, fmt::format("services must be a list of names or a map of name to port, got {}",
                              describe(v.node)));
    }
  }

  void read_user(const Value& item) {
    const auto f = fields(item, "user", {"address", "login", "password", "quota"});
    if (!f) return;
    User user;
    UserSource source{item.at, {}, {}};
    const Value* address = required(*f, item, "user", "address");
    const Value* password = required(*f, item, "user", "password");
    if (password) {
      if (auto text = string_of(*password, "password")) user.password = *text;
    }
    if (const Value* v = optional(*f, "quota")) read_quota(*v, user.quota);
    std::optional<std::string> login;
    if (const Value* v = optional(*f, "login")) {
      source.login = v->at;
      login = string_of(*v, "login");
      if (!login) return;
    }
    if (!address) return;
    const auto text = string_of(*address, "user address");
    if (!text) return;
    const auto at = text->find('@');
    if (at == std::string::npos || text->find('@', at + 1) != std::string::npos ||
        !is_local_part(text->substr(0, at)) || !is_dns_name(canonical_name(text->substr(at + 1)))) {
      error(address->at, fmt::format("malformed user address '{}': expected local-part@domain, "
                                     "such as bob@beta.test",
                                     *text));
      return;
    }
    user.address = text->substr(0, at) + "@" + canonical_name(text->substr(at + 1));
    user.login = login.value_or(user.address);
    source.address = address->at;
    if (!login) source.login = address->at;
    world_.users.push_back(std::move(user));
    user_sources_.push_back(source);
  }

  void read_quota(const Value& v, Quota& quota) {
    const auto f = fields(v, "quota", {"bytes", "messages", "temporary"});
    if (!f) return;
    if (const Value* bytes = optional(*f, "bytes")) {
      if (auto n = size_of(*bytes, "quota bytes", 0, UINT64_MAX)) quota.bytes = *n;
    }
    if (const Value* messages = optional(*f, "messages")) {
      if (auto n = number_of(*messages, "quota messages", 0, UINT32_MAX)) quota.messages = *n;
    }
    if (const Value* temporary = optional(*f, "temporary")) {
      if (auto flag = bool_of(*temporary, "quota temporary")) quota.temporary = *flag;
    }
  }

  // Second pass: domains of hosts, duplicate names and addresses, ports, the DNS server.
  void check_hosts() {
    std::map<std::string, std::size_t> by_name, by_address;
    std::map<std::pair<std::string, std::uint16_t>, std::pair<std::size_t, Service>> by_endpoint;
    std::optional<std::pair<std::size_t, Service>> highest_offset_port;
    for (std::size_t i = 0; i < world_.hosts.size(); ++i) {
      Host& host = world_.hosts[i];
      const HostSource& source = host_sources_[i];
      check_host_domain(host, source);
      if (const auto [it, inserted] = by_name.emplace(host.name, i); !inserted) {
        error(source.name, fmt::format("duplicate host name {} (first defined at line {})", host.name,
                                       host_sources_[it->second].item.line));
      }
      if (host.address.empty()) continue;
      if (const auto [it, inserted] = by_address.emplace(host.address, i); !inserted) {
        error(source.address, fmt::format("duplicate host address {} (also used by {} at line {})", host.address,
                                          world_.hosts[it->second].name, host_sources_[it->second].item.line));
        continue;  // its ports would only repeat the same mistake
      }
      for (std::size_t s = 0; s < host.services.size(); ++s) {
        const Service service = host.services[s].service;
        const std::uint32_t port = host.services[s].port ? *host.services[s].port
                                                         : std::uint32_t{world_.port_offset} + standard_port(service);
        if (!host.services[s].port &&
            (!highest_offset_port || standard_port(service) > standard_port(highest_offset_port->second))) {
          highest_offset_port = {i, service};
        }
        if (port > kMaxPort) continue;  // reported once, at port_offset
        const auto key = std::pair{host.address, static_cast<std::uint16_t>(port)};
        if (const auto [it, inserted] = by_endpoint.emplace(key, std::pair{i, service}); !inserted) {
          const Host& first = world_.hosts[it->second.first];
          error(source.services[s],
                fmt::format("{} would listen on {}:{}, already taken by {} on {} (line {})", service_name(service),
                            host.address, port, service_name(it->second.second), first.name,
                            host_sources_[it->second.first].item.line));
        }
      }
    }
    if (highest_offset_port) {
      const auto [i, service] = *highest_offset_port;
      const std::uint32_t port = std::uint32_t{world_.port_offset} + standard_port(service);
      if (port > kMaxPort) {
        error(port_offset_at_, fmt::format("port_offset {} is too large: {} on {} would listen on port {}, "
                                           "above 65535",
                                           world_.port_offset, service_name(service), world_.hosts[i].name, port));
      }
    }
    // A host dropped for another error may have been the DNS server: say nothing then.
    if (hosts_complete_ && !world_.domains.empty() && !world_.dns_host()) {
      error(hosts_key_at_, "no host serves dns: a world with domains needs one host with 'dns' in its services "
                           "to answer for them");
    }
  }

  // An explicit domain must exist and contain the host; otherwise the longest domain the
  // name ends with is the host's, so ns.lab.test lands in lab.test even beside a zone "test".
  void check_host_domain(Host& host, const HostSource& source) {
    if (source.domain_given && host.domain.empty()) return;  // already reported as a bad name
    if (!host.domain.empty()) {
      if (!world_.find_domain(host.domain)) {
        error(source.domain, fmt::format("host {} is in unknown domain {}", host.name, host.domain));
      } else if (!is_inside(host.name, host.domain)) {
        error(source.domain, fmt::format("host {} is not inside its domain {}", host.name, host.domain));
      }
      return;
    }
    for (const Domain& domain : world_.domains) {
      if (is_inside(host.name, domain.name) && domain.name.size() > host.domain.size()) host.domain = domain.name;
    }
    if (host.domain.empty()) {
      error(source.name, fmt::format("cannot tell which domain host {} belongs to: no domain of the world "
                                     "contains it (add the domain, or give the host a 'domain')",
                                     host.name));
    }
  }

  void check_users() {
    std::map<std::string, std::size_t> by_address, by_login;
    for (std::size_t i = 0; i < world_.users.size(); ++i) {
      const User& user = world_.users[i];
      const UserSource& source = user_sources_[i];
      if (!world_.find_domain(user.domain())) {
        error(source.address, fmt::format("user {} is in unknown domain {}", user.address, user.domain()));
      }
      if (const auto [it, inserted] = by_address.emplace(lower_ascii(user.address), i); !inserted) {
        error(source.address, fmt::format("duplicate user address {} (first defined at line {})", user.address,
                                          user_sources_[it->second].item.line));
        continue;  // a defaulted login would repeat the same mistake
      }
      if (const auto [it, inserted] = by_login.emplace(lower_ascii(user.login), i); !inserted) {
        error(source.login, fmt::format("duplicate login {} (also used by {} at line {})", user.login,
                                        world_.users[it->second].address, user_sources_[it->second].item.line));
      }
    }
  }

  // The mx lists must lead somewhere; free-form MX records are left alone so scenarios can
  // break things on purpose.
  void check_mx() {
    std::size_t next = 0;
    for (const Domain& domain : world_.domains) {
      for (const MxRecord& mx : domain.mx) {
        const MxSource& source = mx_sources_[next++];
        if (world_.find_host(mx.host) || has_a_record(mx.host)) continue;
        error(source.host, fmt::format("MX of {} points nowhere: {} is neither a host of the world nor an A "
                                       "record",
                                       domain.name, mx.host));
      }
    }
  }

  bool has_a_record(const std::string& name) const {
    for (const Domain& domain : world_.domains) {
      for (const DnsRecordSpec& record : domain.records) {
        if (record.type == "A" && record.name == name) return true;
      }
    }
    return false;
  }

  World world_;
  std::map<std::string, int> domain_lines_;
  std::vector<HostSource> host_sources_;
  std::vector<UserSource> user_sources_;
  std::vector<MxSource> mx_sources_;  // in the order of the domains' mx lists
  Where hosts_key_at_{1, 1};
  bool hosts_complete_ = true;
  Where port_offset_at_{1, 1};
};

WorldLoadResult failed(std::vector<WorldError> errors) {
  WorldLoadResult result;
  result.errors = std::move(errors);
  return result;
}

}  // namespace

WorldLoadResult load_world_string(std::string_view yaml, std::string file_name) {
  yaml::Document doc = yaml::load_document(yaml, file_name, "a world file");
  if (!doc.root) return failed(std::move(doc.errors));
  try {
    WorldReader reader(file_name);
    WorldLoadResult result;
    result.errors = reader.read(*doc.root);
    if (result.errors.empty()) result.world = reader.take_world();
    return result;
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    return failed({WorldError{file_name, line, line == 0 ? 0 : e.mark.column + 1, "YAML syntax error: " + e.msg}});
  } catch (const std::exception& e) {
    return failed({WorldError{file_name, 0, 0, std::string("cannot load the world: ") + e.what()}});
  }
}

WorldLoadResult load_world_file(const std::string& path) {
  std::vector<WorldError> errors;
  auto text = yaml::read_text_file(path, kMaxWorldFileBytes, "a world file", errors);
  if (!text) return failed(std::move(errors));
  return load_world_string(*text, path);
}

}  // namespace mailflow::sim
