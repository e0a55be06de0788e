// The maildrop as one POP3 session sees it, and the lock that gives a session exclusive
// access to it. No I/O: the session fills the snapshot from the store at login and
// applies its deletions at UPDATE.
//
// RFC 1939 §5: "each message is assigned a message-number ... the first message in the
// maildrop is message-number 1"; numbers do not change during the session, and deleted
// messages keep their numbers but are not counted or listed. RFC 1939 §8 ("the POP3
// server ... acquires an exclusive-access lock on the maildrop") and RFC 2449 §8.1.1
// ([IN-USE]); RFC 2449 §8.1.2 ([LOGIN-DELAY]).
// Leaves out: locks shared with other processes (the lab runs its POP3 servers in one).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mailflow::pop3 {

struct DropMessage {
  std::uint32_t uid = 0;    // the store's UID (INBOX)
  std::uint64_t size = 0;   // octets, as LIST and STAT report them
  std::string unique_id;    // UIDL
  bool deleted = false;     // DELE'd in this session
  bool retrieved = false;   // RETR'd in this session (Seen at UPDATE)
  std::string journey;      // X-Mailflow-Journey, once the message was read
};

class Maildrop {
 public:
  Maildrop() = default;
  explicit Maildrop(std::vector<DropMessage> messages) : messages_(std::move(messages)) {}

  enum class Lookup { Found, NoSuchMessage, Deleted };
  struct Found {
    Lookup status = Lookup::NoSuchMessage;
    DropMessage* message = nullptr;
  };
  // Message `number` (1-based, from the login snapshot).
  Found find(std::uint64_t number);

  std::size_t count() const;       // not deleted
  std::uint64_t octets() const;    // of those not deleted
  std::size_t total() const { return messages_.size(); }  // deleted ones included
  std::vector<DropMessage>& messages() { return messages_; }
  const std::vector<DropMessage>& messages() const { return messages_; }
  // RFC 1939 §5 RSET: every deletion mark is removed.
  void undelete_all();

 private:
  std::vector<DropMessage> messages_;
};

// Exclusive access to maildrops by address, for every POP3 server of a lab (POP3 and
// POP3S on the same host, and any other host serving the same users). Thread-safe.
class MaildropLocks {
 public:
  MaildropLocks();

  // Held while a session is in TRANSACTION; releases the maildrop when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept;
    ~Lease();
    explicit operator bool() const { return state_ != nullptr; }

   private:
    friend class MaildropLocks;
    struct State;
    Lease(std::shared_ptr<State> state, std::string address);
    void release();
    std::shared_ptr<State> state_;
    std::string address_;
  };

  // An empty lease when another session holds the maildrop.
  Lease try_lock(const std::string& address);
  // RFC 2449 §8.1.2: with delay > 0, the time left before `address` may log in again
  // (nullopt: it may now). Logins are recorded by note_login().
  std::optional<std::chrono::seconds> login_delay_left(const std::string& address, std::chrono::seconds delay,
                                                       std::chrono::steady_clock::time_point now) const;
  void note_login(const std::string& address, std::chrono::steady_clock::time_point now);
  bool locked(const std::string& address) const;

 private:
  std::shared_ptr<Lease::State> state_;
};

struct MaildropLocks::Lease::State {
  mutable std::mutex mutex;
  std::set<std::string> held;  // addresses whose maildrop a session holds
  std::map<std::string, std::chrono::steady_clock::time_point> last_login;
};

}  // namespace mailflow::pop3
