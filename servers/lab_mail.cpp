// Local delivery, recipient checks and submission queueing for the lab's SMTP hosts.
#include "servers/lab_mail.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "servers/smtp/dsn.hpp"
#include "servers/smtp/message_headers.hpp"
#include "servers/smtp/smtp_address.hpp"
#include "servers/smtp/smtp_codes.hpp"
#include "sim/ascii.hpp"

namespace mailflow {

using smtp::make_reply;
namespace replies = smtp::replies;

namespace {

// Compares every byte whatever the first difference, so timing says nothing of a password.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

LabMail::LabMail(const sim::World& world, sim::MaildirStore& store, const sim::Clock& clock, sim::EventBus* bus)
    : world_(world), store_(store), clock_(clock), bus_(bus) {}

void LabMail::publish(sim::EventKind kind, const std::string& host, const std::string& journey, std::string line,
                      int code, std::string status) {
  if (!bus_) return;
  sim::Event e;
  e.host = host;
  e.journey = journey;
  e.protocol = sim::Protocol::Smtp;
  e.kind = kind;
  e.line = std::move(line);
  e.code = code;
  e.status = std::move(status);
  bus_->publish(std::move(e));
}

bool LabMail::serves_domain(const std::string& host, const std::string& domain) const {
  const auto* d = world_.find_domain(domain);
  if (!d) return false;
  if (d->mx.empty()) {
    // RFC 5321 §5.1: without MX records the domain's own address is its mail host, so
    // the host named like the domain (the one its A record points to) receives for it.
    return sim::ascii_iequals(host, domain);
  }
  return std::any_of(d->mx.begin(), d->mx.end(), [&](const auto& mx) { return sim::ascii_iequals(mx.host, host); });
}

// RFC 5321 §4.5.1: every domain accepts mail for "postmaster" (and an MX "<Postmaster>"
// without a domain, §4.1.1.3). The lab gives that role to the user postmaster@<domain> if
// the world has one, else to the domain's first user, as a small provider would.
LabMail::LocalRecipient LabMail::find_local_recipient(const std::string& host, const std::string& recipient) const {
  LocalRecipient found;
  found.domain = smtp::domain_of(recipient);
  const bool postmaster = sim::ascii_iequals(smtp::local_part_of(recipient), "postmaster") ||
                          (found.domain.empty() && sim::ascii_iequals(recipient, "postmaster"));
  if (found.domain.empty() && postmaster) {
    for (const auto& domain : world_.domains) {
      if (serves_domain(host, domain.name)) {
        found.domain = domain.name;
        break;
      }
    }
  }
  found.served = serves_domain(host, found.domain);
  if (!found.served) return found;
  found.user = world_.find_user_by_address(recipient);
  if (!found.user && postmaster) {
    found.user = world_.find_user_by_address("postmaster@" + found.domain);
    for (const auto& user : world_.users) {
      if (found.user) break;
      if (sim::ascii_iequals(smtp::domain_of(user.address), found.domain)) found.user = &user;
    }
  }
  return found;
}

std::optional<smtp::SmtpReply> LabMail::check_local_recipient(const std::string& host, const std::string& recipient) {
  const LocalRecipient local = find_local_recipient(host, recipient);
  // RFC 5321 §3.6.2: an MX that is not the destination of the domain must not relay.
  if (!local.served) {
    return make_reply(replies::RelayDenied, fmt::format("<{}>: Relay access denied", recipient));
  }
  const sim::User* user = local.user;
  if (!user) {
    return make_reply(replies::UserUnknown, fmt::format("<{}>: Recipient address rejected: User unknown", recipient));
  }
  auto mailbox = store_.open(user->address, user->quota);
  auto usage = mailbox->usage_estimate();  // deliver() checks exactly under the lock
  const auto& quota = user->quota;
  bool full = usage.ok() && ((quota.bytes && usage.value.bytes >= quota.bytes) ||
                             (quota.messages && usage.value.messages >= quota.messages));
  if (full) {
    return make_reply(quota.temporary ? replies::MailboxFullTemp : replies::MailboxFull,
                      fmt::format("<{}>: Recipient address rejected: Mailbox full", recipient));
  }
  return std::nullopt;
}

const sim::User* LabMail::authenticate(const std::string& login, const std::string& password) {
  const sim::User* user = world_.find_user_by_login(login);
  if (!user || !constant_time_equal(user->password, password)) return nullptr;
  return user;
}

std::string LabMail::reverse_name(const std::string& address) {
  for (const auto& host : world_.hosts) {
    if (host.address == address) return host.name;
  }
  return "unknown";
}

std::string LabMail::new_journey_id() {
  return fmt::format("J{:%Y%m%dT%H%M%S}-{:04}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())),
                     ++journeys_);
}

smtp::AcceptResult LabMail::accept(const std::string& host, smtp::SmtpRole role, smtp::AcceptedMessage message) {
  // The session's journey (announced by the relay that connected, or new) is the one its
  // events carry; the header only fills in for a caller that has none.
  if (message.journey.empty()) {
    if (auto journey = smtp::header_value(message.message, smtp::kJourneyHeader)) message.journey = *journey;
  }
  if (role == smtp::SmtpRole::Mx) return deliver_locally(host, std::move(message));
  return enqueue(host, std::move(message));
}

void LabMail::stamp_journey(smtp::AcceptedMessage& message) {
  if (message.journey.empty()) message.journey = new_journey_id();
  if (smtp::header_value(message.message, smtp::kJourneyHeader) != message.journey) {
    // Topmost, so the next hops (and the readers and the control API) find this one.
    message.message = smtp::prepend_header(message.message, fmt::format("{}: {}\r\n", smtp::kJourneyHeader, message.journey));
  }
}

smtp::AcceptResult LabMail::enqueue(const std::string& host, smtp::AcceptedMessage message) {
  smtp::AcceptResult result;
  auto relay = relays_.find(host);
  if (relay == relays_.end()) {
    result.reply = make_reply(replies::LocalError);
    return result;
  }
  stamp_journey(message);
  auto queued = relay->second->enqueue(message.sender, message.recipients, message.message, message.journey, message.client);
  if (!queued.ok()) {
    // RELIABILITY.md: a failed durable write answers 451 4.3.0 and nothing was accepted.
    publish(sim::EventKind::Error, host, message.journey, "queue write failed: " + queued.error);
    result.reply = make_reply(replies::LocalError);
    return result;
  }
  result.journey = message.journey;
  result.queue_id = queued.value.id;
  result.reply = make_reply(replies::Queued, fmt::format("Ok: queued as {}", queued.value.id));
  return result;
}

// Some recipients have the message and some could not take it: the 250 stands (one reply
// for the whole message, RFC 5321 §3.3) and the others are reported to the sender in a
// bounce this host queues like any message (RFC 3464).
void LabMail::bounce_partial(const std::string& host, const smtp::AcceptedMessage& message,
                             const std::vector<std::pair<std::string, smtp::SmtpReply>>& failures) {
  auto relay = relays_.find(host);
  if (message.sender.empty() || relay == relays_.end()) {
    publish(sim::EventKind::Error, host, message.journey,
            fmt::format("{} recipient(s) could not be stored and no bounce can be sent", failures.size()));
    return;
  }
  smtp::DsnInput input;
  input.reporting_mta = host;
  input.original_sender = message.sender;
  input.original_message = message.message;
  input.queue_id = message.journey;
  input.arrival = input.now = clock_.now();
  input.boundary_seed = message.journey + "-partial";
  for (const auto& [recipient, reply] : failures) {
    smtp::DsnRecipient r;
    r.final_recipient = recipient;
    r.action = "failed";
    r.diagnostic = reply.summary();
    r.last_attempt = input.now;
    input.recipients.push_back(std::move(r));
  }
  auto queued = relay->second->enqueue("", {message.sender}, smtp::build_dsn(input), message.journey, host);
  if (!queued.ok()) {
    publish(sim::EventKind::Error, host, message.journey, "cannot queue the bounce: " + queued.error);
    return;
  }
  publish(sim::EventKind::Bounced, host, message.journey,
          fmt::format("bounce {} to <{}> for {} recipient(s) that could not be stored", queued.value.id, message.sender,
                      failures.size()));
}

smtp::AcceptResult LabMail::deliver_locally(const std::string& host, smtp::AcceptedMessage message) {
  smtp::AcceptResult result;
  stamp_journey(message);  // mail from outside the lab gets its journey here
  result.journey = message.journey;
  std::vector<std::pair<std::string, smtp::SmtpReply>> failures;
  std::size_t stored = 0;
  std::set<const sim::User*> reached;  // one copy per mailbox, as Postfix removes duplicates
  for (const auto& recipient : message.recipients) {
    const sim::User* user = find_local_recipient(host, recipient).user;
    if (!user) {
      failures.emplace_back(recipient, make_reply(replies::UserUnknown));
      continue;
    }
    if (!reached.insert(user).second) {
      ++stored;
      continue;
    }
    auto mailbox = store_.open(user->address, user->quota);
    // RFC 5321 §4.4: the delivering MTA adds Return-Path; Delivered-To names the mailbox.
    auto bytes = smtp::add_delivery_headers(message.message, message.sender, user->address);
    auto delivery = mailbox->deliver("INBOX", bytes);
    if (delivery.stored()) {
      ++stored;
      publish(sim::EventKind::Delivered, host, message.journey,
              fmt::format("stored in the mailbox of {} (UID {}, {} octets)", user->address, delivery.uid, bytes.size()));
      if (delivered_) delivered_(user->address, "INBOX");
      continue;
    }
    smtp::SmtpReply refusal;
    if (delivery.status == sim::StoreStatus::QuotaExceeded) {
      refusal = make_reply(delivery.temporary ? replies::MailboxFullTemp : replies::MailboxFull,
                           fmt::format("<{}>: Mailbox full ({} of {} octets used)", recipient, delivery.usage.bytes,
                                       delivery.limit.bytes));
    } else {
      publish(sim::EventKind::Error, host, message.journey, "delivery failed: " + delivery.error);
      refusal = make_reply(replies::LocalError);
    }
    publish(sim::EventKind::Rejected, host, message.journey, refusal.summary(), refusal.code, refusal.enhanced);
    failures.emplace_back(recipient, refusal);
  }
  if (stored == 0 && !failures.empty()) {
    // One reply for the whole message (RFC 5321 §3.3): nothing was stored, say why.
    result.reply = failures.front().second;
    return result;
  }
  if (!failures.empty()) bounce_partial(host, message, failures);
  result.reply = make_reply(replies::Ok, fmt::format("Ok: delivered as {}", message.journey));
  return result;
}

}  // namespace mailflow
