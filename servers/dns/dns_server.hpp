// The lab's authoritative DNS server over UDP and TCP (RFC 1035 §4.2, RFC 7766), the
// "address directory" the post offices consult. Answers come from an Authority (pure);
// this file only moves bytes, enforces limits and publishes every query and answer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "servers/dns/dns_zone.hpp"
#include "servers/net/asio.hpp"
#include "sim/event_bus.hpp"
#include "sim/fault.hpp"

namespace mailflow::dns {

// Every limit of the DNS server, with the RFC or common value as the default.
struct DnsLimits {
  // Largest UDP payload we send and offer in our OPT record (DNS flag day 2020: 1232).
  std::size_t udp_max_payload = 1232;
  // Simultaneous TCP connections; more are closed at once (RFC 7766 §6.2.2 wants a cap).
  std::size_t max_tcp_connections = 64;
  // A TCP connection with no complete query for this long is closed (RFC 7766 §6.2.3).
  std::chrono::milliseconds tcp_idle_timeout{10'000};
  // Queries answered on one TCP connection before it is closed.
  std::size_t max_tcp_queries_per_connection = 10'000;
  // Pause in the accept loop when the process is out of file descriptors.
  std::chrono::milliseconds accept_backoff{100};

  // Empty when the limits make sense, else what is wrong.
  std::string verify() const;
};

struct DnsStats {
  std::atomic<std::uint64_t> udp_queries{0};
  std::atomic<std::uint64_t> tcp_queries{0};
  std::atomic<std::uint64_t> dropped{0};       // responses sent to us, runts
  std::atomic<std::uint64_t> malformed{0};     // answered FORMERR
  std::atomic<std::uint64_t> truncated{0};     // answered with TC over UDP
  std::atomic<std::uint64_t> tcp_refused{0};   // connections over the cap
};

// Not thread-safe: start, stop, the destructor and the accessors belong on the io_context's
// thread (post to it from elsewhere); set_authority() is safe from any thread.
class DnsServer {
 public:
  enum class Transport { Udp, Tcp };

  DnsServer(net::asio::io_context& io, std::shared_ptr<const Authority> authority, sim::EventBus* bus,
            std::string host_name, net::asio::ip::address address, std::uint16_t port, DnsLimits limits = {});
  ~DnsServer();

  // Binds the UDP socket and the TCP listener and starts serving; throws
  // boost::system::system_error when an address cannot be bound.
  void start();
  // Closes both sockets and every TCP connection; run() returns once they are gone.
  void stop();

  // The lab's faults at the DnsQuery point (dns_faults.hpp), asked for each question with
  // the question's name as the domain; lab_time as for the SMTP servers. Before start().
  void set_faults(sim::FaultSet* faults, std::function<std::chrono::milliseconds()> lab_time);

  // Swaps the zone data (a scenario changing a record); queries in flight finish on the old.
  void set_authority(std::shared_ptr<const Authority> authority);

  net::udp::endpoint udp_endpoint() const { return udp_.local_endpoint(); }
  net::tcp::endpoint tcp_endpoint() const { return acceptor_.local_endpoint(); }
  const DnsStats& stats() const { return stats_; }
  const std::string& host_name() const { return host_name_; }
  std::size_t open_tcp_connections() const { return tcp_sessions_.size(); }

  // One query in, the response bytes out (nullopt: send nothing). Public for tests.
  std::optional<std::vector<std::uint8_t>> handle(std::span<const std::uint8_t> query, const std::string& peer,
                                                  std::uint64_t session, Transport transport);

 private:
  class TcpSession;
  net::awaitable<void> udp_loop();
  net::awaitable<void> accept_loop();
  std::shared_ptr<const Authority> authority() const;
  void publish(sim::EventKind kind, const std::string& peer, std::uint64_t session, std::string line, int code);
  // Applies a fault that fires for this question; false when nothing may be sent.
  bool apply_faults(const Authority& authority, const Message& query, Message& response, const std::string& peer,
                    std::uint64_t session);

  net::asio::io_context& io_;
  mutable std::mutex authority_mutex_;
  std::shared_ptr<const Authority> authority_;
  sim::EventBus* bus_;
  std::string host_name_;
  net::asio::ip::address address_;
  std::uint16_t port_;
  DnsLimits limits_;
  net::udp::socket udp_;
  net::tcp::acceptor acceptor_;
  std::set<std::shared_ptr<TcpSession>> tcp_sessions_;
  DnsStats stats_;
  bool stopping_ = false;
  sim::FaultSet* faults_ = nullptr;
  std::function<std::chrono::milliseconds()> lab_time_;
};

// "beta.test. IN MX" — the question, as events and logs show it.
std::string describe_question(const Message& query);
// "NOERROR 1 answer: beta.test. 300 IN MX 10 mx.beta.test." — the answer in one line.
std::string describe_answer(const Message& response);

}  // namespace mailflow::dns
