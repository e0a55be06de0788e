// The built-in clients' settings and the client-settings faults: see client_settings.hpp.
#include "servers/client_settings.hpp"

#include <fmt/format.h>

#include <chrono>

#include "servers/dns/dns_resolver.hpp"
#include "servers/lab.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mailflow {

namespace {

using namespace std::chrono_literals;

sim::Protocol protocol_of(sim::Service service) {
  switch (service) {
    case sim::Service::Pop3:
    case sim::Service::Pop3s: return sim::Protocol::Pop3;
    case sim::Service::Imap:
    case sim::Service::Imaps: return sim::Protocol::Imap;
    default: return sim::Protocol::Smtp;
  }
}

// A port as lessons name it ("25") on this server: the world's port of the host's service
// with that standard port, else the standard number plus the world's offset, so "25"
// reaches whatever the lab runs (or does not run) there.
std::uint16_t real_port(const sim::World& world, const std::string& server, std::uint16_t lesson_port) {
  if (const sim::Host* host = world.find_host(sim::canonical_name(server))) {
    for (const auto& endpoint : host->services) {
      if (sim::standard_port(endpoint.service) == lesson_port) return world.port_of(*host, endpoint.service);
    }
  }
  return static_cast<std::uint16_t>(lesson_port + world.port_offset);
}

std::string describe_change(const sim::FaultHit& hit, const ClientSettings& before, const ClientSettings& after) {
  switch (hit.kind) {
    case sim::FaultKind::WrongPort: return fmt::format("dials port {} instead of {}", after.lesson_port, before.lesson_port);
    case sim::FaultKind::ServerNameTypo: return fmt::format("dials {} instead of {}", after.server, before.server);
    case sim::FaultKind::WrongPassword: return "sends a wrong password";
    case sim::FaultKind::NoTls: return fmt::format("connects without TLS, to port {}", after.lesson_port);
    default: return "changes nothing";
  }
}

}  // namespace

ClientSettings client_settings(Lab& lab, const sim::Actor& actor, sim::Service plain, sim::Service implicit_tls,
                               const std::string& sender, const std::string& recipient) {
  const sim::World& world = lab.served_world();
  ClientSettings settings;
  settings.server = actor.server;
  settings.tls = actor.tls;
  settings.login = actor.login;
  settings.password = actor.password;
  const sim::Service service = actor.tls == sim::TlsMode::Implicit ? implicit_tls : plain;
  settings.lesson_port = actor.port.value_or(sim::standard_port(service));
  const ClientSettings declared = settings;

  sim::FaultAttempt attempt;
  attempt.client = actor.name;
  attempt.sender = sender;
  attempt.recipient = recipient;
  attempt.since_start = lab.lab_time();
  auto hit = lab.faults().check(sim::FaultPoint::ClientSettings, sim::canonical_name(actor.server), attempt);
  if (hit) {
    switch (hit->kind) {
      case sim::FaultKind::WrongPort:
        if (hit->params.port) settings.lesson_port = *hit->params.port;
        break;
      case sim::FaultKind::ServerNameTypo: settings.server = hit->params.value; break;
      case sim::FaultKind::WrongPassword:
        settings.password = hit->params.value.empty() ? "not-" + actor.password : hit->params.value;
        break;
      case sim::FaultKind::NoTls:
        settings.tls = sim::TlsMode::None;
        if (!actor.port) settings.lesson_port = sim::standard_port(plain);
        break;
      default: break;
    }
    settings.fault = hit;
    lab.bus().publish(sim::Event{.host = actor.name,
                                 .protocol = protocol_of(plain),
                                 .kind = sim::EventKind::Fault,
                                 .line = fmt::format("fault '{}' ({}): {} {}", hit->name, sim::fault_info(hit->kind).name,
                                                     actor.name, describe_change(*hit, declared, settings))});
  }
  settings.port = real_port(world, settings.server, settings.lesson_port);
  return settings;
}

ResolvedServer resolve_server(Lab& lab, const std::string& actor, const std::string& server) {
  ResolvedServer resolved;
  auto name = dns::DnsName::parse(server);
  if (!name) {
    resolved.problem = fmt::format("{}: not a valid host name", server);
    return resolved;
  }
  auto dns = lab.dns_endpoint();
  if (!dns) {
    // A world without a DNS host: the client knows the lab's hosts as /etc/hosts would.
    if (const sim::Host* host = lab.served_world().find_host(sim::canonical_name(server))) {
      resolved.address = net::asio::ip::make_address(host->address);
    } else {
      resolved.problem = fmt::format("{}: unknown host (the lab has no DNS server)", server);
    }
    return resolved;
  }
  dns::ResolverOptions options;
  options.server = *dns;
  options.timeout = 1000ms;
  net::asio::io_context io;
  dns::Resolver resolver(io.get_executor(), options, &lab.bus(), actor);
  std::optional<std::pair<dns::LookupStatus, std::vector<net::asio::ip::address>>> answer;
  auto run = [&]() -> net::awaitable<void> { answer = co_await resolver.resolve_addresses(*name); };
  net::asio::co_spawn(io, run(), net::asio::detached);
  io.run_for(20s);
  if (!answer) {
    resolved.problem = fmt::format("{}: the DNS look-up did not finish", server);
  } else if (answer->first == dns::LookupStatus::Ok && !answer->second.empty()) {
    resolved.address = answer->second.front();
  } else if (answer->first == dns::LookupStatus::NxDomain || answer->first == dns::LookupStatus::Refused) {
    // The lab's DNS stands for the whole internet's: a name outside its zones (REFUSED,
    // "not my zone") does not exist anywhere, which a real resolver reports as NXDOMAIN.
    resolved.problem = fmt::format("{}: NXDOMAIN, the server name does not resolve", server);
  } else {
    resolved.problem = fmt::format("{}: {}, the server name has no address", server, dns::lookup_status_name(answer->first));
  }
  return resolved;
}

}  // namespace mailflow
