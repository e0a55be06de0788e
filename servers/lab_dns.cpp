// Changing the lab's DNS while it runs (a scenario's dns step): see Lab::replace_records.
#include <fmt/format.h>

#include "servers/dns/dns_zone.hpp"
#include "servers/lab.hpp"

namespace mailflow {

std::shared_ptr<const dns::Authority> Lab::authority() const {
  std::lock_guard lock(authority_mutex_);
  return authority_;
}

std::string Lab::replace_records(const std::vector<sim::DnsRecordSpec>& specs) {
  if (specs.empty()) return "no records given";
  auto name = dns::DnsName::parse(specs.front().name);
  auto type = dns::rr_type_from_name(specs.front().type);
  if (!name) return fmt::format("'{}' is not a domain name", specs.front().name);
  if (!type) return fmt::format("'{}' is not a record type the lab serves", specs.front().type);
  std::vector<dns::ResourceRecord> records;
  std::vector<std::string> shown;
  for (const auto& spec : specs) {
    if (!(dns::DnsName::parse(spec.name) == name) || dns::rr_type_from_name(spec.type) != type) {
      return "every record of one change must have the same name and type";
    }
    auto data = dns::rdata_from_presentation(*type, spec.value);
    if (!data) return fmt::format("'{}' is not {} record data", spec.value, spec.type);
    records.push_back(dns::ResourceRecord{*name, *type, dns::kClassIn, spec.ttl, *data});
    shown.push_back(fmt::format("{} {} IN {} {}", name->to_string(), spec.ttl, spec.type, spec.value));
  }
  {
    // Copy, edit, swap: queries in flight finish on the authority they started with.
    std::lock_guard lock(authority_mutex_);
    if (!authority_) return "the lab's DNS is not running";
    auto edited = std::make_shared<dns::Authority>(*authority_);
    if (!edited->replace_records(*name, *type, std::move(records))) {
      return fmt::format("no zone of the lab holds {}", name->to_string());
    }
    authority_ = edited;
    for (auto& server : dns_servers_) server->set_authority(edited);
  }
  bus_.publish(sim::Event{.host = dns_servers_.empty() ? std::string("dns") : dns_servers_.front()->host_name(),
                          .protocol = sim::Protocol::Dns,
                          .kind = sim::EventKind::State,
                          .line = fmt::format("records changed: {}", fmt::join(shown, "; "))});
  return "";
}

}  // namespace mailflow
