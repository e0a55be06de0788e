// The fault catalogue and a lab's set of faults: see fault.hpp.
#include "sim/fault.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/ascii.hpp"

namespace mailflow::sim {

const std::vector<FaultInfo>& fault_catalogue() {
  using K = FaultKind;
  using P = FaultPoint;
  static const std::vector<FaultInfo> catalogue = {
      {K::WrongPort, "wrong_port", P::ClientSettings, "the client dials another port (params.port), e.g. 25 instead of 587"},
      {K::ServerNameTypo, "server_name_typo", P::ClientSettings, "the client's server name has a typo (params.value): NXDOMAIN"},
      {K::WrongPassword, "wrong_password", P::ClientSettings, "the client sends a wrong password (535 5.7.8, -ERR, NO)"},
      {K::NoTls, "no_tls", P::ClientSettings, "the client skips STARTTLS where the server requires it (530 5.7.0)"},
      {K::ServerDown, "server_down", P::Connect, "nothing listens: connection refused"},
      {K::FirewallDrop, "firewall_drop", P::Connect, "connections are dropped silently: the client times out"},
      {K::SlowReplies, "slow_replies", P::Reply, "every reply waits params.delay first"},
      {K::Greylisting, "greylisting", P::RcptTo, "451 4.7.1 for a first attempt; a retry later is accepted"},
      {K::ServiceUnavailable, "service_unavailable", P::Greeting, "the banner is 421 (or 554) and the server closes"},
      {K::DisconnectInData, "disconnect_in_data", P::Data, "the server drops the connection in the middle of DATA"},
      {K::UnknownUser, "unknown_user", P::RcptTo, "550 5.1.1: no such mailbox"},
      {K::UserNotLocal, "user_not_local", P::RcptTo, "551 5.1.6: the user has moved; try params.value"},
      {K::MailboxFull, "mailbox_full", P::RcptTo, "552 5.2.2: the mailbox is full"},
      {K::MailboxFullTemporary, "mailbox_full_temporary", P::RcptTo, "452 4.2.2: the mailbox is full for now"},
      {K::BadSender, "bad_sender", P::MailFrom, "553 5.1.8: the sender's domain does not exist"},
      {K::UnauthorizedSender, "unauthorized_sender", P::MailFrom, "553 5.7.1: the sender is not allowed"},
      {K::RelayDenied, "relay_denied", P::RcptTo, "554 5.7.1: relay access denied"},
      {K::PolicyRejection, "policy_rejection", P::Data, "554 5.7.1 with params.text: refused as spam or by policy"},
      {K::MessageTooLarge, "message_too_large", P::Data, "552 5.3.4: the message exceeds the size limit"},
      {K::Nxdomain, "nxdomain", P::DnsQuery, "the domain does not exist (NXDOMAIN)"},
      {K::DomainExpired, "domain_expired", P::DnsQuery, "the domain's registration expired: NXDOMAIN from then on"},
      {K::Servfail, "servfail", P::DnsQuery, "the DNS server fails (SERVFAIL): mail is deferred"},
      {K::DnsTimeout, "dns_timeout", P::DnsQuery, "the DNS server does not answer: the resolver times out"},
      {K::NoMx, "no_mx", P::DnsQuery, "no MX record: senders fall back to the A record"},
      {K::MxDeadHost, "mx_dead_host", P::DnsQuery, "the first MX points to a host where nothing listens"},
      {K::RecordChanged, "record_changed", P::DnsQuery, "a record changes (params.value) while caches keep the old one for its TTL"},
      {K::SelfSignedCertificate, "self_signed_certificate", P::TlsHandshake, "the server presents a self-signed certificate"},
      {K::ExpiredCertificate, "expired_certificate", P::TlsHandshake, "the server's certificate has expired"},
      {K::WrongHostCertificate, "wrong_host_certificate", P::TlsHandshake, "the certificate names another host"},
      {K::StarttlsRequired, "starttls_required", P::MailFrom, "the server refuses MAIL before STARTTLS (530 5.7.0)"},
      {K::TlsVersionMismatch, "tls_version_mismatch", P::TlsHandshake, "the server speaks only a TLS version the client refuses"},
      {K::Latency, "latency", P::Network, "every chunk of data waits params.delay (+/- params.jitter)"},
      {K::Bandwidth, "bandwidth", P::Network, "at most params.bytes per second"},
      {K::SlowClose, "slow_close", P::Network, "the close is delayed by params.delay"},
      {K::Timeout, "timeout", P::Network, "data stops; the connection closes after params.delay (never if unset)"},
      {K::ResetPeer, "reset_peer", P::Network, "the connection is reset (TCP RST), after params.delay if set"},
      {K::Slicer, "slicer", P::Network, "data is sent in slices of params.bytes"},
      {K::LimitData, "limit_data", P::Network, "the connection closes after params.bytes"},
  };
  return catalogue;
}

const FaultInfo& fault_info(FaultKind kind) {
  const auto& c = fault_catalogue();
  return *std::find_if(c.begin(), c.end(), [kind](const FaultInfo& i) { return i.kind == kind; });
}

std::optional<FaultKind> fault_kind_named(std::string_view name) {
  for (const auto& info : fault_catalogue()) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

std::string_view fault_point_name(FaultPoint point) {
  switch (point) {
    case FaultPoint::ClientSettings: return "client settings";
    case FaultPoint::Connect: return "connect";
    case FaultPoint::Greeting: return "greeting";
    case FaultPoint::Reply: return "reply";
    case FaultPoint::MailFrom: return "MAIL FROM";
    case FaultPoint::RcptTo: return "RCPT TO";
    case FaultPoint::Data: return "DATA";
    case FaultPoint::DnsQuery: return "DNS query";
    case FaultPoint::TlsHandshake: return "TLS handshake";
    case FaultPoint::Network: return "network";
  }
  return "?";
}

std::string FaultSpec::verify() const {
  std::string problems;
  auto problem = [&](const std::string& text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  if (name.empty()) problem("a fault needs a name");
  if (auto t = trigger.verify(); !t.empty()) problem(t);
  const auto needs = [&](bool present, std::string_view what) {
    if (!present) problem(fmt::format("{} needs {}", fault_info(kind).name, what));
  };
  switch (kind) {
    case FaultKind::WrongPort: needs(params.port.has_value(), "params.port"); break;
    case FaultKind::ServerNameTypo: needs(!params.value.empty(), "params.value (the mistyped name)"); break;
    case FaultKind::RecordChanged:
      needs(params.value.find(' ') != std::string::npos, "params.value (the new record as \"TYPE DATA\": \"MX 10 mx2.beta.test\")");
      break;
    case FaultKind::SlowReplies:
    case FaultKind::Latency:
    case FaultKind::SlowClose: needs(params.delay.has_value(), "params.delay"); break;
    case FaultKind::Bandwidth:
    case FaultKind::Slicer:
    case FaultKind::LimitData: needs(params.bytes.value_or(0) > 0, "params.bytes of at least 1"); break;
    default: break;
  }
  return problems;
}

std::string FaultSet::add(FaultSpec spec) {
  if (auto problem = spec.verify(); !problem.empty()) return fmt::format("fault '{}': {}", spec.name, problem);
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : faults_) {
      if (e.spec.name == spec.name) return fmt::format("fault '{}' is declared twice", spec.name);
    }
    auto trigger = std::make_unique<Trigger>(spec.trigger);
    const bool enabled = spec.enabled;
    faults_.push_back(Entry{std::move(spec), enabled, std::move(trigger)});
    recount_locked();
  }
  changed();
  return "";
}

bool FaultSet::remove(const std::string& name) {
  bool removed = false;
  {
    std::lock_guard lock(mutex_);
    const auto before = faults_.size();
    std::erase_if(faults_, [&](const Entry& e) { return e.spec.name == name; });
    recount_locked();
    removed = faults_.size() != before;
  }
  if (removed) changed();
  return removed;
}

bool FaultSet::set_enabled(const std::string& name, bool enabled) {
  bool found = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& e : faults_) {
      if (e.spec.name != name) continue;
      if (enabled && !e.spec.enabled) e.trigger->reset();
      e.spec.enabled = enabled;
      recount_locked();
      found = true;
      break;
    }
  }
  if (found) changed();
  return found;
}

void FaultSet::reset() {
  {
    std::lock_guard lock(mutex_);
    for (auto& e : faults_) {
      e.spec.enabled = e.declared_enabled;
      e.trigger->reset();
    }
    recount_locked();
  }
  changed();
}

std::vector<FaultSpec> FaultSet::list() const {
  std::lock_guard lock(mutex_);
  std::vector<FaultSpec> out;
  for (const auto& e : faults_) out.push_back(e.spec);
  return out;
}

namespace {

// "beta.test" names "beta.test" and "mx.beta.test", not "alphabeta.test"; a trailing dot
// on either side is ignored.
bool domain_covers(std::string_view fault_domain, std::string_view name) {
  if (fault_domain.empty()) return true;
  if (fault_domain.back() == '.') fault_domain.remove_suffix(1);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() < fault_domain.size()) return false;
  if (!ascii_iequals(name.substr(name.size() - fault_domain.size()), fault_domain)) return false;
  return name.size() == fault_domain.size() || name[name.size() - fault_domain.size() - 1] == '.';
}

bool unfiltered(const TriggerSpec& t) {
  return t.mode == TriggerMode::Always && t.recipient.empty() && t.sender.empty() && t.client.empty() &&
         !t.window_start && !t.window_end && !t.rate_per_minute;
}

}  // namespace

std::optional<FaultHit> FaultSet::check(FaultPoint point, std::string_view host, const FaultAttempt& attempt,
                                        std::string_view domain) {
  if (!any_enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  for (auto& e : faults_) {
    const FaultSpec& s = e.spec;
    if (!s.enabled || fault_info(s.kind).point != point) continue;
    if (!s.host.empty() && !ascii_iequals(s.host, host)) continue;
    if (!domain_covers(s.domain, domain)) continue;
    if (e.trigger->fires(attempt)) return FaultHit{s.name, s.kind, s.params};
  }
  return std::nullopt;
}

std::optional<std::string> FaultSet::unconditional(FaultKind kind, std::string_view host) const {
  if (!any_enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  for (const auto& e : faults_) {
    const FaultSpec& s = e.spec;
    if (s.enabled && s.kind == kind && (s.host.empty() || ascii_iequals(s.host, host)) && unfiltered(s.trigger)) {
      return s.name;
    }
  }
  return std::nullopt;
}

void FaultSet::on_change(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

void FaultSet::changed() {
  std::vector<std::function<void()>> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = listeners_;
  }
  for (const auto& listener : listeners) listener();
}

void FaultSet::recount_locked() {
  enabled_count_.store(std::count_if(faults_.begin(), faults_.end(), [](const Entry& e) { return e.spec.enabled; }),
                       std::memory_order_relaxed);
}

}  // namespace mailflow::sim
