// The post office's sorting room: one MailRelay per SMTP host delivers what its queue holds
// (RFC 5321 §4.5.4, §5). For each due message it groups the pending recipients by domain,
// asks the lab's DNS for the domain's mail route (MX by preference, the implicit MX of an A
// record, null MX), tries the hosts in order as a real SMTP client, and records each
// recipient's outcome: 2xx delivered, 5xx failed, 4xx / no connection / DNS trouble
// deferred with back-off (RetryPolicy, in lab time). When no recipient is pending the
// failed ones are reported to the sender in one RFC 3464 bounce, queued here like any
// message; a message past its lifetime bounces its pending recipients too.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/ssl.hpp>

#include "servers/dns/dns_resolver.hpp"
#include "servers/net/asio.hpp"
#include "servers/smtp/smtp_client.hpp"
#include "sim/clock.hpp"
#include "sim/event_bus.hpp"
#include "sim/mail_queue.hpp"

namespace mailflow::smtp {

struct MailRelayConfig {
  std::string host_name;  // "smtp.alpha.test": EHLO name, Reporting-MTA
  std::optional<net::asio::ip::address> address;  // connections leave from this address
  net::udp::endpoint dns;  // the lab's DNS server
  dns::ResolverOptions resolver;  // server is set from `dns`
  bool cache_dns = true;  // answers kept for their TTL in the relay's (lab) clock
  std::shared_ptr<net::asio::ssl::context> tls;  // client context trusting the lab CA
  ClientTimeouts timeouts;
  sim::RetryPolicy retry;
  // The SMTP port a mail host listens on: the lab maps addresses of the world to their
  // hosts' ports (25 + offset), and any other address to 25 + offset as well.
  std::function<std::uint16_t(const net::asio::ip::address&)> smtp_port;
  std::size_t max_parallel_deliveries = 16;
  JourneyRegistry* journeys = nullptr;  // our connections are announced here
};

class MailRelay {
 public:
  MailRelay(net::asio::io_context& io, MailRelayConfig config, sim::MailQueue& queue, const sim::Clock& clock,
            sim::EventBus* bus);

  // Loads what the queue holds (a restart resumes it) and starts delivering.
  void start();
  void stop();
  // A new entry was queued: look at the queue now rather than at the next tick.
  void wake();

  // Queues an entry (used by the lab's submission servers); durable before it returns.
  // Safe from any thread: the relay picks the entry up on the io thread.
  sim::StoreValue<sim::QueueEntry> enqueue(std::string sender, std::vector<std::string> recipients,
                                           std::string_view message, std::string journey, std::string received_from);

  std::size_t in_flight() const { return in_flight_.size(); }
  const std::string& host_name() const { return config_.host_name; }
  // What the queue holds now, by id. io thread only (like every member below).
  std::vector<sim::QueueEntry> queued() const;
  // Drops every entry not being delivered this moment, from memory and disk (the lab's
  // reset); a delivery under way ends as it ends. Returns how many were dropped.
  std::size_t discard_waiting();
  // Forgets every cached DNS answer (the lab's reset). io thread only.
  void clear_dns_cache() {
    if (auto* cache = resolver_->cache()) cache->clear();
  }

 private:
  net::awaitable<void> run();
  net::awaitable<void> attempt(std::string id);
  net::awaitable<void> deliver_domain(sim::QueueEntry& entry, const std::string& message, const std::string& domain);
  void finish(sim::QueueEntry& entry, const std::string& message);
  void bounce(const sim::QueueEntry& entry, const std::string& message);
  void publish(sim::EventKind kind, const std::string& journey, std::string line, int code = 0,
               std::string status = {}, std::string peer = {});

  net::asio::io_context& io_;
  MailRelayConfig config_;
  sim::MailQueue& queue_;
  const sim::Clock& clock_;
  sim::EventBus* bus_;
  std::unique_ptr<dns::Resolver> resolver_;
  net::asio::steady_timer wake_timer_;
  std::map<std::string, sim::QueueEntry> entries_;  // what the queue holds, by id
  std::set<std::string> in_flight_;
  bool stopping_ = false;
};

}  // namespace mailflow::smtp
