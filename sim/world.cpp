// The world model: service names and standard ports, look-ups by canonical name, the
// built-in default world (DESIGN.md "The simulated internet") and the endpoint table
// `mailflow serve` prints.
#include "sim/world.hpp"

#include "sim/ascii.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace mailflow::sim {
namespace {

struct ServiceInfo {
  Service service;
  std::string_view name;
  std::uint16_t port;
};

// One row per service, so names and ports cannot drift apart.
// RFC 5321 (25), RFC 6409 (587), RFC 8314 (465, 995, 993), RFC 1939 (110),
// RFC 9051 (143), RFC 1035 (53).
constexpr std::array<ServiceInfo, 8> kServiceTable{{
    {Service::Smtp, "smtp", 25},
    {Service::Submission, "submission", 587},
    {Service::Smtps, "smtps", 465},
    {Service::Pop3, "pop3", 110},
    {Service::Pop3s, "pop3s", 995},
    {Service::Imap, "imap", 143},
    {Service::Imaps, "imaps", 993},
    {Service::Dns, "dns", 53},
}};

const ServiceInfo& info(Service s) {
  for (const auto& row : kServiceTable) {
    if (row.service == s) return row;
  }
  return kServiceTable.front();  // unreachable for a valid enum value
}

Host make_host(std::string name, std::string domain, std::string address,
               std::initializer_list<Service> services) {
  Host host{std::move(name), std::move(domain), std::move(address), {}};
  for (Service s : services) host.services.push_back({s, std::nullopt});
  return host;
}

User make_user(std::string address, std::string password, Quota quota = {}) {
  std::string login = address;
  return User{std::move(address), std::move(login), std::move(password), quota};
}

}  // namespace

std::string_view service_name(Service s) { return info(s).name; }

std::optional<Service> service_from_name(std::string_view name) {
  const std::string wanted = lower_ascii(name);
  for (const auto& row : kServiceTable) {
    if (row.name == wanted) return row.service;
  }
  return std::nullopt;
}

std::uint16_t standard_port(Service s) { return info(s).port; }

bool Host::serves(Service s) const {
  return std::any_of(services.begin(), services.end(),
                     [s](const ServiceEndpoint& e) { return e.service == s; });
}

std::string User::local_part() const {
  const auto at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(0, at);
}

std::string User::domain() const {
  const auto at = address.rfind('@');
  return at == std::string::npos ? std::string{} : canonical_name(address.substr(at + 1));
}

std::uint16_t World::port_of(const Host& host, Service s) const {
  for (const auto& endpoint : host.services) {
    if (endpoint.service == s && endpoint.port) return *endpoint.port;
  }
  // The loader rejects offsets that overflow; a world built in code is trusted here.
  return static_cast<std::uint16_t>(port_offset + standard_port(s));
}

const Host* World::find_host(std::string_view name) const {
  const std::string wanted = canonical_name(name);
  for (const auto& host : hosts) {
    if (canonical_name(host.name) == wanted) return &host;
  }
  return nullptr;
}

const Domain* World::find_domain(std::string_view name) const {
  const std::string wanted = canonical_name(name);
  for (const auto& domain : domains) {
    if (canonical_name(domain.name) == wanted) return &domain;
  }
  return nullptr;
}

// Local parts are compared case-insensitively too: the lab never hosts two users whose
// addresses differ only in case (the loader rejects that), so this is never ambiguous.
const User* World::find_user_by_address(std::string_view address) const {
  const std::string wanted = lower_ascii(address);
  for (const auto& user : users) {
    if (lower_ascii(user.address) == wanted) return &user;
  }
  return nullptr;
}

const User* World::find_user_by_login(std::string_view login) const {
  const std::string wanted = lower_ascii(login);
  for (const auto& user : users) {
    if (lower_ascii(user.login) == wanted) return &user;
  }
  return nullptr;
}

const Host* World::dns_host() const {
  for (const auto& host : hosts) {
    if (host.serves(Service::Dns)) return &host;
  }
  return nullptr;
}

World default_world() {
  World world;
  world.name = "default";
  world.port_offset = 10000;

  // lab.test holds the lab's own infrastructure (the DNS server); it receives no mail.
  world.domains = {
      Domain{"lab.test", {}, {}, 300},
      Domain{"alpha.test", {MxRecord{"mx.alpha.test", 10}}, {}, 300},
      Domain{"beta.test", {MxRecord{"mx.beta.test", 10}}, {}, 300},
  };

  using enum Service;
  world.hosts = {
      make_host("ns.lab.test", "lab.test", "127.10.0.53", {Dns}),
      make_host("smtp.alpha.test", "alpha.test", "127.10.1.1", {Submission, Smtps}),
      make_host("mx.alpha.test", "alpha.test", "127.10.1.2", {Smtp}),
      make_host("mail.alpha.test", "alpha.test", "127.10.1.3", {Pop3, Pop3s, Imap, Imaps}),
      make_host("smtp.beta.test", "beta.test", "127.10.2.1", {Submission, Smtps}),
      make_host("mx.beta.test", "beta.test", "127.10.2.2", {Smtp}),
      make_host("mail.beta.test", "beta.test", "127.10.2.3", {Pop3, Pop3s, Imap, Imaps}),
  };

  // carol's mailbox is small on purpose: a few messages fill it, so the
  // "mailbox full" lesson needs no special setup.
  const Quota carol_quota{20 * 1024, 5, false};
  world.users = {
      make_user("alice@alpha.test", "alice-secret"),
      make_user("bob@beta.test", "bob-secret"),
      make_user("carol@beta.test", "carol-secret", carol_quota),
  };
  return world;
}

std::string canonical_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return lower_ascii(name);
}

std::string endpoint_table(const World& world) {
  using Row = std::array<std::string, 4>;
  const auto render = [](const std::vector<Row>& rows) {
    std::array<std::size_t, 4> width{};
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (row[i].empty() && i + 1 == row.size()) break;
        line += fmt::format("{:<{}}  ", row[i], width[i]);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  };

  std::vector<Row> hosts{{"HOST", "ADDRESS", "PORT", "SERVICE"}};
  for (const auto& host : world.hosts) {
    for (const auto& endpoint : host.services) {
      hosts.push_back({host.name, host.address, std::to_string(world.port_of(host, endpoint.service)),
                       std::string(service_name(endpoint.service))});
    }
  }
  std::vector<Row> users{{"USER", "LOGIN", "PASSWORD", ""}};
  for (const auto& user : world.users) users.push_back({user.address, user.login, user.password, ""});

  return render(hosts) + "\n" + render(users);
}

}  // namespace mailflow::sim
