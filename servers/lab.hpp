// The lab: every server of a world on one io_context, the event bus and its trace file,
// the users' Maildirs, and the ready file that tells test suites where everything is.
// `mailflow serve` is a thin command line around this class.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "servers/dns/dns_server.hpp"
#include "servers/imap/imap_server.hpp"
#include "servers/lab_mail.hpp"
#include "servers/lab_mailboxes.hpp"
#include "servers/net/asio.hpp"
#include "servers/net/lab_ca.hpp"
#include "servers/net/tls_faults.hpp"
#include "servers/pop3/pop3_server.hpp"
#include "servers/smtp/mail_relay.hpp"
#include "servers/smtp/smtp_server.hpp"
#include "sim/clock.hpp"
#include "sim/mail_queue.hpp"
#include "sim/event_bus.hpp"
#include "sim/fault.hpp"
#include "sim/maildir_store.hpp"
#include "sim/trace_writer.hpp"
#include "sim/world.hpp"

namespace mailflow {

namespace control {
class ControlServer;
}

struct LabOptions {
  std::filesystem::path state_dir = "state";
  // Trace file (JSON Lines); relative paths are inside the state directory. Empty: none.
  std::filesystem::path trace_file = "trace.jsonl";
  dns::DnsLimits dns_limits;
  smtp::SmtpLimits smtp_limits;
  pop3::Pop3Limits pop3_limits;
  imap::ImapLimits imap_limits;
  // Lab time runs this many times faster than real time (retries, queue lifetime), so a
  // "retry in 60 s" happens within a second or two with the default.
  double time_scale = 60.0;
  sim::RetryPolicy retry;
  // Lets SMTP clients use AUTH PLAIN/LOGIN, POP3 clients USER/PASS and AUTH PLAIN, and
  // IMAP clients LOGIN and AUTHENTICATE PLAIN without TLS first (RFC 4954 §4, RFC 2595 §4
  // say a server should refuse that): only for a demo of why it is a bad idea.
  bool allow_plaintext_auth = false;
  // Threads that run durable writes (Maildir delivery, queue enqueue) for the SMTP
  // sessions: fsync-bound, not CPU-bound, so more than the cores; concurrent writes share
  // group-commit passes (sim/group_sync.hpp).
  std::size_t durable_write_threads = 16;
  // The control API (servers/control): off unless asked for, so in-process labs in tests
  // do not compete for its port. Port 0: any free one.
  bool control_api = false;
  std::string control_address = "127.0.0.1";
  std::optional<std::uint16_t> control_port;  // unset: 8025 + the world's port offset
  smtp::ClientTimeouts relay_timeouts{std::chrono::seconds(5), std::chrono::seconds(30), std::chrono::seconds(30),
                                      std::chrono::seconds(30), std::chrono::seconds(60), std::chrono::seconds(60)};
};

// A server could not start: which one, where, and why, in words a user can act on.
class LabError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Lab {
 public:
  // Throws LabError when options.time_scale is not in (0, 100000].
  Lab(sim::World world, LabOptions options);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  // Creates the state directory and mailboxes, binds every listener. Throws LabError, also
  // when a limit fails its server's verify().
  void start();
  // Serves until stop() (from any thread, or a signal handler via the io_context).
  void run();
  void stop();

  net::asio::io_context& io() { return io_; }
  sim::EventBus& bus() { return bus_; }
  // The world as served: only the services this version of the lab really runs.
  const sim::World& served_world() const { return served_; }
  const LabOptions& options() const { return options_; }
  std::optional<net::udp::endpoint> dns_endpoint() const;
  // The lab CA's certificate (state/tls/ca.pem) that clients trust.
  std::filesystem::path ca_file() const;
  const sim::Clock& clock() const { return *clock_; }
  // Lab time jumps forward by `by` (a scenario's advance step); due retries run at once.
  void advance_time(std::chrono::nanoseconds by);
  // The lab's faults: declared by a scenario, switched on and off while it runs. The SMTP,
  // DNS, POP3 and IMAP servers ask them at their decision points (servers/smtp/smtp_faults.hpp,
  // servers/dns/dns_faults.hpp, the connect point in servers/net/tcp_listener.hpp).
  sim::FaultSet& faults() { return faults_; }
  // Makes `records` (one name and type, at least one record) the only records of that name
  // and type on every DNS server at once, as a zone edit on a real primary would (a
  // scenario's dns step). The relays' caches keep what they were told until its TTL runs
  // out in lab time, as real resolvers do. Publishes a state event naming the change.
  // Thread-safe. Returns "" or what is wrong with the records.
  std::string replace_records(const std::vector<sim::DnsRecordSpec>& records);
  // The authority the DNS servers answer from now.
  std::shared_ptr<const dns::Authority> authority() const;
  // Lab time since start(), as the faults' trigger windows count it.
  std::chrono::milliseconds lab_time() const;
  sim::MaildirStore& store() { return *store_; }
  // For the lab's own clients (the scenarios' senders): a journey id, and the registry
  // through which a client's connection tells the server which journey it carries.
  std::string new_journey_id();
  smtp::JourneyRegistry& journeys() { return journeys_; }

  // The control API's base URL ("http://127.0.0.1:18025"), "" when it is off.
  std::string control_url() const;
  // What the SMTP hosts' queues hold now, with the host of each. io thread only.
  std::vector<std::pair<std::string, sim::QueueEntry>> queued() const;
  // Back to the world's initial state (the control API's reset): every message and every
  // folder the world does not create is deleted, queued mail not being delivered this
  // moment is dropped, every fault is as its scenario declared it, DNS serves the world's
  // records again and the relays forget what they cached. io thread only.
  struct ResetReport {
    std::size_t messages_deleted = 0, folders_deleted = 0, queue_entries_dropped = 0, deliveries_in_flight = 0;
  };
  ResetReport reset();
  // Something changed a user's folder from outside the servers: IMAP sessions hear of it.
  void mailbox_changed(const std::string& address, const std::string& folder) { mail_arrived(address, folder); }

  // The ready file's document (DESIGN.md "Commands").
  nlohmann::json ready_document() const;
  // Written atomically (temporary file, then rename) so a reader never sees half of it.
  void write_ready_file(const std::filesystem::path& path) const;

 private:
  sim::World world_;
  sim::World served_;
  LabOptions options_;
  net::asio::io_context io_;
  sim::EventBus bus_;
  std::unique_ptr<sim::TraceWriter> trace_;
  std::unique_ptr<sim::MaildirStore> store_;
  std::vector<std::shared_ptr<sim::Mailbox>> mailboxes_;
  std::vector<std::unique_ptr<dns::DnsServer>> dns_servers_;
  mutable std::mutex authority_mutex_;
  std::shared_ptr<const dns::Authority> authority_;  // guarded by authority_mutex_
  std::unique_ptr<sim::ScaledClock> clock_;
  sim::FaultSet faults_;
  std::chrono::system_clock::time_point started_{};  // lab time at start()
  std::optional<net::LabCa> ca_;
  // The certificates the TLS certificate faults present, issued by ca_ on first use.
  std::unique_ptr<net::TlsFaultCertificates> tls_fault_certificates_;
  std::map<std::string, std::shared_ptr<net::asio::ssl::context>> server_tls_;  // by host name
  std::unique_ptr<LabMail> mail_;
  smtp::JourneyRegistry journeys_;  // relays announce their connections to the MX sessions
  std::vector<std::unique_ptr<sim::MailQueue>> queues_;
  std::vector<std::unique_ptr<smtp::MailRelay>> relays_;
  std::vector<std::unique_ptr<smtp::SmtpServer>> smtp_servers_;
  // Joined in ~Lab before the io_context's last poll, so every write finishes and its
  // session sees the result.
  std::unique_ptr<net::asio::thread_pool> durable_writes_;

  std::unique_ptr<LabMailboxes> mailbox_services_;  // for the POP3 and IMAP servers
  std::vector<std::unique_ptr<pop3::Pop3Server>> pop3_servers_;
  std::vector<std::unique_ptr<imap::ImapServer>> imap_servers_;
  std::unique_ptr<control::ControlServer> control_;

  void start_control();  // lab_control.cpp

  void start_dns();
  void start_smtp();
  // After start_smtp(): they need the CA and LabMail's authenticate.
  void start_pop3();
  void start_imap();
  template <class Server, class Config, class Finish>
  void start_mailbox_servers(sim::Service plain, sim::Service implicit_tls,
                             std::vector<std::unique_ptr<Server>>& servers, Finish finish);
  // A host's address and TLS context for a server of `service` on it; throws LabError.
  net::asio::ip::address address_of(const sim::Host& host) const;
  std::shared_ptr<net::asio::ssl::context> server_tls_of(const sim::Host& host);
  // What the servers call for the faults' trigger windows.
  std::function<std::chrono::milliseconds()> lab_time_source() const;
  // The faults changed (any thread): the listeners re-read server_down on the io thread.
  void faults_changed();
  // A message arrived in a user's folder (from any thread): IDLE sessions hear of it now.
  void mail_arrived(const std::string& address, const std::string& folder);
};

// Copies every field the world's `settings:` section sets onto the options (smtp_limits,
// dns_limits, retry, time_scale, allow_plaintext_auth) and leaves the rest at their
// defaults, so LabOptions stays the one place the servers read their limits from. Nothing
// is checked here: Lab's constructor and start() run the servers' verify() and name the
// world's settings in the LabError.
void apply_world_settings(const sim::LabSettings& settings, LabOptions& options);

// The services this build implements; the rest of a world's services are not started yet.
bool lab_implements(sim::Service service);

}  // namespace mailflow
