// The DNS faults' effect on a response: see dns_faults.hpp.
#include "servers/dns/dns_faults.hpp"

#include <algorithm>

#include <boost/asio/ip/address_v4.hpp>

namespace mailflow::dns {

namespace {

using sim::FaultKind;

// RFC 2308 §3: the SOA of a negative answer carries min(SOA TTL, SOA MINIMUM).
void negative_answer(const Authority& authority, const Question& question, Message& response, Rcode rcode) {
  response.header.rcode = rcode;
  response.answers.clear();
  response.authority.clear();
  response.additional.clear();
  if (const Zone* zone = authority.find_zone(question.name)) {
    ResourceRecord soa = zone->soa;
    soa.ttl = std::min(soa.ttl, std::get<SoaData>(soa.data).minimum);
    response.authority.push_back(std::move(soa));
  }
}

bool is_mx_question(const Question& q) { return q.type == static_cast<std::uint16_t>(RrType::MX); }

DnsFaultEffect add_dead_mx(const Question& question, Message& response) {
  if (!is_mx_question(question) || response.header.rcode != Rcode::NoError) return DnsFaultEffect::None;
  std::uint16_t lowest = 10;
  std::uint32_t ttl = 300;
  bool any = false;
  for (const auto& rr : response.answers) {
    if (const auto* mx = std::get_if<MxData>(&rr.data)) {
      lowest = any ? std::min(lowest, mx->preference) : mx->preference;
      ttl = rr.ttl;
      any = true;
    }
  }
  if (!any) return DnsFaultEffect::None;  // no MX to come before: nothing to shadow
  std::vector<std::string> labels{std::string(kDeadMxLabel)};
  for (const auto& label : question.name.labels()) labels.push_back(label);
  auto dead = DnsName::from_labels(std::move(labels));
  if (!dead) return DnsFaultEffect::None;  // the name would be too long
  ResourceRecord mx{question.name, static_cast<std::uint16_t>(RrType::MX), kClassIn, ttl,
                    MxData{static_cast<std::uint16_t>(lowest > 0 ? lowest - 1 : 0), *dead}};
  // First in the answer: with equal preferences the lab's resolver keeps the server's order.
  response.answers.insert(response.answers.begin(), std::move(mx));
  AData glue;
  glue.address = boost::asio::ip::make_address_v4(std::string(kDeadMxAddress)).to_bytes();
  response.additional.insert(response.additional.begin(),
                             ResourceRecord{*dead, static_cast<std::uint16_t>(RrType::A), kClassIn, ttl, glue});
  return DnsFaultEffect::Changed;
}

// params.value is "TYPE DATA" ("MX 10 mx2.beta.test", "A 127.10.2.9"): questions of TYPE
// get DATA instead of what the zone holds, with the TTL of the records it replaces (else
// the zone's SOA TTL), so caches keep it as long as they kept the old one.
DnsFaultEffect change_record(const sim::FaultHit& hit, const Authority& authority, const Question& question,
                             Message& response) {
  const std::string& value = hit.params.value;
  const auto space = value.find(' ');
  if (space == std::string::npos) return DnsFaultEffect::None;
  auto type = rr_type_from_name(value.substr(0, space));
  if (!type || *type != question.type) return DnsFaultEffect::None;
  auto data = rdata_from_presentation(*type, std::string_view(value).substr(space + 1));
  if (!data) return DnsFaultEffect::None;
  const Zone* zone = authority.find_zone(question.name);
  std::uint32_t ttl = zone ? zone->soa.ttl : 300;
  for (const auto& rr : response.answers) {
    if (rr.type == *type) ttl = rr.ttl;
  }
  response.header.rcode = Rcode::NoError;
  response.answers.clear();
  response.authority.clear();
  response.additional.clear();  // the old glue may name the old host; resolvers ask for A
  response.answers.push_back(ResourceRecord{question.name, *type, kClassIn, ttl, *data});
  return DnsFaultEffect::Changed;
}

}  // namespace

DnsFaultEffect apply_dns_fault(const sim::FaultHit& hit, const Authority& authority, const Question& question,
                               Message& response) {
  switch (hit.kind) {
    case FaultKind::Nxdomain:
    case FaultKind::DomainExpired:
      negative_answer(authority, question, response, Rcode::NxDomain);
      return DnsFaultEffect::Changed;
    case FaultKind::Servfail:
      negative_answer(authority, question, response, Rcode::ServFail);
      response.authority.clear();
      response.header.aa = false;
      return DnsFaultEffect::Changed;
    case FaultKind::DnsTimeout:
      return DnsFaultEffect::Silence;
    case FaultKind::NoMx:
      if (!is_mx_question(question) || response.header.rcode != Rcode::NoError) return DnsFaultEffect::None;
      negative_answer(authority, question, response, Rcode::NoError);
      return DnsFaultEffect::Changed;
    case FaultKind::MxDeadHost:
      return add_dead_mx(question, response);
    case FaultKind::RecordChanged:
      return change_record(hit, authority, question, response);
    default:
      return DnsFaultEffect::None;
  }
}

}  // namespace mailflow::dns
