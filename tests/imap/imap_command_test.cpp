// parse_command: every command's arguments, tags, quoting, literals inline, FETCH items
// and macros, STORE modes, UID forms, and the BAD texts of malformed commands.
#include <gtest/gtest.h>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_command.hpp"

namespace mailflow::imap {
namespace {

Command parse_ok(std::string_view text) {
  ImapLimits limits;
  auto parsed = parse_command(text, limits);
  EXPECT_TRUE(parsed.command.has_value()) << text << ": " << parsed.error;
  return parsed.command.value_or(Command{});
}

template <typename Args>
Args args_of(std::string_view text) {
  auto command = parse_ok(text);
  auto* args = std::get_if<Args>(&command.args);
  EXPECT_NE(args, nullptr) << text;
  return args ? *args : Args{};
}

TEST(ImapCommandParser, CommandsWithoutArguments) {
  struct Case { const char* text; CommandName name; };
  for (const auto& c : std::initializer_list<Case>{
           {"a1 CAPABILITY", CommandName::Capability}, {"a2 noop", CommandName::Noop},
           {"a3 LOGOUT", CommandName::Logout}, {"a4 StartTLS", CommandName::StartTls},
           {"a5 IDLE", CommandName::Idle}, {"a6 NAMESPACE", CommandName::Namespace},
           {"a7 CHECK", CommandName::Check}, {"a8 CLOSE", CommandName::Close},
           {"a9 EXPUNGE", CommandName::Expunge}, {"b1 UNSELECT", CommandName::Unselect},
       }) {
    SCOPED_TRACE(c.text);
    auto command = parse_ok(c.text);
    EXPECT_EQ(command.name, c.name);
    EXPECT_EQ(command_name(command.name).size() > 0, true);
  }
  EXPECT_EQ(parse_ok("x.y_1 NOOP").tag, "x.y_1");
}

TEST(ImapCommandParser, LoginWithAtomsQuotedStringsAndLiterals) {
  EXPECT_EQ(args_of<LoginArgs>("a LOGIN bob secret"), (LoginArgs{"bob", "secret"}));
  EXPECT_EQ(args_of<LoginArgs>("a LOGIN \"bob\" \"p a\\\"s\\\\s\""), (LoginArgs{"bob", "p a\"s\\s"}));
  EXPECT_EQ(args_of<LoginArgs>("a LOGIN {3}\r\nbob {6+}\r\nse\"c t"), (LoginArgs{"bob", "se\"c t"}));
  EXPECT_EQ(args_of<LoginArgs>("a LOGIN \"\" {0}\r\n"), (LoginArgs{"", ""}));
  EXPECT_EQ(args_of<LoginArgs>("a LOGIN bob] x"), (LoginArgs{"bob]", "x"}));  // ASTRING-CHAR
}

TEST(ImapCommandParser, AuthenticateWithAndWithoutInitialResponse) {
  EXPECT_EQ(args_of<AuthenticateArgs>("a AUTHENTICATE plain"), (AuthenticateArgs{"PLAIN", std::nullopt}));
  EXPECT_EQ(args_of<AuthenticateArgs>("a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ="),
            (AuthenticateArgs{"PLAIN", "AGJvYgBzZWNyZXQ="}));
  EXPECT_EQ(args_of<AuthenticateArgs>("a AUTHENTICATE PLAIN ="), (AuthenticateArgs{"PLAIN", "="}));
}

TEST(ImapCommandParser, MailboxCommandsAndInbox) {
  EXPECT_EQ(args_of<MailboxArgs>("a SELECT inbox").mailbox, "INBOX");
  EXPECT_EQ(args_of<MailboxArgs>("a EXAMINE \"Sent\"").mailbox, "Sent");
  EXPECT_EQ(args_of<MailboxArgs>("a CREATE &ZeVnLIqe-").mailbox, "&ZeVnLIqe-");
  EXPECT_EQ(args_of<MailboxArgs>("a DELETE {5}\r\nTrash").mailbox, "Trash");
  EXPECT_EQ(args_of<MailboxArgs>("a SUBSCRIBE Inbox.sub").mailbox, "Inbox.sub");
  EXPECT_EQ(parse_ok("a UNSUBSCRIBE x").name, CommandName::Unsubscribe);
  EXPECT_EQ(args_of<RenameArgs>("a RENAME old \"new name\""), (RenameArgs{"old", "new name"}));
}

TEST(ImapCommandParser, ListAndLsubPatterns) {
  EXPECT_EQ(args_of<ListArgs>("a LIST \"\" *"), (ListArgs{"", "*"}));
  EXPECT_EQ(args_of<ListArgs>("a LIST \"\" %"), (ListArgs{"", "%"}));
  EXPECT_EQ(args_of<ListArgs>("a LIST ~/Mail/ foo.%.*"), (ListArgs{"~/Mail/", "foo.%.*"}));
  EXPECT_EQ(args_of<ListArgs>("a LSUB \"#news.\" \"comp.mail.*\""), (ListArgs{"#news.", "comp.mail.*"}));
  EXPECT_EQ(parse_ok("a LSUB \"\" *").name, CommandName::Lsub);
}

TEST(ImapCommandParser, Status) {
  auto args = args_of<StatusArgs>("a STATUS INBOX (MESSAGES recent UIDNEXT UIDVALIDITY UNSEEN)");
  EXPECT_EQ(args.mailbox, "INBOX");
  EXPECT_EQ(args.items, (std::vector<StatusItem>{StatusItem::Messages, StatusItem::Recent, StatusItem::UidNext,
                                                 StatusItem::UidValidity, StatusItem::Unseen}));
}

TEST(ImapCommandParser, AppendWithFlagsAndDate) {
  auto args = args_of<AppendArgs>("a APPEND Drafts (\\Seen $Work) \"17-Jul-1996 02:44:25 -0700\" {12}\r\nSubject: x\r\n");
  EXPECT_EQ(args.mailbox, "Drafts");
  EXPECT_EQ(args.flags, (std::vector<std::string>{"\\Seen", "$Work"}));
  ASSERT_TRUE(args.internal_date.has_value());
  EXPECT_EQ(format_date_time(*args.internal_date), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(args.message, "Subject: x\r\n");
  auto plain = args_of<AppendArgs>("a APPEND INBOX {2+}\r\nhi");
  EXPECT_TRUE(plain.flags.empty());
  EXPECT_FALSE(plain.internal_date.has_value());
  EXPECT_EQ(plain.message, "hi");
  EXPECT_TRUE(args_of<AppendArgs>("a APPEND INBOX () {1}\r\nx").flags.empty());
}

TEST(ImapCommandParser, FetchItemsAndMacros) {
  using K = FetchItem::Kind;
  auto kinds = [](const FetchArgs& args) {
    std::vector<K> out;
    for (const auto& item : args.items) out.push_back(item.kind);
    return out;
  };
  EXPECT_EQ(kinds(args_of<FetchArgs>("a FETCH 1 ALL")), (std::vector<K>{K::Flags, K::InternalDate, K::Rfc822Size, K::Envelope}));
  EXPECT_EQ(kinds(args_of<FetchArgs>("a FETCH 1 fast")), (std::vector<K>{K::Flags, K::InternalDate, K::Rfc822Size}));
  EXPECT_EQ(kinds(args_of<FetchArgs>("a FETCH 1 FULL")),
            (std::vector<K>{K::Flags, K::InternalDate, K::Rfc822Size, K::Envelope, K::Body}));
  EXPECT_EQ(kinds(args_of<FetchArgs>("a FETCH 1:* FLAGS")), (std::vector<K>{K::Flags}));
  EXPECT_EQ(kinds(args_of<FetchArgs>("a FETCH 2 (UID RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE ENVELOPE INTERNALDATE)")),
            (std::vector<K>{K::Uid, K::Rfc822, K::Rfc822Header, K::Rfc822Size, K::Rfc822Text, K::Body, K::BodyStructure,
                            K::Envelope, K::InternalDate}));
  // UID FETCH always reports the UID (RFC 3501 §6.4.8).
  auto uid = parse_ok("a UID FETCH 1:* FLAGS");
  EXPECT_TRUE(uid.uid);
  EXPECT_EQ(kinds(std::get<FetchArgs>(uid.args)), (std::vector<K>{K::Uid, K::Flags}));
}

TEST(ImapCommandParser, FetchBodySectionsAndPartials) {
  struct Case { const char* text; const char* response_name; bool peek; bool sets_seen; };
  for (const auto& c : std::initializer_list<Case>{
           {"a FETCH 1 BODY[]", "BODY[]", false, true},
           {"a FETCH 1 BODY.PEEK[]", "BODY[]", true, false},
           {"a FETCH 1 body[header]", "BODY[HEADER]", false, true},
           {"a FETCH 1 BODY[TEXT]<0.100>", "BODY[TEXT]<0>", false, true},
           {"a FETCH 1 BODY.PEEK[1.2.MIME]", "BODY[1.2.MIME]", true, false},
           {"a FETCH 1 BODY[3.HEADER.FIELDS (From \"To\" {2}\r\nCc)]", "BODY[3.HEADER.FIELDS (FROM TO CC)]", false, true},
           {"a FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Received)]<10.20>", "BODY[HEADER.FIELDS.NOT (RECEIVED)]<10>", true, false},
           {"a FETCH 1 BODY[4.2.1]", "BODY[4.2.1]", false, true},
           {"a FETCH 1 BINARY.PEEK[1]", "BINARY[1]", true, false},
           {"a FETCH 1 BINARY.SIZE[2]", "BINARY.SIZE[2]", false, false},
       }) {
    SCOPED_TRACE(c.text);
    auto args = args_of<FetchArgs>(c.text);
    ASSERT_EQ(args.items.size(), 1u);
    EXPECT_EQ(args.items[0].response_name(), c.response_name);
    EXPECT_EQ(args.items[0].peek, c.peek);
    EXPECT_EQ(args.items[0].sets_seen(), c.sets_seen);
  }
  auto args = args_of<FetchArgs>("a FETCH 1 (FLAGS BODY.PEEK[1.2]<5.7>)");
  EXPECT_EQ(args.items[1].section.part, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(args.items[1].partial, (Partial{5, 7}));
}

TEST(ImapCommandParser, StoreModes) {
  auto replace = args_of<StoreArgs>("a STORE 1:3 FLAGS (\\Seen \\Flagged)");
  EXPECT_EQ(replace.mode, StoreArgs::Mode::Replace);
  EXPECT_FALSE(replace.silent);
  EXPECT_EQ(replace.flags, (std::vector<std::string>{"\\Seen", "\\Flagged"}));
  auto add = args_of<StoreArgs>("a STORE 2 +FLAGS.SILENT \\Deleted");
  EXPECT_EQ(add.mode, StoreArgs::Mode::Add);
  EXPECT_TRUE(add.silent);
  EXPECT_EQ(add.flags, (std::vector<std::string>{"\\Deleted"}));
  auto remove = args_of<StoreArgs>("a UID STORE 5:* -FLAGS ($Junk \\Seen)");
  EXPECT_EQ(remove.mode, StoreArgs::Mode::Remove);
  EXPECT_EQ(remove.set.format(), "5:*");
  EXPECT_TRUE(args_of<StoreArgs>("a STORE 1 FLAGS ()").flags.empty());
  EXPECT_EQ(args_of<StoreArgs>("a STORE 1 +FLAGS a b").flags, (std::vector<std::string>{"a", "b"}));
}

TEST(ImapCommandParser, CopyMoveExpungeEnableId) {
  EXPECT_EQ(args_of<CopyArgs>("a COPY 1,3:5 Trash").mailbox, "Trash");
  auto move = parse_ok("a UID MOVE 7 \"Junk\"");
  EXPECT_EQ(move.name, CommandName::Move);
  EXPECT_TRUE(move.uid);
  EXPECT_EQ(std::get<CopyArgs>(move.args).set.format(), "7");
  EXPECT_FALSE(args_of<ExpungeArgs>("a EXPUNGE").uids.has_value());
  EXPECT_EQ(args_of<ExpungeArgs>("a UID EXPUNGE 3:5").uids->format(), "3:5");
  EXPECT_EQ(args_of<EnableArgs>("a ENABLE UTF8=ACCEPT CONDSTORE").capabilities,
            (std::vector<std::string>{"UTF8=ACCEPT", "CONDSTORE"}));
  EXPECT_TRUE(args_of<IdArgs>("a ID NIL").fields.empty());
  auto id = args_of<IdArgs>("a ID (\"name\" \"Thunderbird\" \"version\" NIL)");
  ASSERT_EQ(id.fields.size(), 2u);
  EXPECT_EQ(id.fields[0], (std::pair<std::string, std::optional<std::string>>{"name", "Thunderbird"}));
  EXPECT_EQ(id.fields[1].second, std::nullopt);
}

TEST(ImapCommandParser, RejectsMalformedCommandsWithAReason) {
  struct Case { const char* text; const char* tag; const char* error; };
  ImapLimits limits;
  for (const auto& c : std::initializer_list<Case>{
           {"", "", "Missing or invalid tag"},
           {"+tag NOOP", "", "Missing or invalid tag"},
           {"a", "a", "Expected a space"},
           {"a FROB", "a", "Unknown command"},
           {"a UID LOGIN x y", "a", "Unknown UID command"},
           {"a NOOP extra", "a", "Unexpected text after the command"},
           {"a NOOP ", "a", "Unexpected text after the command"},
           {"a LOGIN bob", "a", "Expected a space"},
           {"a LOGIN \"bob pass", "a", "Unterminated quoted string"},
           {"a LOGIN \"b\\ob\" x", "a", "Bad escape in quoted string"},
           {"a LOGIN {9}\r\nbob x", "a", "Literal is shorter than announced"},
           {"a LOGIN {x}\r\nbob x", "a", "Bad literal"},
           {"a FETCH 0 FLAGS", "a", "Bad sequence set"},
           {"a FETCH 1 FROGS", "a", "Unknown FETCH item FROGS"},
           {"a FETCH 1 (ALL)", "a", "Unknown FETCH item ALL"},
           {"a FETCH 1 BODY[1.]", "a", "Section ends in \".\""},
           {"a FETCH 1 BODY[MIME]", "a", "Unknown section MIME"},
           {"a FETCH 1 BODY[]<1.0>", "a", "Partial length must be a non-zero number"},
           {"a STORE 1 FLAGZ (\\Seen)", "a", "Expected FLAGS, +FLAGS or -FLAGS"},
           {"a STATUS INBOX (SIZE)", "a", "Unknown STATUS item SIZE"},
           {"a APPEND INBOX \"bad date\" {1}\r\nx", "a", "Bad date-time"},
           {"a APPEND INBOX x", "a", "Expected the message as a literal"},
           {"a APPEND INBOX \"x\"", "a", "Bad date-time"},
           {"a ENABLE", "a", "ENABLE needs a capability"},
           {"a SEARCH", "a", "Expected a space"},
       }) {
    SCOPED_TRACE(c.text);
    auto parsed = parse_command(c.text, limits);
    EXPECT_FALSE(parsed.command.has_value());
    EXPECT_EQ(parsed.tag, c.tag);
    EXPECT_EQ(parsed.error, c.error);
  }
}

TEST(ImapCommandParser, BoundsListNesting) {
  ImapLimits limits;
  limits.max_list_depth = 4;
  auto parsed = parse_command("a SEARCH ((((((ALL))))))", limits);
  EXPECT_FALSE(parsed.command.has_value());
  EXPECT_EQ(parsed.error, "Search keys nested too deeply");
  std::string nots = "a SEARCH";
  for (int i = 0; i < 10000; ++i) nots += " NOT";
  EXPECT_FALSE(parse_command(nots + " ALL", limits).command.has_value());
  EXPECT_TRUE(parse_command("a SEARCH ((ALL))", limits).command.has_value());
}

}  // namespace
}  // namespace mailflow::imap
