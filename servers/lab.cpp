// Starting and stopping the lab's servers, and the ready file.
#include "servers/lab.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "servers/control/control_server.hpp"
#include "servers/net/tls.hpp"

namespace mailflow {

bool lab_implements(sim::Service service) {
  switch (service) {
    case sim::Service::Dns:
    case sim::Service::Smtp:
    case sim::Service::Submission:
    case sim::Service::Smtps:
    case sim::Service::Pop3:
    case sim::Service::Pop3s:
    case sim::Service::Imap:
    case sim::Service::Imaps:
      return true;
    default:
      return false;
  }
}

namespace {

sim::World only_implemented(sim::World world) {
  for (auto& host : world.hosts) {
    std::erase_if(host.services, [](const sim::ServiceEndpoint& e) { return !lab_implements(e.service); });
  }
  return world;
}

// Where a limit can be set, for the messages of a limit that fails its verify().
constexpr const char* kSmtpSource = "SMTP limits (settings.smtp in the world)";
constexpr const char* kDnsSource = "DNS limits (settings.dns in the world)";
constexpr const char* kPop3Source = "POP3 limits (settings.pop3 in the world)";
constexpr const char* kImapSource = "IMAP limits (settings.imap in the world)";
constexpr const char* kQueueSource = "queue retry policy (settings.queue in the world)";

std::unique_ptr<sim::ScaledClock> make_clock(double time_scale) {
  try {
    return std::make_unique<sim::ScaledClock>(time_scale);
  } catch (const std::invalid_argument&) {
    throw LabError(fmt::format("time scale (settings.time_scale in the world, or --time-scale) must be above 0 "
                               "and at most {}, got {}",
                               sim::ScaledClock::kMaxScale, time_scale));
  }
}

// Binds a mail server's listener, or says in a LabError which one could not and why.
template <class Server>
void start_listening(Server& server, sim::Service service, const sim::Host& host, std::uint16_t port) {
  try {
    server.start();
  } catch (const boost::system::system_error& e) {
    std::string hint = port < 1024 ? " (ports below 1024 need root; use a port offset such as --port-offset 10000)" : "";
    throw LabError(fmt::format("cannot listen for {} on {}:{} ({}): {}{}", sim::service_name(service), host.address, port,
                               host.name, e.code().message(), hint));
  }
}

template <typename T>
void copy_if_set(const std::optional<T>& from, T& to) {
  if (from) to = *from;
}

}  // namespace

void apply_world_settings(const sim::LabSettings& settings, LabOptions& options) {
  copy_if_set(settings.time_scale, options.time_scale);

  const sim::SmtpSettings& smtp = settings.smtp;
  smtp::SmtpLimits& limits = options.smtp_limits;
  copy_if_set(smtp.command_line, limits.command_line);
  copy_if_set(smtp.text_line, limits.text_line);
  copy_if_set(smtp.max_recipients, limits.max_recipients);
  copy_if_set(smtp.max_message_bytes, limits.max_message_bytes);
  copy_if_set(smtp.max_errors, limits.max_errors);
  copy_if_set(smtp.max_connections, limits.max_connections);
  copy_if_set(smtp.max_connections_per_client, limits.max_connections_per_client);
  copy_if_set(smtp.max_auth_failures, limits.max_auth_failures);
  // SmtpLimits counts in seconds; the loader only lets whole seconds through, and a
  // fraction set from code rounds up so a short timeout never becomes zero.
  if (smtp.idle_timeout) limits.idle_timeout = std::chrono::ceil<std::chrono::seconds>(*smtp.idle_timeout);
  copy_if_set(smtp.reject_bare_newlines, limits.reject_bare_newlines);
  copy_if_set(smtp.allow_below_rfc_minimums, limits.allow_below_rfc_minimums);
  copy_if_set(smtp.allow_plaintext_auth, options.allow_plaintext_auth);

  copy_if_set(settings.dns.udp_max_payload, options.dns_limits.udp_max_payload);
  copy_if_set(settings.dns.max_tcp_connections, options.dns_limits.max_tcp_connections);
  copy_if_set(settings.dns.tcp_idle_timeout, options.dns_limits.tcp_idle_timeout);

  const sim::Pop3Settings& pop3 = settings.pop3;
  pop3::Pop3Limits& pop3_limits = options.pop3_limits;
  copy_if_set(pop3.command_line, pop3_limits.command_line);
  if (pop3.idle_timeout) pop3_limits.idle_timeout = std::chrono::ceil<std::chrono::seconds>(*pop3.idle_timeout);
  copy_if_set(pop3.max_bad_commands, pop3_limits.max_bad_commands);
  copy_if_set(pop3.max_auth_failures, pop3_limits.max_auth_failures);
  copy_if_set(pop3.max_connections, pop3_limits.max_connections);
  copy_if_set(pop3.max_connections_per_client, pop3_limits.max_connections_per_client);
  if (pop3.login_delay) pop3_limits.login_delay = std::chrono::ceil<std::chrono::seconds>(*pop3.login_delay);
  copy_if_set(pop3.allow_below_rfc_minimums, pop3_limits.allow_below_rfc_minimums);

  const sim::ImapSettings& imap = settings.imap;
  imap::ImapLimits& imap_limits = options.imap_limits;
  copy_if_set(imap.line_length, imap_limits.line_length);
  copy_if_set(imap.max_literal_bytes, imap_limits.max_literal_bytes);
  copy_if_set(imap.max_append_bytes, imap_limits.max_append_bytes);
  if (imap.idle_timeout) imap_limits.idle_timeout = std::chrono::ceil<std::chrono::seconds>(*imap.idle_timeout);
  if (imap.login_timeout) imap_limits.login_timeout = std::chrono::ceil<std::chrono::seconds>(*imap.login_timeout);
  copy_if_set(imap.max_bad_commands, imap_limits.max_bad_commands);
  copy_if_set(imap.max_auth_failures, imap_limits.max_auth_failures);
  copy_if_set(imap.max_connections, imap_limits.max_connections);
  copy_if_set(imap.max_connections_per_client, imap_limits.max_connections_per_client);
  copy_if_set(imap.max_connections_per_user, imap_limits.max_connections_per_user);
  copy_if_set(imap.allow_below_rfc_minimums, imap_limits.allow_below_rfc_minimums);

  copy_if_set(settings.queue.first_retry, options.retry.first_retry);
  copy_if_set(settings.queue.backoff, options.retry.backoff);
  copy_if_set(settings.queue.max_interval, options.retry.max_interval);
  copy_if_set(settings.queue.lifetime, options.retry.lifetime);
}

Lab::Lab(sim::World world, LabOptions options)
    : world_(std::move(world)),
      served_(only_implemented(world_)),
      options_(std::move(options)),
      clock_(make_clock(options_.time_scale)) {}

Lab::~Lab() {
  stop();
  if (durable_writes_) durable_writes_->join();
  io_.restart();
  io_.poll();  // let the sessions see their sockets closed and release themselves
  bus_.flush();
}

std::chrono::milliseconds Lab::lab_time() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->now() - started_);
}

std::function<std::chrono::milliseconds()> Lab::lab_time_source() const {
  return [this] { return lab_time(); };
}

void Lab::faults_changed() {
  net::asio::post(io_, [this] {
    for (auto& server : smtp_servers_) server->faults_changed();
    for (auto& server : pop3_servers_) server->faults_changed();
    for (auto& server : imap_servers_) server->faults_changed();
  });
}

void Lab::start() {
  started_ = clock_->now();
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

  start_dns();
  start_smtp();
  start_pop3();
  start_imap();
  faults_.on_change([this] { faults_changed(); });
  start_control();
}

void Lab::start_dns() {
  if (auto problem = options_.dns_limits.verify(); !problem.empty()) throw LabError(fmt::format("{}: {}", kDnsSource, problem));
  auto authority = std::make_shared<const dns::Authority>(world_);
  {
    std::lock_guard lock(authority_mutex_);
    authority_ = authority;
  }
  for (const auto& host : served_.hosts) {
    if (!host.serves(sim::Service::Dns)) continue;
    std::uint16_t port = served_.port_of(host, sim::Service::Dns);
    auto address = address_of(host);
    auto server = std::make_unique<dns::DnsServer>(io_, authority, &bus_, host.name, address, port, options_.dns_limits);
    server->set_faults(&faults_, lab_time_source());
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
    for (auto& server : smtp_servers_) server->stop();
    for (auto& server : pop3_servers_) server->stop();
    for (auto& server : imap_servers_) server->stop();
    for (auto& relay : relays_) relay->stop();
    for (auto& server : dns_servers_) server->stop();
  });
  if (control_) control_->stop();
}

void Lab::advance_time(std::chrono::nanoseconds by) {
  clock_->advance(by);
  // The relays sleep towards their next retry in real time: wake them to look again.
  net::asio::post(io_, [this] {
    for (auto& relay : relays_) relay->wake();
  });
}

std::string Lab::new_journey_id() { return mail_ ? mail_->new_journey_id() : std::string(); }

std::filesystem::path Lab::ca_file() const { return ca_ ? ca_->ca_file() : std::filesystem::path(); }

void Lab::start_smtp() {
  if (auto problem = options_.smtp_limits.verify(); !problem.empty()) throw LabError(fmt::format("{}: {}", kSmtpSource, problem));
  if (auto problem = options_.retry.verify(); !problem.empty()) throw LabError(fmt::format("{}: {}", kQueueSource, problem));
  try {
    ca_ = net::LabCa::load_or_create(options_.state_dir / "tls");
    tls_fault_certificates_ = std::make_unique<net::TlsFaultCertificates>(*ca_);
  } catch (const std::exception& e) {
    throw LabError(fmt::format("cannot create the lab CA in {}: {}", (options_.state_dir / "tls").string(), e.what()));
  }
  mail_ = std::make_unique<LabMail>(world_, *store_, *clock_, &bus_);
  if (options_.durable_write_threads > 0) {
    durable_writes_ = std::make_unique<net::asio::thread_pool>(options_.durable_write_threads);
  }
  auto dns = dns_endpoint();
  net::TlsClientOptions client_options;
  client_options.ca_file = ca_->ca_file();
  auto client_tls = net::make_client_context(client_options);
  // The SMTP port of a mail host: its world port, or 25 + offset for an address the world
  // does not serve SMTP on (a foreign MX in a test, a dead host in a scenario).
  auto smtp_port = [this](const net::asio::ip::address& address) -> std::uint16_t {
    for (const auto& host : world_.hosts) {
      if (host.address == address.to_string() && host.serves(sim::Service::Smtp)) {
        return world_.port_of(host, sim::Service::Smtp);
      }
    }
    return static_cast<std::uint16_t>(sim::standard_port(sim::Service::Smtp) + world_.port_offset);
  };

  for (const auto& host : served_.hosts) {
    bool smtp_host = host.serves(sim::Service::Smtp) || host.serves(sim::Service::Submission) ||
                     host.serves(sim::Service::Smtps);
    if (!smtp_host) continue;
    auto address = address_of(host);
    auto server_tls = server_tls_of(host);

    // Every SMTP host has a queue and a relay: submission hosts for outgoing mail, MX
    // hosts for the bounces they send.
    try {
      queues_.push_back(std::make_unique<sim::MailQueue>(options_.state_dir / "queue" / host.name));
    } catch (const std::exception& e) {
      throw LabError(fmt::format("cannot create the queue of {}: {}", host.name, e.what()));
    }
    smtp::MailRelayConfig relay_config;
    relay_config.journeys = &journeys_;
    relay_config.host_name = host.name;
    relay_config.address = address;
    if (dns) relay_config.dns = *dns;
    relay_config.tls = client_tls;
    relay_config.timeouts = options_.relay_timeouts;
    relay_config.retry = options_.retry;
    relay_config.smtp_port = smtp_port;
    relays_.push_back(std::make_unique<smtp::MailRelay>(io_, relay_config, *queues_.back(), *clock_, &bus_));
    mail_->add_relay(host.name, relays_.back().get());

    for (auto service : {sim::Service::Smtp, sim::Service::Submission, sim::Service::Smtps}) {
      if (!host.serves(service)) continue;
      smtp::SmtpServerConfig config;
      config.role = service == sim::Service::Smtp         ? smtp::SmtpRole::Mx
                    : service == sim::Service::Submission ? smtp::SmtpRole::Submission
                                                          : smtp::SmtpRole::Smtps;
      config.host_name = host.name;
      config.address = address;
      config.port = served_.port_of(host, service);
      config.limits = options_.smtp_limits;
      config.allow_plaintext_auth = options_.allow_plaintext_auth;
      config.tls = server_tls;
      config.durable_writes = durable_writes_.get();
      config.journeys = &journeys_;
      config.faults = &faults_;
      config.lab_time = lab_time_source();
      config.tls_faults = tls_fault_certificates_.get();
      auto server = std::make_unique<smtp::SmtpServer>(io_, config, *mail_, &bus_);
      server->set_faults(&faults_, lab_time_source());
      start_listening(*server, service, host, config.port);
      smtp_servers_.push_back(std::move(server));
    }
  }
  for (auto& relay : relays_) relay->start();
}

// POP3 and IMAP servers take the same fields from their host; `finish` sets the
// protocol's own (limits, locks).
template <class Server, class Config, class Finish>
void Lab::start_mailbox_servers(sim::Service plain, sim::Service implicit_tls,
                                std::vector<std::unique_ptr<Server>>& servers, Finish finish) {
  if (!mailbox_services_) mailbox_services_ = std::make_unique<LabMailboxes>(world_, *store_, *mail_);
  for (const auto& host : served_.hosts) {
    for (auto service : {plain, implicit_tls}) {
      if (!host.serves(service)) continue;
      Config config;
      config.address = address_of(host);
      config.tls = server_tls_of(host);
      config.implicit_tls = service == implicit_tls;
      config.host_name = host.name;
      config.port = served_.port_of(host, service);
      config.allow_plaintext_auth = options_.allow_plaintext_auth;
      finish(config);
      auto server = std::make_unique<Server>(io_, config, *mailbox_services_, &bus_);
      server->set_faults(&faults_, lab_time_source());  // server_down, firewall_drop
      start_listening(*server, service, host, config.port);
      servers.push_back(std::move(server));
    }
  }
}

// Every host's POP3 (110) and POP3S (995) on the Maildir store the MX delivers into; one
// set of maildrop locks for all of them, so [IN-USE] holds across ports and hosts.
void Lab::start_pop3() {
  if (auto problem = options_.pop3_limits.verify(); !problem.empty()) throw LabError(fmt::format("{}: {}", kPop3Source, problem));
  auto locks = std::make_shared<pop3::MaildropLocks>();
  auto finish = [&](pop3::Pop3ServerConfig& config) {
    config.limits = options_.pop3_limits;
    config.locks = locks;
  };
  start_mailbox_servers<pop3::Pop3Server, pop3::Pop3ServerConfig>(sim::Service::Pop3, sim::Service::Pop3s,
                                                                  pop3_servers_, finish);
}

// Every host's IMAP (143) and IMAPS (993) on the same Maildir store. Deliveries wake the
// IDLE sessions of the recipient at once (RFC 2177) instead of at their next poll.
void Lab::start_imap() {
  if (auto problem = options_.imap_limits.verify(); !problem.empty()) throw LabError(fmt::format("{}: {}", kImapSource, problem));
  auto finish = [&](imap::ImapServerConfig& config) {
    config.limits = options_.imap_limits;
    config.durable_writes = durable_writes_.get();
  };
  start_mailbox_servers<imap::ImapServer, imap::ImapServerConfig>(sim::Service::Imap, sim::Service::Imaps,
                                                                  imap_servers_, finish);
  auto arrived = [this](const std::string& address, const std::string& folder) { mail_arrived(address, folder); };
  mail_->on_delivered(arrived);
}

void Lab::mail_arrived(const std::string& address, const std::string& folder) {
  // Deliveries run on the durable-write threads; the IMAP servers live on the io thread.
  net::asio::post(io_, [this, address, folder] {
    for (auto& server : imap_servers_) server->mailbox_changed(address, folder, nullptr);
  });
}

net::asio::ip::address Lab::address_of(const sim::Host& host) const {
  boost::system::error_code parse_error;
  auto address = net::asio::ip::make_address(host.address, parse_error);
  if (parse_error) throw LabError(fmt::format("{}: invalid address {}", host.name, host.address));
  return address;
}

std::shared_ptr<net::asio::ssl::context> Lab::server_tls_of(const sim::Host& host) {
  auto& tls = server_tls_[host.name];
  if (tls) return tls;
  try {
    tls = net::make_server_context(ca_->host_certificate(host.name, host.address), ca_->ca_file());
  } catch (const std::exception& e) {
    server_tls_.erase(host.name);
    throw LabError(fmt::format("cannot make the TLS certificate of {}: {}", host.name, e.what()));
  }
  return tls;
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
  // The control API arrives with the scenario engine; until then the key is null.
  doc["ca_file"] = ca_ ? nlohmann::json(std::filesystem::absolute(ca_->ca_file()).string()) : nlohmann::json();
  doc["control_url"] = control_ ? nlohmann::json(control_url()) : nlohmann::json();
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
