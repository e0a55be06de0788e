// The relay loop: due entries → per-domain mail routes → SMTP attempts → outcomes.
#include "servers/smtp/mail_relay.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "servers/smtp/dsn.hpp"
#include "servers/smtp/smtp_address.hpp"

namespace mailflow::smtp {

using namespace mailflow::net;
using sim::RecipientState;

namespace {

constexpr auto kIdleTick = std::chrono::milliseconds(500);
// What a recipient's last reply becomes when its message outlived the queue lifetime.
constexpr std::string_view kExpired = "Message delivery time expired; last problem: ";

// Postfix's words for a domain that DNS says does not exist, so bounces read like real ones.
std::string host_not_found(const std::string& domain, std::string_view why) {
  return fmt::format("Host or domain name not found. Name service error for name={} type=MX: {}", domain, why);
}

}  // namespace

MailRelay::MailRelay(asio::io_context& io, MailRelayConfig config, sim::MailQueue& queue, const sim::Clock& clock,
                     sim::EventBus* bus)
    : io_(io), config_(std::move(config)), queue_(queue), clock_(clock), bus_(bus), wake_timer_(io) {
  config_.resolver.server = config_.dns;
  // A real mailer's resolver caches for the TTL; in lab time, so that after a DNS change
  // the old answer (the old MX) lasts until an advance step or the clock moves past it.
  if (config_.cache_dns) config_.resolver.cache_clock = &clock_;
  resolver_ = std::make_unique<dns::Resolver>(io_.get_executor(), config_.resolver, bus_, config_.host_name);
}

void MailRelay::publish(sim::EventKind kind, const std::string& journey, std::string line, int code,
                        std::string status, std::string peer) {
  if (!bus_) return;
  sim::Event e;
  e.host = config_.host_name;
  e.journey = journey;
  e.peer = std::move(peer);
  e.protocol = sim::Protocol::Smtp;
  e.kind = kind;
  e.line = std::move(line);
  e.code = code;
  e.status = std::move(status);
  bus_->publish(std::move(e));
}

void MailRelay::start() {
  sim::QueueLoadReport report;
  for (auto& entry : queue_.load(&report)) entries_.emplace(entry.id, std::move(entry));
  for (const auto& problem : report.problems) publish(sim::EventKind::Error, "", "queue: " + problem);
  if (!entries_.empty()) {
    publish(sim::EventKind::Queued, "", fmt::format("resuming {} queued message(s) after a restart", entries_.size()));
  }
  asio::co_spawn(io_, run(), asio::detached);
}

void MailRelay::stop() {
  stopping_ = true;
  wake_timer_.cancel();
}

void MailRelay::wake() { wake_timer_.cancel(); }

sim::StoreValue<sim::QueueEntry> MailRelay::enqueue(std::string sender, std::vector<std::string> recipients,
                                                    std::string_view message, std::string journey,
                                                    std::string received_from) {
  auto queued = queue_.enqueue(std::move(sender), std::move(recipients), message, clock_.now(), std::move(journey),
                               std::move(received_from));
  if (queued.ok()) {
    // Durable already; the relay's own state lives on the io thread (inline when called
    // from there, posted when a session's durable write ran on the blocking pool).
    asio::dispatch(io_, [this, entry = queued.value] {
      entries_[entry.id] = entry;
      wake();
    });
  }
  return queued;
}

awaitable<void> MailRelay::run() {
  while (!stopping_) {
    auto now = clock_.now();
    auto next = now + std::chrono::hours(24);
    for (auto& [id, entry] : entries_) {
      if (in_flight_.count(id)) continue;
      if (entry.next_attempt <= now && in_flight_.size() < config_.max_parallel_deliveries) {
        in_flight_.insert(id);
        asio::co_spawn(io_, attempt(id), asio::detached);
      } else {
        next = std::min(next, entry.next_attempt);
      }
    }
    // Sleep in real time until the next entry is due in lab time, or until woken.
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.real_duration(next - now));
    wake_timer_.expires_after(std::clamp<std::chrono::milliseconds>(wait, std::chrono::milliseconds(1), kIdleTick));
    error_code ec;
    co_await wake_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> MailRelay::attempt(std::string id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    in_flight_.erase(id);
    co_return;
  }
  sim::QueueEntry entry = it->second;
  auto message = queue_.read_message(id);
  if (!message.ok()) {
    publish(sim::EventKind::Error, entry.journey, fmt::format("queue: cannot read {}: {}", id, message.error));
    in_flight_.erase(id);
    co_return;
  }
  std::vector<std::string> domains;
  for (const auto& r : entry.recipients) {
    auto domain = domain_of(r.address);
    if (r.state == RecipientState::Pending && std::find(domains.begin(), domains.end(), domain) == domains.end()) {
      domains.push_back(domain);
    }
  }
  ++entry.attempts;
  // RFC 5321 §3.6.1 / §5: one SMTP transaction per destination domain.
  for (const auto& domain : domains) {
    try {
      co_await deliver_domain(entry, message.value, domain);
    } catch (const std::exception& e) {
      publish(sim::EventKind::Error, entry.journey, fmt::format("relay to {} failed: {}", domain, e.what()));
    }
  }
  finish(entry, message.value);
  in_flight_.erase(id);
  wake();
}

awaitable<void> MailRelay::deliver_domain(sim::QueueEntry& entry, const std::string& message, const std::string& domain) {
  std::vector<sim::QueuedRecipient*> group;
  for (auto& r : entry.recipients) {
    if (r.state == RecipientState::Pending && domain_of(r.address) == domain) group.push_back(&r);
  }
  auto settle = [&](RecipientState state, const std::string& reply, const std::string& remote) {
    for (auto* r : group) {
      if (r->state != RecipientState::Pending) continue;
      r->state = state;
      r->last_reply = reply;
      r->remote_mta = remote;
      ++r->attempts;
    }
  };

  auto name = dns::DnsName::parse(domain);
  if (!name) {
    settle(RecipientState::Failed, "501 5.1.3 Bad recipient domain " + domain, "");
    co_return;
  }
  auto route = co_await resolver_->resolve_mail_route(*name);
  if (route.null_mx) {
    settle(RecipientState::Failed, fmt::format("556 5.1.10 Domain {} does not accept mail (null MX)", domain), "");
    co_return;
  }
  if (route.status == dns::LookupStatus::NxDomain) {
    settle(RecipientState::Failed, "550 5.4.4 " + host_not_found(domain, "Host not found"), "");
    co_return;
  }
  if (route.hosts.empty() || std::all_of(route.hosts.begin(), route.hosts.end(), [](const auto& h) { return h.addresses.empty(); })) {
    bool temporary = dns::is_temporary_failure(route.status);
    if (temporary) {
      settle(RecipientState::Pending, fmt::format("451 4.4.3 {}", host_not_found(domain, dns::lookup_status_name(route.status))), "");
    } else {
      settle(RecipientState::Failed, "550 5.4.4 " + host_not_found(domain, "no mail host has an address"), "");
    }
    co_return;
  }

  std::string last_problem;
  for (const auto& host : route.hosts) {
    for (const auto& address : host.addresses) {
      tcp::endpoint endpoint(address, config_.smtp_port(address));
      std::string mx = host.name.key();
      ClientEnvelope envelope;
      envelope.sender = entry.sender;
      envelope.message = message;
      for (auto* r : group) {
        if (r->state == RecipientState::Pending) envelope.recipients.push_back(r->address);
      }
      if (envelope.recipients.empty()) co_return;
      publish(sim::EventKind::Relay, entry.journey,
              fmt::format("relaying to {} [{}] (MX preference {}{}) for {}", mx, endpoint_text(endpoint), host.preference,
                          route.implicit_mx ? ", implicit MX from the A record" : "", fmt::join(envelope.recipients, ", ")),
              0, {}, endpoint_text(endpoint));
      ClientOptions options;
      options.helo_name = config_.host_name;
      options.local_address = config_.address;
      options.tls = config_.tls;
      options.tls_server_name = mx;
      options.timeouts = config_.timeouts;
      options.bus = bus_;
      options.host_name = config_.host_name;
      options.journey = entry.journey;
      options.journeys = config_.journeys;
      DeliveryAttempt attempt = co_await deliver(endpoint, envelope, options);
      if (attempt.outcome == AttemptOutcome::TlsFailed && options.tls) {
        // Opportunistic TLS (RFC 7435): a failed handshake is retried in the clear.
        options.tls = nullptr;
        attempt = co_await deliver(endpoint, envelope, options);
      }
      switch (attempt.outcome) {
        case AttemptOutcome::ConnectFailed:
        case AttemptOutcome::Timeout:
        case AttemptOutcome::TlsFailed:
        case AttemptOutcome::ProtocolError:
          // RFC 5321 §5.1: try the next address, then the next MX.
          last_problem = fmt::format("connect to {}[{}]: {}", mx, endpoint_text(endpoint), attempt.error);
          publish(sim::EventKind::Deferred, entry.journey, last_problem, 0, {}, endpoint_text(endpoint));
          continue;
        default:
          break;
      }
      for (const auto& result : attempt.recipients) {
        auto target = std::find_if(group.begin(), group.end(), [&](auto* r) { return r->address == result.recipient; });
        if (target == group.end()) continue;
        auto* r = *target;
        ++r->attempts;
        r->last_reply = result.reply.summary();
        r->remote_mta = mx;
        if (result.reply.positive()) {
          r->state = RecipientState::Delivered;
          publish(sim::EventKind::Delivered, entry.journey, fmt::format("{} accepted by {}: {}", r->address, mx, r->last_reply),
                  result.reply.code, result.reply.enhanced, endpoint_text(endpoint));
        } else if (result.reply.permanent()) {
          r->state = RecipientState::Failed;
          publish(sim::EventKind::Rejected, entry.journey, fmt::format("{} rejected by {}: {}", r->address, mx, r->last_reply),
                  result.reply.code, result.reply.enhanced, endpoint_text(endpoint));
        } else {
          publish(sim::EventKind::Deferred, entry.journey, fmt::format("{} deferred by {}: {}", r->address, mx, r->last_reply),
                  result.reply.code, result.reply.enhanced, endpoint_text(endpoint));
        }
      }
      // A reply that ended the transaction before any recipient was looked at (a 4xx/5xx
      // greeting or MAIL) applies to every recipient of the group.
      if (attempt.recipients.empty() && attempt.reply.code != 0) {
        settle(attempt.reply.permanent() ? RecipientState::Failed : RecipientState::Pending, attempt.reply.summary(), mx);
        publish(attempt.reply.permanent() ? sim::EventKind::Rejected : sim::EventKind::Deferred, entry.journey,
                fmt::format("{} answered {}", mx, attempt.reply.summary()), attempt.reply.code, attempt.reply.enhanced);
      }
      co_return;
    }
  }
  // No mail host could be reached: defer (RFC 5321 §4.5.4.1).
  for (auto* r : group) {
    ++r->attempts;
    r->last_reply = "451 4.4.1 " + (last_problem.empty() ? "no mail host could be reached" : last_problem);
  }
}

void MailRelay::finish(sim::QueueEntry& entry, const std::string& message) {
  auto now = clock_.now();
  bool pending = std::any_of(entry.recipients.begin(), entry.recipients.end(),
                             [](const auto& r) { return r.state == RecipientState::Pending; });
  if (pending && config_.retry.expired(entry.arrival, now)) {
    for (auto& r : entry.recipients) {
      if (r.state != RecipientState::Pending) continue;
      r.state = RecipientState::Failed;
      r.last_reply = std::string(kExpired) + r.last_reply;
    }
    pending = false;
  }
  if (pending) {
    entry.next_attempt = config_.retry.next_attempt(entry.arrival, entry.attempts, now);
    auto in = std::chrono::duration_cast<std::chrono::seconds>(entry.next_attempt - now);
    publish(sim::EventKind::Deferred, entry.journey,
            fmt::format("message {} deferred; next attempt in {} s (lab time), attempt {} so far", entry.id, in.count(),
                        entry.attempts));
    if (auto saved = queue_.update(entry); !saved.ok()) {
      publish(sim::EventKind::Error, entry.journey, "queue: cannot update " + entry.id + ": " + saved.error);
    }
    entries_[entry.id] = entry;
    return;
  }
  bounce(entry, message);
  if (auto removed = queue_.remove(entry.id); !removed.ok()) {
    publish(sim::EventKind::Error, entry.journey, "queue: cannot remove " + entry.id + ": " + removed.error);
  }
  entries_.erase(entry.id);
}

void MailRelay::bounce(const sim::QueueEntry& entry, const std::string& message) {
  std::vector<DsnRecipient> failed;
  for (const auto& r : entry.recipients) {
    if (r.state != RecipientState::Failed) continue;
    DsnRecipient d;
    d.final_recipient = r.address;
    d.action = "failed";
    d.remote_mta = r.remote_mta;
    d.diagnostic = r.last_reply;
    // RFC 3463 §3.5: X.4.7 "delivery time expired"; the class stays 4, as Postfix reports it.
    if (r.last_reply.rfind(kExpired, 0) == 0) d.status = "4.4.7";
    d.last_attempt = clock_.now();
    failed.push_back(std::move(d));
  }
  if (failed.empty()) return;
  // RFC 3461 §6.2 / RFC 5321 §4.5.5: a message with the null sender never bounces.
  if (entry.sender.empty()) {
    publish(sim::EventKind::Error, entry.journey, fmt::format("bounce {} undeliverable; dropped (null sender)", entry.id));
    return;
  }
  DsnInput input;
  input.reporting_mta = config_.host_name;
  input.original_sender = entry.sender;
  input.original_message = message;
  input.queue_id = entry.id;
  input.arrival = entry.arrival;
  input.now = clock_.now();
  input.recipients = failed;
  input.boundary_seed = entry.id + "-bounce";
  auto queued = enqueue("", {entry.sender}, build_dsn(input), entry.journey, config_.host_name);
  if (!queued.ok()) {
    publish(sim::EventKind::Error, entry.journey, "queue: cannot queue the bounce: " + queued.error);
    return;
  }
  publish(sim::EventKind::Bounced, entry.journey,
          fmt::format("bounce {} to <{}> for {} failed recipient(s): {}", queued.value.id, entry.sender, failed.size(),
                      failed.front().diagnostic));
}

std::vector<sim::QueueEntry> MailRelay::queued() const {
  std::vector<sim::QueueEntry> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(entry);
  return out;
}

std::size_t MailRelay::discard_waiting() {
  std::size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (in_flight_.contains(it->first)) {
      ++it;
      continue;
    }
    queue_.remove(it->first);
    publish(sim::EventKind::State, it->second.journey, fmt::format("queue entry {} dropped by a lab reset", it->first));
    it = entries_.erase(it);
    ++dropped;
  }
  return dropped;
}

}  // namespace mailflow::smtp
