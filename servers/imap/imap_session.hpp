// One IMAP connection, server side, as one C++20 coroutine that reads like RFC 3501:
// greet with CAPABILITY, then read a command (lines and literals, CommandReader) → parse
// (parse_command) → dispatch through the command table → untagged data and a tagged
// status. STARTTLS (RFC 2595 §3.1) discards what was pipelined in plaintext; LOGIN and
// AUTHENTICATE are refused (LOGINDISABLED) before TLS unless the world allows plaintext.
// The selected folder is a snapshot of (seq → uid, flags); changes by other sessions are
// reported as EXISTS / EXPUNGE / FETCH FLAGS at the points RFC 3501 §5.2 allows (after
// NOOP, CHECK, IDLE, FETCH, STORE, SEARCH; never EXPUNGE during FETCH/STORE/SEARCH).
// Every command, response, login, fetch, flag change and expunge is an event.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "servers/imap/imap_command.hpp"
#include "servers/imap/imap_command_reader.hpp"
#include "servers/imap/imap_server.hpp"
#include "servers/net/asio.hpp"
#include "servers/net/deadline.hpp"
#include "servers/net/line_buffer.hpp"

namespace mailflow::imap {

enum class ImapState { NotAuthenticated, Authenticated, Selected, Logout };
std::string_view imap_state_name(ImapState s);

// Maildir flag letters <-> IMAP system flags.
std::string imap_flags_of(std::string_view letters, bool recent);
// nullopt when a flag has no Maildir letter (keywords are not kept yet).
std::optional<std::string> letters_of(const std::vector<std::string>& flags);

class ImapSession : public std::enable_shared_from_this<ImapSession> {
 public:
  ImapSession(ImapServer& server, net::tcp::socket socket, std::string client_ip);

  void start();
  void shut_down();  // "* BYE" at the next chance, then close
  // Another session changed this user's folder: an IDLE here reports it.
  void notify_change(const std::string& address, const std::string& folder);

 private:
  using Handler = net::awaitable<void> (ImapSession::*)(const Command&);
  struct CommandSpec {
    CommandName name;
    Handler handler;
    int states;  // bit mask of ImapState values where the command is allowed
  };
  static const CommandSpec kCommands[];

  // One message of the selected folder as this session last reported it.
  struct ViewMessage {
    std::uint32_t uid = 0;
    std::string letters;
    bool recent = false;  // \Recent for this session
  };

  net::awaitable<void> run();
  net::awaitable<void> dialogue();
  net::awaitable<std::optional<std::string>> read_line();
  net::awaitable<std::string> read_bytes(std::size_t n);
  net::awaitable<void> read_some();
  net::awaitable<void> flush();
  void untagged(std::string text);
  void tagged(const Command& c, std::string_view status, std::string text);
  void bad(std::string_view tag, std::string text);
  void publish(sim::EventKind kind, std::string line, std::string journey = {});
  std::string capability() const;
  bool login_allowed() const { return tls_active_ || config_.allow_plaintext_auth; }
  net::awaitable<void> handshake();

  // The selected folder: resync with the store, reporting changes as untagged data.
  void sync(bool allow_expunge);
  void deselect();
  // Sequence numbers (1-based indexes into view_) the set names.
  std::vector<std::size_t> resolve(const SequenceSet& set, bool uid) const;
  std::optional<std::string> folder_name(std::string_view mailbox) const;
  void changed();  // tell the server the selected folder changed

  // imap_session_auth.cpp
  net::awaitable<void> on_capability(const Command&);
  net::awaitable<void> on_noop(const Command&);
  net::awaitable<void> on_logout(const Command&);
  net::awaitable<void> on_starttls(const Command&);
  net::awaitable<void> on_login(const Command&);
  net::awaitable<void> on_authenticate(const Command&);
  net::awaitable<void> on_id(const Command&);
  net::awaitable<void> on_enable(const Command&);
  net::awaitable<void> on_namespace(const Command&);
  net::awaitable<void> on_idle(const Command&);
  void finish_login(const Command& c, const std::string& login, const std::string& password);

  // imap_session_mailbox.cpp
  net::awaitable<void> on_select(const Command&);
  net::awaitable<void> on_list(const Command&);
  net::awaitable<void> on_status(const Command&);
  net::awaitable<void> on_create(const Command&);
  net::awaitable<void> on_delete(const Command&);
  net::awaitable<void> on_rename(const Command&);
  net::awaitable<void> on_subscribe(const Command&);
  net::awaitable<void> on_append(const Command&);
  net::awaitable<void> on_close(const Command&);
  net::awaitable<void> on_expunge(const Command&);

  // imap_session_messages.cpp
  net::awaitable<void> on_fetch(const Command&);
  net::awaitable<void> on_store(const Command&);
  net::awaitable<void> on_search(const Command&);
  net::awaitable<void> on_copy(const Command&);

  ImapServer& server_;
  const ImapServerConfig& config_;
  net::asio::ssl::stream<net::tcp::socket> stream_;
  std::shared_ptr<net::Deadline> deadline_;
  net::LineBuffer input_;
  CommandReader reader_;
  std::string output_;
  std::string client_ip_;
  std::string peer_;
  std::uint64_t id_;

  ImapState state_ = ImapState::NotAuthenticated;
  bool tls_active_ = false;
  const sim::User* user_ = nullptr;
  std::shared_ptr<sim::Mailbox> mailbox_;
  std::string folder_;  // selected folder as the store names it
  bool read_only_ = false;
  std::vector<ViewMessage> view_;
  std::set<std::string> unsubscribed_;  // every folder is subscribed until UNSUBSCRIBE
  std::size_t bad_commands_ = 0;
  std::size_t auth_failures_ = 0;
  bool idling_ = false;
  bool change_pending_ = false;
  std::optional<std::string> farewell_;
  bool logout_ = false;
};

}  // namespace mailflow::imap
