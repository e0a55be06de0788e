// Building the world's zones and answering queries from them authoritatively.
#include "servers/dns/dns_zone.hpp"

#include <algorithm>

namespace mailflow::dns {
namespace {

constexpr std::size_t kServerMaxUdp = 1232;  // the DNS flag day 2020 default
const DnsName kReverseZone = *DnsName::parse("127.in-addr.arpa");

DnsName must_parse(const std::string& text) {
  auto name = DnsName::parse(text);
  return name ? *name : DnsName{};
}

ResourceRecord make_record(DnsName name, RrType type, std::uint32_t ttl, RData data) {
  return ResourceRecord{std::move(name), static_cast<std::uint16_t>(type), kClassIn, ttl, std::move(data)};
}

std::optional<DnsName> reverse_name(const std::string& address) {
  auto a = rdata_from_presentation(static_cast<std::uint16_t>(RrType::A), address);
  if (!a) return std::nullopt;
  const auto& octets = std::get<AData>(*a).address;
  return DnsName::parse(std::to_string(octets[3]) + "." + std::to_string(octets[2]) + "." +
                        std::to_string(octets[1]) + "." + std::to_string(octets[0]) + ".in-addr.arpa");
}

Zone make_zone(const DnsName& origin, std::uint32_t ttl, const DnsName& mname, const std::vector<DnsName>& ns,
               const SoaTimers& timers) {
  Zone zone;
  zone.origin = origin;
  auto rname = DnsName::parse("hostmaster." + origin.key());
  zone.soa = make_record(origin, RrType::SOA, ttl,
                         SoaData{mname, rname ? *rname : origin, timers.serial, timers.refresh, timers.retry,
                                 timers.expire, timers.minimum});
  auto& apex = zone.names[origin.key()];
  apex.push_back(zone.soa);
  for (const auto& server : ns) apex.push_back(make_record(origin, RrType::NS, ttl, NameData{server}));
  return zone;
}

// RFC 2308 §3: the SOA in a negative answer carries min(SOA TTL, SOA MINIMUM).
ResourceRecord negative_soa(const Zone& zone) {
  ResourceRecord soa = zone.soa;
  soa.ttl = std::min(soa.ttl, std::get<SoaData>(soa.data).minimum);
  return soa;
}

}  // namespace

Authority::Authority(std::vector<Zone> zones) : zones_(std::move(zones)) {}

Authority::Authority(const sim::World& world, SoaTimers timers) {
  std::vector<DnsName> ns;
  for (const auto& host : world.hosts) {
    if (host.serves(sim::Service::Dns)) ns.push_back(must_parse(host.name));
  }
  DnsName mname = ns.empty() ? DnsName{} : ns.front();

  for (const auto& domain : world.domains) {
    DnsName origin = must_parse(domain.name);
    zones_.push_back(make_zone(origin, domain.ttl, mname, ns, timers));
  }
  zones_.push_back(make_zone(kReverseZone, 300, mname, ns, timers));

  for (const auto& domain : world.domains) {
    DnsName origin = must_parse(domain.name);
    for (const auto& mx : domain.mx) {
      add_record(make_record(origin, RrType::MX, domain.ttl, MxData{mx.preference, must_parse(mx.host)}));
    }
  }
  for (const auto& host : world.hosts) {
    DnsName name = must_parse(host.name);
    const Zone* zone = find_zone(name);
    std::uint32_t ttl = zone ? zone->soa.ttl : 300;
    if (auto rdata = rdata_from_presentation(static_cast<std::uint16_t>(RrType::A), host.address)) {
      add_record(make_record(name, RrType::A, ttl, *rdata));
    }
    if (auto reverse = reverse_name(host.address)) {
      add_record(make_record(*reverse, RrType::PTR, ttl, NameData{name}));
    }
  }
  // Declared records override the derived ones of their name and type (a world that moves
  // a host's A record means it), and add to each other.
  std::map<std::pair<std::string, std::uint16_t>, std::vector<ResourceRecord>> declared;
  std::vector<std::pair<std::string, std::uint16_t>> order;
  for (const auto& domain : world.domains) {
    for (const auto& spec : domain.records) {
      auto type = rr_type_from_name(spec.type);
      auto name = DnsName::parse(spec.name);
      if (!type || !name) continue;  // the world loader has already reported it
      if (auto rdata = rdata_from_presentation(*type, spec.value)) {
        auto key = std::pair{name->key(), *type};
        if (!declared.count(key)) order.push_back(key);
        declared[key].push_back(ResourceRecord{*name, *type, kClassIn, spec.ttl, *rdata});
      }
    }
  }
  for (const auto& key : order) {
    auto& records = declared[key];
    DnsName name = records.front().name;
    replace_records(name, key.second, std::move(records));
  }
}

bool Authority::replace_records(const DnsName& name, std::uint16_t type, std::vector<ResourceRecord> records) {
  auto* zone = const_cast<Zone*>(find_zone(name));
  if (!zone) return false;
  auto found = zone->names.find(name.key());
  if (found != zone->names.end()) {
    std::erase_if(found->second, [type](const ResourceRecord& rr) { return rr.type == type; });
    // The SOA is also kept in Zone::soa, which negative answers use: keep the two alike.
    if (type == static_cast<std::uint16_t>(RrType::SOA) && !records.empty()) zone->soa = records.front();
  }
  for (auto& rr : records) add_record(std::move(rr));
  if (records.empty() && found != zone->names.end() && found->second.empty() && !(name == zone->origin)) {
    // An empty node is still an empty non-terminal when names lie below it (RFC 8020).
    const std::string suffix = "." + name.key();
    bool below = false;
    for (const auto& [key, rrs] : zone->names) below = below || (key.size() > suffix.size() && key.ends_with(suffix));
    if (!below) zone->names.erase(found);
  }
  return true;
}

const Zone* Authority::find_zone(const DnsName& name) const {
  const Zone* best = nullptr;
  for (const auto& zone : zones_) {
    if (name.is_within(zone.origin) &&
        (!best || zone.origin.labels().size() > best->origin.labels().size())) {
      best = &zone;
    }
  }
  return best;
}

bool Authority::add_record(ResourceRecord rr) {
  auto* zone = const_cast<Zone*>(find_zone(rr.name));
  if (!zone) return false;
  for (DnsName up = rr.name.parent(); up.is_within(zone->origin); up = up.parent()) {
    zone->names[up.key()];  // empty non-terminal
    if (up == zone->origin) break;
  }
  zone->names[rr.name.key()].push_back(std::move(rr));
  return true;
}

Answer Authority::answer(const DecodeResult& query) const {
  Answer result;
  if (!query.header || query.header->qr) {
    result.drop = true;
    return result;
  }
  Message& response = result.response;
  response.header.id = query.header->id;
  response.header.qr = true;
  response.header.opcode = query.header->opcode;
  response.header.rd = query.header->rd;
  if (!query.message) {
    response.header.rcode = Rcode::FormErr;
    return result;
  }
  const Message& q = *query.message;
  response.questions = q.questions;
  if (q.edns) {
    response.edns = Edns{static_cast<std::uint16_t>(kServerMaxUdp), 0, 0, false, {}};
    if (q.edns->version > 0) {  // RFC 6891 §6.1.3
      response.header.rcode = Rcode::BadVers;
      return result;
    }
  }
  if (query.header->opcode != Opcode::Query) {
    response.header.rcode = Rcode::NotImp;
    return result;
  }
  if (q.questions.size() != 1 || !q.answers.empty() || !q.authority.empty()) {
    response.header.rcode = Rcode::FormErr;
    return result;
  }
  const Question& question = q.questions.front();
  if (question.type == static_cast<std::uint16_t>(RrType::OPT)) {
    response.header.rcode = Rcode::FormErr;
    return result;
  }
  const Zone* zone = find_zone(question.name);
  bool transfer = question.type == static_cast<std::uint16_t>(RrType::AXFR) ||
                  question.type == static_cast<std::uint16_t>(RrType::IXFR);
  if (!zone || transfer || (question.klass != kClassIn && question.klass != kClassAny)) {
    response.header.rcode = Rcode::Refused;
    return result;
  }
  response.header.aa = true;
  resolve(*zone, question, response);
  add_glue(response, response);
  return result;
}

// RFC 1034 §4.3.2 step 3, restricted to what an authority-only server does: exact match,
// CNAME chains through our own zones, NXDOMAIN or NODATA with the SOA otherwise.
void Authority::resolve(const Zone& start, const Question& q, Message& response) const {
  const auto cname = static_cast<std::uint16_t>(RrType::CNAME);
  const auto any = static_cast<std::uint16_t>(RrType::ANY);
  const Zone* zone = &start;
  DnsName name = q.name;
  for (std::size_t link = 0; link <= kMaxCnameChain; ++link) {
    auto it = zone->names.find(name.key());
    if (it == zone->names.end()) {
      response.header.rcode = Rcode::NxDomain;
      response.authority.push_back(negative_soa(*zone));
      return;
    }
    const auto& records = it->second;
    if (q.type != cname && q.type != any) {
      auto alias = std::find_if(records.begin(), records.end(), [&](const auto& rr) { return rr.type == cname; });
      if (alias != records.end()) {
        ResourceRecord rr = *alias;
        rr.name = name;
        response.answers.push_back(rr);
        name = std::get<NameData>(alias->data).name;
        zone = find_zone(name);
        if (!zone) return;  // the alias leaves our zones; a resolver follows it elsewhere
        continue;
      }
    }
    std::size_t before = response.answers.size();
    for (const auto& rr : records) {
      if (rr.type == q.type || q.type == any) {
        response.answers.push_back(rr);
        response.answers.back().name = name;  // echo the question's case
      }
    }
    if (response.answers.size() == before) response.authority.push_back(negative_soa(*zone));
    return;
  }
}

// Addresses of the MX and NS targets we know, so a client needs no second query.
void Authority::add_glue(const Message& response, Message& out) const {
  std::vector<const ResourceRecord*> glue;
  for (const auto& rr : response.answers) {
    const DnsName* target = nullptr;
    if (const auto* mx = std::get_if<MxData>(&rr.data)) target = &mx->exchange;
    if (rr.type == static_cast<std::uint16_t>(RrType::NS)) target = &std::get<NameData>(rr.data).name;
    if (!target) continue;
    const Zone* zone = find_zone(*target);
    if (!zone) continue;
    auto it = zone->names.find(target->key());
    if (it == zone->names.end()) continue;
    for (const auto& address : it->second) {
      bool is_address = address.type == static_cast<std::uint16_t>(RrType::A) ||
                        address.type == static_cast<std::uint16_t>(RrType::AAAA);
      if (is_address && std::find(glue.begin(), glue.end(), &address) == glue.end()) glue.push_back(&address);
    }
  }
  for (const auto* rr : glue) out.additional.push_back(*rr);
}

std::size_t udp_response_limit(const Message* query, std::size_t server_max) {
  if (!query || !query->edns) return 512;
  return std::clamp<std::size_t>(query->edns->udp_payload_size, 512, std::max<std::size_t>(server_max, 512));
}

}  // namespace mailflow::dns
