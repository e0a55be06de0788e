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
    default:
      return DnsFaultEffect::None;  // record_changed: not yet
  }
}

}  // namespace mailflow::dns
