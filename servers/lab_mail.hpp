// What the lab's SMTP servers do with mail: the SmtpServices the sessions call. MX hosts
// check recipients against the world and deliver into the users' Maildirs; submission hosts
// put accepted mail on their own queue, from which their MailRelay delivers it through DNS.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "servers/smtp/mail_relay.hpp"
#include "servers/smtp/smtp_server.hpp"
#include "sim/clock.hpp"
#include "sim/event_bus.hpp"
#include "sim/maildir_store.hpp"
#include "sim/world.hpp"

namespace mailflow {

class LabMail : public smtp::SmtpServices {
 public:
  LabMail(const sim::World& world, sim::MaildirStore& store, const sim::Clock& clock, sim::EventBus* bus);

  // Each SMTP host's relay (and queue); the lab registers them as it creates them.
  void add_relay(const std::string& host, smtp::MailRelay* relay) { relays_[host] = relay; }

  std::optional<smtp::SmtpReply> check_local_recipient(const std::string& host, const std::string& recipient) override;
  const sim::User* authenticate(const std::string& login, const std::string& password) override;
  smtp::AcceptResult accept(const std::string& host, smtp::SmtpRole role, smtp::AcceptedMessage message) override;
  std::string reverse_name(const std::string& address) override;
  std::string new_journey_id() override;

  // Called after every local delivery, on the thread that stored it, with the recipient's
  // address and folder. Set before the servers start.
  using DeliveryListener = std::function<void(const std::string& address, const std::string& folder)>;
  void on_delivered(DeliveryListener listener) { delivered_ = std::move(listener); }

  // True when `host` is one of `domain`'s MX hosts in the world.
  bool serves_domain(const std::string& host, const std::string& domain) const;

 private:
  struct LocalRecipient {
    std::string domain;             // the recipient's domain ("" only if none is served)
    bool served = false;            // this host is an MX of that domain
    const sim::User* user = nullptr;  // whose mailbox takes the mail, null when unknown
  };
  LocalRecipient find_local_recipient(const std::string& host, const std::string& recipient) const;
  smtp::AcceptResult deliver_locally(const std::string& host, smtp::AcceptedMessage message);
  smtp::AcceptResult enqueue(const std::string& host, smtp::AcceptedMessage message);
  // Gives the message its journey id (a new one when it has none) and writes it into the
  // X-Mailflow-Journey header, so every later hop, reader and the control API find it.
  void stamp_journey(smtp::AcceptedMessage& message);
  void bounce_partial(const std::string& host, const smtp::AcceptedMessage& message,
                      const std::vector<std::pair<std::string, smtp::SmtpReply>>& failures);
  void publish(sim::EventKind kind, const std::string& host, const std::string& journey, std::string line, int code = 0,
               std::string status = {});

  const sim::World& world_;
  sim::MaildirStore& store_;
  const sim::Clock& clock_;
  sim::EventBus* bus_;
  std::map<std::string, smtp::MailRelay*> relays_;
  DeliveryListener delivered_;
  std::atomic<std::uint64_t> journeys_{0};  // accept() runs on several threads
};

}  // namespace mailflow
