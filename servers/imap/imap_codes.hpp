// The one catalogue of IMAP response codes the lab's servers send: the bracketed atom at
// the start of a status response's text ("a1 NO [TRYCREATE] No such mailbox"), each a
// named constant with the RFC section that defines it and a plain-language explanation in
// English and Japanese that lessons and the visualizer show. Handlers never write a code
// as a bare string; they write format_code(codes::X, argument).
//
// RFC 3501 §7.1 (ALERT ... UNSEEN), RFC 4315 §3 (APPENDUID, COPYUID, UIDNOTSTICKY),
// RFC 5530 §3 (UNAVAILABLE ... NONEXISTENT), RFC 4469 §4 (TOOBIG), RFC 7162 §3.2.11 (CLOSED).
// Leaves out: codes of extensions the lab does not offer (CONDSTORE's HIGHESTMODSEQ,
// METADATA, URLAUTH).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mailflow::imap {

struct CodeSpec {
  std::string_view name;        // unique, CamelCase, the constant's name
  std::string_view atom;        // on the wire: "TRYCREATE", "READ-ONLY"
  std::string_view argument;    // what follows the atom, "" for none ("<uidvalidity> <uid>")
  std::string_view rfc;         // where it is defined
  std::string_view explain_en;  // for a student
  std::string_view explain_ja;
};

namespace codes {
// clang-format off
// --- RFC 3501 §7.1 ----------------------------------------------------------------------
inline constexpr CodeSpec Alert{"Alert", "ALERT", "", "RFC 3501 §7.1",
    "the server has a message the user must see", "サーバーから利用者に必ず見せるべきお知らせがあります"};
inline constexpr CodeSpec BadCharset{"BadCharset", "BADCHARSET", "(<charset> ...)", "RFC 3501 §7.1",
    "SEARCH asked for a character set the server does not know; the code lists those it does",
    "SEARCH がサーバーの知らない文字コードを指定しました。使える文字コードが示されます"};
inline constexpr CodeSpec Capability{"Capability", "CAPABILITY", "<capability> ...", "RFC 3501 §7.1",
    "the list of features the server offers, sent along so the client need not ask",
    "サーバーが使える機能の一覧です。クライアントが改めて聞かなくて済みます"};
inline constexpr CodeSpec Parse{"Parse", "PARSE", "", "RFC 3501 §7.1",
    "the server could not read the header of a message (its MIME structure is broken)",
    "メッセージのヘッダー(MIME 構造)が壊れていて読めませんでした"};
inline constexpr CodeSpec PermanentFlags{"PermanentFlags", "PERMANENTFLAGS", "(<flag> ...)", "RFC 3501 §7.1",
    "which flags the client may set and the server will remember; \\* means new keywords too",
    "クライアントが設定でき、サーバーが覚えておくフラグの一覧です(\\* は新しいキーワードも可)"};
inline constexpr CodeSpec ReadOnly{"ReadOnly", "READ-ONLY", "", "RFC 3501 §7.1",
    "the mailbox is open for reading only: flags and deletions cannot be changed",
    "メールボックスは読み取り専用で開かれています。フラグや削除は変更できません"};
inline constexpr CodeSpec ReadWrite{"ReadWrite", "READ-WRITE", "", "RFC 3501 §7.1",
    "the mailbox is open for reading and changing", "メールボックスは読み書きできる状態で開かれています"};
inline constexpr CodeSpec TryCreate{"TryCreate", "TRYCREATE", "", "RFC 3501 §7.1",
    "the target mailbox does not exist; creating it first would make this work",
    "宛先のメールボックスがありません。先に作成すればうまくいきます"};
inline constexpr CodeSpec UidNext{"UidNext", "UIDNEXT", "<uid>", "RFC 3501 §7.1",
    "the number the next message to arrive in this mailbox will get",
    "このメールボックスに次に届くメッセージに付く番号です"};
inline constexpr CodeSpec UidValidity{"UidValidity", "UIDVALIDITY", "<number>", "RFC 3501 §7.1",
    "while this number stays the same, every message keeps its UID, so a client can keep its cache",
    "この番号が変わらない限り各メッセージの UID は変わらず、クライアントは保存内容を使い続けられます"};
inline constexpr CodeSpec Unseen{"Unseen", "UNSEEN", "<seq>", "RFC 3501 §7.1",
    "the number of the first message the user has not read yet", "まだ読んでいない最初のメッセージの番号です"};
// --- RFC 4315 UIDPLUS -------------------------------------------------------------------
inline constexpr CodeSpec AppendUid{"AppendUid", "APPENDUID", "<uidvalidity> <uid>", "RFC 4315 §3",
    "the UID the appended message got, so the client knows it without searching",
    "追加したメッセージに付いた UID です。探さなくても分かります"};
inline constexpr CodeSpec CopyUid{"CopyUid", "COPYUID", "<uidvalidity> <source-uids> <new-uids>", "RFC 4315 §3",
    "the UIDs the copied or moved messages got in the target mailbox",
    "コピー・移動したメッセージが宛先で付けられた UID です"};
inline constexpr CodeSpec UidNotSticky{"UidNotSticky", "UIDNOTSTICKY", "", "RFC 4315 §3",
    "this mailbox cannot keep UIDs across sessions", "このメールボックスは UID をセッションをまたいで保てません"};
// --- RFC 5530 ---------------------------------------------------------------------------
inline constexpr CodeSpec Unavailable{"Unavailable", "UNAVAILABLE", "", "RFC 5530 §3",
    "something the server needs is down for now; try again later", "サーバーが必要とするものが今使えません。後でやり直してください"};
inline constexpr CodeSpec AuthenticationFailed{"AuthenticationFailed", "AUTHENTICATIONFAILED", "", "RFC 5530 §3",
    "wrong user name or password", "ユーザー名かパスワードが違います"};
inline constexpr CodeSpec AuthorizationFailed{"AuthorizationFailed", "AUTHORIZATIONFAILED", "", "RFC 5530 §3",
    "the password was right, but this user may not act as the one asked for",
    "パスワードは正しいのですが、指定された利用者として操作することは許されていません"};
inline constexpr CodeSpec Expired{"Expired", "EXPIRED", "", "RFC 5530 §3",
    "the account or password has expired", "アカウントかパスワードの有効期限が切れています"};
inline constexpr CodeSpec PrivacyRequired{"PrivacyRequired", "PRIVACYREQUIRED", "", "RFC 5530 §3",
    "this needs an encrypted connection: use STARTTLS or port 993 first",
    "暗号化された接続が必要です。先に STARTTLS か 993 番ポートを使ってください"};
inline constexpr CodeSpec ContactAdmin{"ContactAdmin", "CONTACTADMIN", "", "RFC 5530 §3",
    "the user should ask the mail administrator", "メール管理者に問い合わせてください"};
inline constexpr CodeSpec NoPerm{"NoPerm", "NOPERM", "", "RFC 5530 §3",
    "the user is not allowed to do this to that mailbox", "そのメールボックスにこの操作をする権限がありません"};
inline constexpr CodeSpec InUse{"InUse", "INUSE", "", "RFC 5530 §3",
    "someone else is using the mailbox in a way that blocks this; try again soon",
    "他の人がこのメールボックスを使っているため、今はできません。少し後でやり直してください"};
inline constexpr CodeSpec ExpungeIssued{"ExpungeIssued", "EXPUNGEISSUED", "", "RFC 5530 §3",
    "another device deleted some of these messages meanwhile", "その間に別の端末がいくつかのメッセージを削除しました"};
inline constexpr CodeSpec Corruption{"Corruption", "CORRUPTION", "", "RFC 5530 §3",
    "the server found damaged data in the mailbox", "サーバーがメールボックスに壊れたデータを見つけました"};
inline constexpr CodeSpec ServerBug{"ServerBug", "SERVERBUG", "", "RFC 5530 §3",
    "the server made a mistake of its own", "サーバー自身が失敗しました"};
inline constexpr CodeSpec ClientBug{"ClientBug", "CLIENTBUG", "", "RFC 5530 §3",
    "the command worked, but the client asked for something odd (for example deleting a deleted message)",
    "コマンドは成功しましたが、クライアントの頼み方が変でした(例: 削除済みメッセージの削除)"};
inline constexpr CodeSpec Cannot{"Cannot", "CANNOT", "", "RFC 5530 §3",
    "this can never work, whatever the user does (for example a mailbox name the server cannot store)",
    "何をしてもこの操作はできません(例: サーバーが扱えないメールボックス名)"};
inline constexpr CodeSpec Limit{"Limit", "LIMIT", "", "RFC 5530 §3",
    "a server limit was reached (too many connections, too large a command)",
    "サーバーの上限に達しました(接続が多すぎる、コマンドが大きすぎるなど)"};
inline constexpr CodeSpec OverQuota{"OverQuota", "OVERQUOTA", "", "RFC 5530 §3",
    "the mailbox is full: delete some mail first", "メールボックスがいっぱいです。先にメールを削除してください"};
inline constexpr CodeSpec AlreadyExists{"AlreadyExists", "ALREADYEXISTS", "", "RFC 5530 §3",
    "a mailbox with that name exists already", "その名前のメールボックスはすでにあります"};
inline constexpr CodeSpec NonExistent{"NonExistent", "NONEXISTENT", "", "RFC 5530 §3",
    "there is no mailbox with that name", "その名前のメールボックスはありません"};
// --- others -----------------------------------------------------------------------------
inline constexpr CodeSpec TooBig{"TooBig", "TOOBIG", "", "RFC 4469 §4",
    "what the client wanted to send is larger than the server accepts", "送ろうとしたものがサーバーの受け付ける大きさを超えています"};
inline constexpr CodeSpec Closed{"Closed", "CLOSED", "", "RFC 7162 §3.2.11",
    "the mailbox that was open is now closed, before the new one opens",
    "開いていたメールボックスが閉じられました(新しいものを開く前に)"};
// clang-format on
}  // namespace codes

// "[ATOM]" or "[ATOM argument]": the text that starts a status response.
std::string format_code(const CodeSpec& spec, std::string_view argument = {});

// Every spec above, in catalogue order.
std::span<const CodeSpec* const> all_codes();

// The spec with this atom (ASCII case-insensitive), for example one a client saw; nullptr
// when the lab has nothing to say about it.
const CodeSpec* find_code(std::string_view atom);

}  // namespace mailflow::imap
