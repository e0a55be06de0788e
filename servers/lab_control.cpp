// The lab's side of the control API (servers/control): starting it, the queue as it
// stands, and the reset to the world's initial state.
#include <algorithm>

#include <fmt/format.h>

#include "servers/control/control_server.hpp"
#include "servers/lab.hpp"

namespace mailflow {

namespace {
constexpr std::uint16_t kControlPort = 8025;  // Mailpit's and MailHog's API port
}  // namespace

void Lab::start_control() {
  if (!options_.control_api) return;
  const std::uint32_t port = options_.control_port ? *options_.control_port : kControlPort + world_.port_offset;
  boost::system::error_code parse_error;
  const auto address = net::asio::ip::make_address(options_.control_address, parse_error);
  if (parse_error || !address.is_loopback()) {
    throw LabError(fmt::format("the control API listens on loopback addresses only, not {}", options_.control_address));
  }
  if (port > 65535) {
    throw LabError(fmt::format("the control API's port {} + port offset {} is past 65535: choose one with --control-port",
                               kControlPort, world_.port_offset));
  }
  control_ = std::make_unique<control::ControlServer>(io_, *this, bus_,
                                                      net::tcp::endpoint(address, static_cast<std::uint16_t>(port)));
  try {
    control_->start();
  } catch (const boost::system::system_error& e) {
    throw LabError(fmt::format("cannot listen for the control API on {}:{}: {}", options_.control_address, port,
                               e.code().message()));
  }
  bus_.publish(sim::Event{.host = "control", .protocol = sim::Protocol::Control, .kind = sim::EventKind::State,
                          .line = fmt::format("control API listening on {}", control_->url())});
}

std::string Lab::control_url() const { return control_ ? control_->url() : ""; }

std::vector<std::pair<std::string, sim::QueueEntry>> Lab::queued() const {
  std::vector<std::pair<std::string, sim::QueueEntry>> out;
  for (const auto& relay : relays_) {
    for (auto& entry : relay->queued()) out.emplace_back(relay->host_name(), std::move(entry));
  }
  return out;
}

Lab::ResetReport Lab::reset() {
  ResetReport report;
  for (const auto& relay : relays_) {
    report.deliveries_in_flight += relay->in_flight();
    report.queue_entries_dropped += relay->discard_waiting();
  }
  faults_.reset();
  // DNS as the world declares it, and relays that have forgotten every answer.
  {
    auto fresh = std::make_shared<const dns::Authority>(world_);
    std::lock_guard lock(authority_mutex_);
    if (authority_) {
      authority_ = fresh;
      for (auto& server : dns_servers_) server->set_authority(fresh);
    }
  }
  for (const auto& relay : relays_) relay->clear_dns_cache();
  for (const auto& user : world_.users) {
    auto mailbox = store_->open(user.address, user.quota);
    auto folders = mailbox->list_folders();
    for (const auto& folder : folders.value) {
      const bool created_by_world =
          folder == "INBOX" || std::find(std::begin(sim::kDefaultFolders), std::end(sim::kDefaultFolders), folder) !=
                                   std::end(sim::kDefaultFolders);
      if (!created_by_world) {
        auto listed = mailbox->list(folder);
        if (mailbox->delete_folder(folder).ok()) {
          ++report.folders_deleted;
          report.messages_deleted += listed.ok() ? listed.value.size() : 0;
        }
        continue;
      }
      auto listed = mailbox->list(folder);
      if (!listed.ok()) continue;
      for (const auto& m : listed.value) report.messages_deleted += mailbox->expunge(folder, m.uid).ok() ? 1 : 0;
      if (!listed.value.empty()) mail_arrived(user.address, folder);
    }
  }
  bus_.publish(sim::Event{.host = "control", .protocol = sim::Protocol::Control, .kind = sim::EventKind::State,
                          .line = fmt::format("lab reset: {} messages and {} folders deleted, {} queued messages dropped",
                                              report.messages_deleted, report.folders_deleted,
                                              report.queue_entries_dropped)});
  return report;
}

}  // namespace mailflow
