// IMAP command parsing: see imap_command.hpp. Each command's parser starts with its
// RFC 3501 §9 ABNF line and reads what follows the command name.
#include "servers/imap/imap_command.hpp"

#include <algorithm>
#include <array>

#include "servers/imap/imap_scanner.hpp"
#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using Parser = bool (*)(ImapScanner&, const ImapLimits&, Command&);

// mailbox = "INBOX" / astring; INBOX in any case is INBOX (RFC 3501 §5.1).
std::optional<std::string> mailbox(ImapScanner& in) {
  auto name = in.astring();
  if (name && sim::ascii_iequals(*name, "INBOX")) *name = "INBOX";
  return name;
}

bool set_of(ImapScanner& in, SequenceSet& out) {
  auto text = in.until_delimiter();
  if (!text) return false;
  auto parsed = SequenceSet::parse(*text);
  if (!parsed) return in.fail("Bad sequence set");
  out = std::move(*parsed);
  return true;
}

// flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
std::optional<std::string> flag(ImapScanner& in) {
  bool system = in.accept('\\');
  auto name = in.atom();
  if (!name) return std::nullopt;
  return system ? "\\" + *name : *name;
}

// flag-list = "(" [flag *(SP flag)] ")"
bool flag_list(ImapScanner& in, std::vector<std::string>& flags) {
  if (!in.open_list()) return false;
  while (in.ok() && !in.peek_is(')')) {
    auto f = flag(in);
    if (!f) return false;
    flags.push_back(std::move(*f));
    if (!in.peek_is(')') && !in.space()) return false;
  }
  return in.close_list();
}

bool no_arguments(ImapScanner&, const ImapLimits&, Command&) { return true; }

// select = "SELECT" SP mailbox (likewise EXAMINE CREATE DELETE SUBSCRIBE UNSUBSCRIBE)
bool one_mailbox(ImapScanner& in, const ImapLimits&, Command& c) {
  auto m = in.space() ? mailbox(in) : std::nullopt;
  if (m) c.args = MailboxArgs{std::move(*m)};
  return m.has_value();
}

// login = "LOGIN" SP userid SP password
bool login(ImapScanner& in, const ImapLimits&, Command& c) {
  auto user = in.space() ? in.astring() : std::nullopt;
  auto password = in.space() ? in.astring() : std::nullopt;
  if (!user || !password) return false;
  c.args = LoginArgs{std::move(*user), std::move(*password)};
  return true;
}

// authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]
bool authenticate(ImapScanner& in, const ImapLimits&, Command& c) {
  auto mechanism = in.space() ? in.atom() : std::nullopt;
  if (!mechanism) return false;
  AuthenticateArgs args{sim::upper_ascii(*mechanism), std::nullopt};
  if (in.accept(' ')) {
    auto response = in.atom();
    if (!response) return false;
    args.initial_response = std::move(*response);
  }
  c.args = std::move(args);
  return true;
}

// rename = "RENAME" SP mailbox SP mailbox
bool rename(ImapScanner& in, const ImapLimits&, Command& c) {
  auto from = in.space() ? mailbox(in) : std::nullopt;
  auto to = in.space() ? mailbox(in) : std::nullopt;
  if (!from || !to) return false;
  c.args = RenameArgs{std::move(*from), std::move(*to)};
  return true;
}

// list = "LIST" SP mailbox SP list-mailbox (and LSUB)
bool list(ImapScanner& in, const ImapLimits&, Command& c) {
  auto reference = in.space() ? mailbox(in) : std::nullopt;
  auto pattern = in.space() ? in.list_mailbox() : std::nullopt;
  if (!reference || !pattern) return false;
  c.args = ListArgs{std::move(*reference), std::move(*pattern)};
  return true;
}

// status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
bool status(ImapScanner& in, const ImapLimits&, Command& c) {
  constexpr std::array<std::pair<std::string_view, StatusItem>, 5> kItems{{
      {"MESSAGES", StatusItem::Messages}, {"RECENT", StatusItem::Recent}, {"UIDNEXT", StatusItem::UidNext},
      {"UIDVALIDITY", StatusItem::UidValidity}, {"UNSEEN", StatusItem::Unseen},
  }};
  StatusArgs args;
  auto m = in.space() ? mailbox(in) : std::nullopt;
  if (!m || !in.space() || !in.open_list()) return false;
  args.mailbox = std::move(*m);
  do {
    auto name = in.atom();
    if (!name) return false;
    auto it = std::find_if(kItems.begin(), kItems.end(), [&](const auto& i) { return sim::ascii_iequals(i.first, *name); });
    if (it == kItems.end()) return in.fail("Unknown STATUS item " + *name);
    args.items.push_back(it->second);
  } while (in.accept(' '));
  if (!in.close_list()) return false;
  c.args = std::move(args);
  return true;
}

// append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal
bool append(ImapScanner& in, const ImapLimits&, Command& c) {
  AppendArgs args;
  auto m = in.space() ? mailbox(in) : std::nullopt;
  if (!m || !in.space()) return false;
  args.mailbox = std::move(*m);
  if (in.peek_is('(')) {
    if (!flag_list(in, args.flags) || !in.space()) return false;
  }
  if (in.peek_is('"')) {
    auto text = in.string();
    auto when = text ? parse_date_time(*text) : std::nullopt;
    if (!when) return in.fail("Bad date-time");
    args.internal_date = *when;
    if (!in.space()) return false;
  }
  if (!in.peek_is('{')) return in.fail("Expected the message as a literal");
  auto message = in.string();
  if (!message) return false;
  args.message = std::move(*message);
  c.args = std::move(args);
  return true;
}

// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")")
bool fetch(ImapScanner& in, const ImapLimits&, Command& c) {
  FetchArgs args;
  if (!in.space() || !set_of(in, args.set) || !in.space() || !parse_fetch_items(in, args.items)) return false;
  bool has_uid = std::any_of(args.items.begin(), args.items.end(), [](const FetchItem& i) { return i.kind == FetchItem::Kind::Uid; });
  if (c.uid && !has_uid) args.items.insert(args.items.begin(), FetchItem{FetchItem::Kind::Uid});
  c.args = std::move(args);
  return true;
}

// store = "STORE" SP sequence-set SP store-att-flags
// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
bool store(ImapScanner& in, const ImapLimits&, Command& c) {
  StoreArgs args;
  if (!in.space() || !set_of(in, args.set) || !in.space()) return false;
  if (in.accept('+')) args.mode = StoreArgs::Mode::Add;
  else if (in.accept('-')) args.mode = StoreArgs::Mode::Remove;
  auto name = in.word();
  if (!name) return false;
  if (sim::ascii_iequals(*name, "FLAGS.SILENT")) args.silent = true;
  else if (!sim::ascii_iequals(*name, "FLAGS")) return in.fail("Expected FLAGS, +FLAGS or -FLAGS");
  if (!in.space()) return false;
  if (in.peek_is('(')) {
    if (!flag_list(in, args.flags)) return false;
  } else {
    do {
      auto f = flag(in);
      if (!f) return false;
      args.flags.push_back(std::move(*f));
    } while (in.accept(' '));
  }
  c.args = std::move(args);
  return true;
}

// copy = "COPY" SP sequence-set SP mailbox (and MOVE, RFC 6851 §3.1)
bool copy(ImapScanner& in, const ImapLimits&, Command& c) {
  CopyArgs args;
  if (!in.space() || !set_of(in, args.set) || !in.space()) return false;
  auto m = mailbox(in);
  if (!m) return false;
  args.mailbox = std::move(*m);
  c.args = std::move(args);
  return true;
}

// search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key)
bool search(ImapScanner& in, const ImapLimits& limits, Command& c) {
  SearchCriteria criteria;
  if (!in.space() || !parse_search_criteria(in, limits.max_list_depth, criteria)) return false;
  c.args = std::move(criteria);
  return true;
}

// expunge = "EXPUNGE"; uid-expunge = "UID" SP "EXPUNGE" SP sequence-set (RFC 4315 §2.1)
bool expunge(ImapScanner& in, const ImapLimits&, Command& c) {
  ExpungeArgs args;
  if (c.uid) {
    SequenceSet set;
    if (!in.space() || !set_of(in, set)) return false;
    args.uids = std::move(set);
  }
  c.args = std::move(args);
  return true;
}

// enable = "ENABLE" 1*(SP capability) (RFC 5161 §4)
bool enable(ImapScanner& in, const ImapLimits&, Command& c) {
  EnableArgs args;
  while (in.accept(' ')) {
    auto capability = in.atom();
    if (!capability) return false;
    args.capabilities.push_back(std::move(*capability));
  }
  if (args.capabilities.empty()) return in.fail("ENABLE needs a capability");
  c.args = std::move(args);
  return true;
}

// id = "ID" SP id-params-list; id-params-list = "(" *(string SP nstring) ")" / nil (RFC 2971 §4)
bool id(ImapScanner& in, const ImapLimits&, Command& c) {
  constexpr std::size_t kMaxPairs = 30;  // RFC 2971 §3.3
  IdArgs args;
  if (!in.space()) return false;
  if (!in.peek_is('(')) {
    auto nil = in.atom();
    if (!nil || !sim::ascii_iequals(*nil, "NIL")) return in.fail("Expected a list or NIL");
  } else {
    if (!in.open_list()) return false;
    while (in.ok() && !in.peek_is(')')) {
      if (args.fields.size() == kMaxPairs) return in.fail("Too many ID fields");
      bool nil = false;
      auto field = in.string();
      auto value = in.space() ? in.nstring(nil) : std::nullopt;
      if (!field || (!value && !nil)) return false;
      args.fields.emplace_back(std::move(*field), std::move(value));
      if (!in.peek_is(')') && !in.space()) return false;
    }
    if (!in.close_list()) return false;
  }
  c.args = std::move(args);
  return true;
}

struct CommandSpec {
  std::string_view name;
  CommandName command;
  Parser parse;
  bool uid_form;  // may follow "UID"
};

constexpr std::array<CommandSpec, 31> kCommands{{
    {"CAPABILITY", CommandName::Capability, no_arguments, false},
    {"NOOP", CommandName::Noop, no_arguments, false},
    {"LOGOUT", CommandName::Logout, no_arguments, false},
    {"STARTTLS", CommandName::StartTls, no_arguments, false},
    {"AUTHENTICATE", CommandName::Authenticate, authenticate, false},
    {"LOGIN", CommandName::Login, login, false},
    {"SELECT", CommandName::Select, one_mailbox, false},
    {"EXAMINE", CommandName::Examine, one_mailbox, false},
    {"CREATE", CommandName::Create, one_mailbox, false},
    {"DELETE", CommandName::Delete, one_mailbox, false},
    {"RENAME", CommandName::Rename, rename, false},
    {"SUBSCRIBE", CommandName::Subscribe, one_mailbox, false},
    {"UNSUBSCRIBE", CommandName::Unsubscribe, one_mailbox, false},
    {"LIST", CommandName::List, list, false},
    {"LSUB", CommandName::Lsub, list, false},
    {"STATUS", CommandName::Status, status, false},
    {"APPEND", CommandName::Append, append, false},
    {"IDLE", CommandName::Idle, no_arguments, false},
    {"ENABLE", CommandName::Enable, enable, false},
    {"ID", CommandName::Id, id, false},
    {"NAMESPACE", CommandName::Namespace, no_arguments, false},
    {"CHECK", CommandName::Check, no_arguments, false},
    {"CLOSE", CommandName::Close, no_arguments, false},
    {"EXPUNGE", CommandName::Expunge, expunge, true},
    {"SEARCH", CommandName::Search, search, true},
    {"FETCH", CommandName::Fetch, fetch, true},
    {"STORE", CommandName::Store, store, true},
    {"COPY", CommandName::Copy, copy, true},
    {"MOVE", CommandName::Move, copy, true},
    {"UNSELECT", CommandName::Unselect, no_arguments, false},
    {"UID", CommandName::Noop, nullptr, false},  // the prefix, handled in parse_command
}};

const CommandSpec* find_command(std::string_view name) {
  for (const auto& spec : kCommands) {
    if (sim::ascii_iequals(spec.name, name)) return &spec;
  }
  return nullptr;
}

}  // namespace

ParseResult parse_command(std::string_view text, const ImapLimits& limits) {
  ParseResult result;
  ImapScanner in(text, limits.max_list_depth);
  auto tag = in.tag();
  if (!tag) {
    result.error = "Missing or invalid tag";
    return result;
  }
  result.tag = *tag;
  Command command;
  command.tag = *tag;
  auto name = in.space() ? in.atom() : std::nullopt;
  const CommandSpec* spec = name ? find_command(*name) : nullptr;
  if (spec && spec->name == "UID") {
    command.uid = true;
    name = in.space() ? in.atom() : std::nullopt;
    spec = name ? find_command(*name) : nullptr;
    if (name && (!spec || !spec->uid_form)) {
      result.error = "Unknown UID command";
      return result;
    }
  }
  if (!name) {
    result.error = in.error().empty() ? "Missing command" : in.error();
    return result;
  }
  if (!spec) {
    result.error = "Unknown command";
    return result;
  }
  command.name = spec->command;
  if (!spec->parse(in, limits, command) || !in.expect_end()) {
    result.error = in.error().empty() ? "Syntax error" : in.error();
    result.code = in.error_code();
    return result;
  }
  result.command = std::move(command);
  return result;
}

std::string_view command_name(CommandName name) {
  for (const auto& spec : kCommands) {
    if (spec.command == name && spec.parse != nullptr) return spec.name;
  }
  return "UNKNOWN";
}

}  // namespace mailflow::imap
