// parse_command: one whole IMAP command (as CommandReader assembled it, literals inline)
// into a typed Command, or the text of the BAD that answers it.
//
// RFC 3501 §6 (every IMAP4rev1 command and its arguments), §9 (the formal syntax),
// §5.1 (INBOX is case-insensitive), RFC 2177 (IDLE), RFC 2342 (NAMESPACE), RFC 2971 (ID,
// at most 30 field-value pairs), RFC 3691 (UNSELECT), RFC 4315 (UID EXPUNGE), RFC 4959
// (AUTHENTICATE's initial response), RFC 5161 (ENABLE), RFC 6851 (MOVE, UID MOVE),
// RFC 7888 (LITERAL+ literals, read by ImapScanner).
// No I/O and no state: which commands a state allows, whether a sequence number exists
// and what a mailbox name maps to are the session's checks. Mailbox names stay in the
// modified UTF-7 the client sent (decode_mailbox_name in imap_string.hpp decodes them).
//
// The session's side, with CommandReader (imap_command_reader.hpp):
//   auto parsed = parse_command(reader.text(), limits);
//   if (!parsed.command) reply(parsed.tag.empty() ? "*" : parsed.tag, "BAD", parsed.code, parsed.error);
//   else dispatch(*parsed.command);  // std::visit over parsed.command->args
// Leaves out: LIST-EXTENDED selection and return options, ESEARCH's RETURN, CONDSTORE
// modifiers, MULTIAPPEND, CATENATE, COMPRESS.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "servers/imap/imap_date.hpp"
#include "servers/imap/imap_fetch_items.hpp"
#include "servers/imap/imap_limits.hpp"
#include "servers/imap/imap_search.hpp"
#include "servers/imap/imap_sequence.hpp"

namespace mailflow::imap {

struct CodeSpec;

enum class CommandName {
  Capability, Noop, Logout, StartTls, Authenticate, Login,                        // any state
  Select, Examine, Create, Delete, Rename, Subscribe, Unsubscribe, List, Lsub,    // authenticated
  Status, Append, Idle, Enable, Id, Namespace,
  Check, Close, Expunge, Search, Fetch, Store, Copy, Move, Unselect,              // selected
};

// SELECT, EXAMINE, CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE.
struct MailboxArgs { std::string mailbox; bool operator==(const MailboxArgs&) const = default; };
struct LoginArgs { std::string user, password; bool operator==(const LoginArgs&) const = default; };
struct AuthenticateArgs {
  std::string mechanism;                    // upper case: "PLAIN"
  std::optional<std::string> initial_response;  // RFC 4959: base64 as sent, "=" for empty
  bool operator==(const AuthenticateArgs&) const = default;
};
struct RenameArgs { std::string from, to; bool operator==(const RenameArgs&) const = default; };
// LIST and LSUB: reference and pattern with "*" and "%" (RFC 3501 §6.3.8).
struct ListArgs { std::string reference, pattern; bool operator==(const ListArgs&) const = default; };
enum class StatusItem { Messages, Recent, UidNext, UidValidity, Unseen };
struct StatusArgs {
  std::string mailbox;
  std::vector<StatusItem> items;
  bool operator==(const StatusArgs&) const = default;
};
struct AppendArgs {
  std::string mailbox;
  std::vector<std::string> flags;  // "\Seen", keywords
  std::optional<DateTime> internal_date;
  std::string message;  // the literal's octets
  bool operator==(const AppendArgs&) const = default;
};
// FETCH and UID FETCH; for UID FETCH the items always include FetchItem::Kind::Uid
// (RFC 3501 §6.4.8), added by the parser when the client left it out.
struct FetchArgs {
  SequenceSet set;
  std::vector<FetchItem> items;
  bool operator==(const FetchArgs&) const = default;
};
struct StoreArgs {
  enum class Mode { Replace, Add, Remove };  // FLAGS, +FLAGS, -FLAGS
  SequenceSet set;
  Mode mode = Mode::Replace;
  bool silent = false;  // .SILENT: no untagged FETCH back (RFC 3501 §6.4.6)
  std::vector<std::string> flags;
  bool operator==(const StoreArgs&) const = default;
};
// COPY, MOVE and their UID forms.
struct CopyArgs {
  SequenceSet set;
  std::string mailbox;
  bool operator==(const CopyArgs&) const = default;
};
// EXPUNGE has none; UID EXPUNGE (RFC 4315 §2.1) names the UIDs it may remove.
struct ExpungeArgs {
  std::optional<SequenceSet> uids;
  bool operator==(const ExpungeArgs&) const = default;
};
struct EnableArgs { std::vector<std::string> capabilities; bool operator==(const EnableArgs&) const = default; };
// ID: the client's field-value pairs; an empty list for "ID NIL".
struct IdArgs {
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
  bool operator==(const IdArgs&) const = default;
};

using CommandArgs = std::variant<std::monostate, MailboxArgs, LoginArgs, AuthenticateArgs, RenameArgs, ListArgs,
                                 StatusArgs, AppendArgs, FetchArgs, StoreArgs, CopyArgs, ExpungeArgs, EnableArgs,
                                 IdArgs, SearchCriteria>;

struct Command {
  std::string tag;
  CommandName name = CommandName::Noop;
  bool uid = false;   // "UID FETCH" etc.: sets and results are UIDs
  CommandArgs args;   // std::monostate for commands without arguments
};

struct ParseResult {
  std::optional<Command> command;
  std::string tag;                  // as far as it could be read: "" means answer "* BAD"
  std::string error;                // when !command: the BAD text for the client
  const CodeSpec* code = nullptr;   // when !command: a response code for the BAD, or nullptr
};

ParseResult parse_command(std::string_view text, const ImapLimits& limits);

// "FETCH", "UID FETCH" is the caller's; "UNKNOWN" never happens (every enumerator named).
std::string_view command_name(CommandName name);

}  // namespace mailflow::imap
