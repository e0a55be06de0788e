// The relays' TTL cache in lab time: see dns_cache.hpp.
#include "servers/dns/dns_cache.hpp"

#include <algorithm>
#include <limits>

#include "servers/dns/dns_resolver.hpp"  // LookupStatus

namespace mailflow::dns {

std::uint32_t DnsCache::ttl_of(LookupStatus status, const Message& response) {
  if (status == LookupStatus::Ok) {
    if (response.answers.empty()) return 0;
    std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
    for (const auto& rr : response.answers) ttl = std::min(ttl, rr.ttl);
    return ttl;
  }
  if (status == LookupStatus::NxDomain || status == LookupStatus::NoData) {
    for (const auto& rr : response.authority) {
      if (const auto* soa = std::get_if<SoaData>(&rr.data)) return std::min(rr.ttl, soa->minimum);
    }
    return 0;  // RFC 2308 §5: without an SOA a negative answer is not cached
  }
  return 0;
}

std::optional<DnsCache::Hit> DnsCache::find(const DnsName& name, std::uint16_t type) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = entries_.find({name.key(), type});
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  const auto& entry = it->second;
  const auto spent = std::chrono::duration_cast<std::chrono::seconds>(now - entry.stored);
  Hit hit{entry.status, entry.response,
          std::chrono::ceil<std::chrono::seconds>(entry.expires - now)};
  auto lower = [&](std::vector<ResourceRecord>& records) {
    for (auto& rr : records) {
      const std::int64_t left = static_cast<std::int64_t>(rr.ttl) - spent.count();
      rr.ttl = left > 0 ? static_cast<std::uint32_t>(left) : 0;
    }
  };
  lower(hit.response.answers);
  lower(hit.response.authority);
  lower(hit.response.additional);
  return hit;
}

std::uint32_t DnsCache::store(const DnsName& name, std::uint16_t type, LookupStatus status, const Message& response) {
  const std::uint32_t ttl = ttl_of(status, response);
  if (ttl == 0) return 0;
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  entries_[{name.key(), type}] = Entry{status, response, now, now + std::chrono::seconds(ttl)};
  return ttl;
}

void DnsCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::size_t DnsCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace mailflow::dns
