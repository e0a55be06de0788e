// Starting and stopping the lab's servers, and the ready file.
#include "servers/lab.hpp"

#include <fmt/format.h>

#include <fstream>

namespace mailflow {

bool lab_implements(sim::Service service) { return service == sim::Service::Dns; }

namespace {

sim::World only_implemented(sim::World world) {
  for (auto& host : world.hosts) {
    std::erase_if(host.services, [](const sim::ServiceEndpoint& e) { return !lab_implements(e.service); });
  }
  return world;
}

}  // namespace

Lab::Lab(sim::World world, LabOptions options)
    : world_(std::move(world)), served_(only_implemented(world_)), options_(std::move(options)) {}

Lab::~Lab() {
  stop();
  io_.restart();
  io_.poll();  // let the sessions see their sockets closed and release themselves
  bus_.flush();
}

void Lab::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (ec) throw LabError(fmt::format("cannot create the state directory {}: {}", options_.state_dir.string(), ec.message()));

  if (!options_.trace_file.empty()) {
    auto path = options_.trace_file.is_absolute() ? options_.trace_file : options_.state_dir / options_.trace_file;
    try {
      trace_ = std::make_unique<sim::TraceWriter>(bus_, path);
    } catch (const std::exception& e) {
      throw LabError(fmt::format("cannot open the trace file {}: {}", path.string(), e.what()));
    }
  }

  store_ = std::make_unique<sim::MaildirStore>(options_.state_dir / "mail");
  for (const auto& user : world_.users) {
    try {
      mailboxes_.push_back(store_->open(user.address, user.quota));
    } catch (const std::exception& e) {
      throw LabError(fmt::format("cannot create the mailbox of {}: {}", user.address, e.what()));
    }
  }

  if (auto problem = options_.dns_limits.verify(); !problem.empty()) throw LabError("DNS limits: " + problem);
  auto authority = std::make_shared<const dns::Authority>(world_);
  for (const auto& host : served_.hosts) {
    if (!host.serves(sim::Service::Dns)) continue;
    std::uint16_t port = served_.port_of(host, sim::Service::Dns);
    boost::system::error_code parse_error;
    auto address = net::asio::ip::make_address(host.address, parse_error);
    if (parse_error) throw LabError(fmt::format("{}: invalid address {}", host.name, host.address));
    auto server = std::make_unique<dns::DnsServer>(io_, authority, &bus_, host.name, address, port, options_.dns_limits);
    try {
      server->start();
    } catch (const boost::system::system_error& e) {
      std::string hint = port < 1024 ? " (ports below 1024 need root; use a port offset such as --port-offset 10000)" : "";
      throw LabError(fmt::format("cannot listen for DNS on {}:{} ({}): {}{}", host.address, port, host.name,
                                 e.code().message(), hint));
    }
    dns_servers_.push_back(std::move(server));
  }
}

void Lab::run() { io_.run(); }

void Lab::stop() {
  net::asio::post(io_, [this] {
    for (auto& server : dns_servers_) server->stop();
  });
}

std::optional<net::udp::endpoint> Lab::dns_endpoint() const {
  if (dns_servers_.empty()) return std::nullopt;
  return dns_servers_.front()->udp_endpoint();
}

nlohmann::json Lab::ready_document() const {
  nlohmann::json doc;
  doc["world"] = world_.name;
  doc["state_dir"] = std::filesystem::absolute(options_.state_dir).string();
  if (auto dns = dns_endpoint()) {
    doc["dns"] = {{"address", dns->address().to_string()}, {"port", dns->port()}};
  } else {
    doc["dns"] = nullptr;
  }
  // TLS and the control API arrive with the SMTP and scenario servers; until then the
  // keys are present and null so readers can rely on the shape.
  doc["ca_file"] = nullptr;
  doc["control_url"] = nullptr;
  doc["trace_file"] = trace_ ? nlohmann::json(std::filesystem::absolute(trace_->path()).string()) : nlohmann::json();
  doc["hosts"] = nlohmann::json::array();
  for (const auto& host : served_.hosts) {
    nlohmann::json ports = nlohmann::json::object();
    for (const auto& endpoint : host.services) {
      ports[std::string(sim::service_name(endpoint.service))] = served_.port_of(host, endpoint.service);
    }
    doc["hosts"].push_back({{"name", host.name}, {"domain", host.domain}, {"address", host.address}, {"ports", ports}});
  }
  doc["users"] = nlohmann::json::array();
  for (const auto& user : world_.users) {
    auto maildir = store_ ? store_->maildir_of(user.address) : std::nullopt;
    doc["users"].push_back({{"address", user.address},
                            {"login", user.login},
                            {"password", user.password},
                            {"maildir", maildir ? std::filesystem::absolute(*maildir).string() : ""}});
  }
  return doc;
}

void Lab::write_ready_file(const std::filesystem::path& path) const {
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << ready_document().dump(2) << "\n";
    out.flush();
    if (!out) throw LabError("cannot write the ready file " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw LabError(fmt::format("cannot write the ready file {}: {}", path.string(), ec.message()));
}

}  // namespace mailflow
