// One IMAP connection, server side, as one C++20 coroutine that reads like RFC 3501:
// greet with CAPABILITY, then read a command (lines and literals, CommandReader) → parse
// (parse_command) → dispatch through the command table → untagged data and a tagged
// status. STARTTLS (RFC 2595 §3.1) discards what was pipelined in plaintext; LOGIN and
// AUTHENTICATE are refused (LOGINDISABLED) before TLS unless the world allows plaintext.
// The selected folder is a snapshot of (seq → uid, flags); changes by other sessions are
// reported as EXISTS / EXPUNGE / FETCH FLAGS at the points RFC 3501 §5.2 allows (after
// NOOP, CHECK, IDLE, FETCH, STORE, SEARCH; never EXPUNGE during FETCH/STORE/SEARCH).
// Every command, response, login, fetch, flag change and expunge is an event; those about
// one message carry its journey id (X-Mailflow-Journey, read once per message and session).
// Cost: the snapshot keeps each message's size and internal date, so FETCH of FLAGS, UID,
// RFC822.SIZE and INTERNALDATE reads no file, headers-only items read only the header,
// and the store is re-listed only when its FolderStamp says the folder changed.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl.hpp>

#include "servers/imap/imap_command.hpp"
#include "servers/imap/imap_command_reader.hpp"
#include "servers/imap/imap_message_cache.hpp"
#include "servers/imap/imap_search_eval.hpp"
#include "servers/imap/imap_server.hpp"
#include "servers/net/asio.hpp"
#include "servers/net/blocking.hpp"
#include "servers/net/deadline.hpp"
#include "servers/net/line_buffer.hpp"

namespace mailflow::imap {

enum class ImapState { NotAuthenticated, Authenticated, Selected, Logout };
std::string_view imap_state_name(ImapState s);

// Maildir flag letters <-> IMAP flags. Lower-case letter 'a' + i is keyword i of the
// folder (sim/maildir_keywords.hpp); a letter the folder does not name is not shown.
std::string imap_flags_of(std::string_view letters, bool recent, const std::vector<std::string>& keywords = {});
struct RequestedFlags {
  std::string letters;                // the system flags as sorted Maildir letters
  std::vector<std::string> keywords;  // as the client wrote them
};
// nullopt for a flag that can never be stored: an unknown "\Name" (\Recent is ignored).
std::optional<RequestedFlags> requested_flags(const std::vector<std::string>& flags);

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
    std::uint64_t size = 0;
    sim::TimePoint internal_date{};
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
  // The first bytes of the connection (net/mismatch.hpp): a client speaking TLS, HTTP or
  // another protocol here gets an event naming its mistake. Only the first read looks.
  void diagnose_first_bytes(std::string_view bytes);
  // Implicit TLS: peeks at what the client sent before the handshake reads it.
  net::awaitable<void> peek_before_implicit_tls();

  // The selected folder: resync with the store, reporting changes as untagged data.
  // Without `force` nothing is listed while the folder's stamp is unchanged.
  void sync(bool allow_expunge, bool force = false);
  void deselect();
  // This session just made `count` changes to the selected folder and put them in view_:
  // keep the stamp current unless someone else changed the folder too.
  void own_changes(std::size_t count);
  // Sequence numbers (1-based indexes into view_) the set names, ascending.
  std::vector<std::size_t> resolve(const SequenceSet& set, bool uid) const;
  // view_ index of the message with this UID, or nullopt (binary search: view_ is sorted).
  std::optional<std::size_t> index_of_uid(std::uint32_t uid) const;
  void mark_recent(const std::vector<std::uint32_t>& uids);

  // Keywords of the selected folder (imap_session_keywords.cpp).
  std::string flags_text(const ViewMessage& v);
  void load_keywords(bool announce);
  std::string flag_list_text(bool permanent) const;
  // Maildir letters for a STORE or APPEND into `folder`; a NO is already sent when nullopt.
  std::optional<std::string> letters_for(const Command& c, const std::vector<std::string>& flags,
                                         const std::string& folder, bool create);
  std::vector<std::string> flag_names(std::string_view letters) const;

  // As much of a message of the selected folder as `need` says (Header: the header
  // section with its empty line); nullopt when it cannot be read (expunged meanwhile).
  std::optional<std::string> message_content(std::uint32_t uid, MessageContent need);
  bool observed() const;  // someone reads events: worth computing their journey ids
  // Reports these UIDs as EXPUNGEd (RFC 3501 §7.4.1) and drops them from view_.
  void report_expunged(const std::vector<std::uint32_t>& uids);

  // The journey id of a message of the selected folder ("" when it has none); `text`,
  // when given, is the message or its header, so no file is read.
  std::string journey_of(std::uint32_t uid, std::string_view text = {});

  // APPEND, COPY, MOVE and EXPUNGE write and fsync through here (net::run_blocking).
  // While write_pool() is null the work runs inline on the io thread; with a pool it runs
  // there and the session resumes on its own executor, other sessions going on meanwhile.
  // So the work may only use the (thread-safe) Mailbox and its captures, never members.
  template <class Work>
  net::awaitable<std::invoke_result_t<Work&>> run_write(Work work) {
    co_return co_await net::run_blocking(write_pool(), std::move(work));
  }
  // The pool for durable writes; null: inline.
  net::asio::thread_pool* write_pool() const { return config_.durable_writes; }

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
  net::awaitable<std::vector<std::uint32_t>> expunge_deleted(const SequenceSet* uids);
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
  bool first_read_done_ = false;  // diagnose_first_bytes has looked
  const sim::User* user_ = nullptr;
  std::shared_ptr<sim::Mailbox> mailbox_;
  std::string folder_;  // selected folder as the store names it
  bool read_only_ = false;
  std::vector<ViewMessage> view_;
  // The store's stamp for what view_ shows; nullopt when view_ may be behind it.
  std::optional<sim::FolderStamp> view_stamp_;
  std::vector<std::string> keywords_;  // the selected folder's, index = letter - 'a'
  bool keywords_reloaded_ = false;     // once per command, for a letter keywords_ lacks
  // ENVELOPE and journey ids of the selected folder's messages, shared with every session
  // of the server (imap_message_cache.hpp); null while no folder is selected.
  std::shared_ptr<FolderFacts> facts_;
  std::set<std::string> unsubscribed_;  // every folder is subscribed until UNSUBSCRIBE
  std::size_t bad_commands_ = 0;
  std::size_t auth_failures_ = 0;
  bool idling_ = false;
  bool change_pending_ = false;
  std::optional<std::string> farewell_;
  bool logout_ = false;
};

}  // namespace mailflow::imap
