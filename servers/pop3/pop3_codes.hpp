// The one catalogue of POP3 responses the lab's servers send: each a named constant with
// its status (+OK or -ERR), extended response code, default text, the RFC section that
// defines it, and a plain-language explanation in English and Japanese that lessons and
// the visualizer show. Handlers never write "+OK"/"-ERR" themselves; they write
// make_response(responses::X).
//
// RFC 1939 §3 (+OK / -ERR status indicators), RFC 2449 §8 (extended response codes in
// brackets: [IN-USE] §8.1.1, [LOGIN-DELAY] §8.1.2), RFC 3206 ([SYS/TEMP], [SYS/PERM],
// [AUTH]), RFC 2595 §4 (STLS), RFC 5034 §4 (AUTH). RFC 2449 §4: a response's first line
// is at most 512 octets with its CRLF; format() cuts longer text.
// Leaves out: the "+ " SASL continuation (not a status response: kSaslContinuation).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mailflow::pop3 {

// RFC 2449 §4: "Responses ... may be up to 512 characters long, including the
// terminating CRLF".
inline constexpr std::size_t kMaxResponseLine = 512;
// RFC 5034 §4: the server's challenge line, "+" SP base64; PLAIN's first challenge is empty.
inline constexpr std::string_view kSaslContinuation = "+ \r\n";

// A status line the session sends: "+OK text" or "-ERR [CODE] text".
struct Pop3Response {
  bool ok = true;
  std::string code;  // extended response code without brackets, "IN-USE"; "" when none
  std::string text;

  // "+OK text" / "-ERR [IN-USE] text", without the CRLF (for events and tests).
  std::string status_line() const;
  // The status line with CRLF, at most kMaxResponseLine octets.
  std::string format() const;
};

struct ResponseSpec {
  std::string_view name;        // unique, CamelCase, the constant's name
  bool ok;                      // +OK or -ERR
  std::string_view code;        // extended response code, "" when none
  std::string_view text;        // default text
  std::string_view rfc;         // where it is defined
  std::string_view explain_en;  // for a student
  std::string_view explain_ja;
};

namespace responses {
// clang-format off
// --- +OK: done -------------------------------------------------------------------------
inline constexpr ResponseSpec Greeting{"Greeting", true, "", "POP3 mailflow ready", "RFC 1939 §4",
    "the post office's mail counter is open; log in to collect your letters",
    "郵便局の受け取り窓口が開いています。ログインして手紙を受け取ってください"};
inline constexpr ResponseSpec Ok{"Ok", true, "", "OK", "RFC 1939 §3",
    "done, all is well", "完了しました。問題ありません"};
inline constexpr ResponseSpec CapabilityList{"CapabilityList", true, "", "Capability list follows", "RFC 2449 §5",
    "the server lists what it can do, one feature per line", "サーバーができることを一行に一つずつ並べます"};
inline constexpr ResponseSpec MechanismList{"MechanismList", true, "", "Supported mechanisms follow", "RFC 5034 §4",
    "the server lists the login methods it offers", "サーバーが使えるログイン方式を並べます"};
inline constexpr ResponseSpec BeginTls{"BeginTls", true, "", "Begin TLS negotiation", "RFC 2595 §4",
    "both sides now switch to an encrypted connection", "これから通信を暗号化に切り替えます"};
inline constexpr ResponseSpec SendPassword{"SendPassword", true, "", "Send your password", "RFC 1939 §7",
    "the name is noted; now the password (the server does not say yet whether the name exists)",
    "名前を受け取りました。次はパスワードです(名前が存在するかはまだ教えません)"};
inline constexpr ResponseSpec LoggedIn{"LoggedIn", true, "", "Logged in", "RFC 1939 §7",
    "the password was right: the mailbox is open and its letters are numbered from 1",
    "パスワードが正しく、郵便受けが開きました。手紙には 1 から番号が付いています"};
inline constexpr ResponseSpec DropListing{"DropListing", true, "", "0 0", "RFC 1939 §5",
    "how many letters are in the mailbox and how many octets they take together",
    "郵便受けにある手紙の数と、その合計の大きさ(オクテット)です"};
inline constexpr ResponseSpec ScanListing{"ScanListing", true, "", "Scan listing follows", "RFC 1939 §5",
    "each letter's number and size", "手紙ごとの番号と大きさです"};
inline constexpr ResponseSpec UidListing{"UidListing", true, "", "Unique-ID listing follows", "RFC 1939 §7",
    "each letter's number and its permanent name, so a client that keeps mail on the server knows what it already has",
    "手紙ごとの番号と変わらない名前です。サーバーに手紙を残すクライアントは、これで取得済みかどうかを見分けます"};
inline constexpr ResponseSpec MessageFollows{"MessageFollows", true, "", "Message follows", "RFC 1939 §5",
    "the letter comes now, ending with a line holding a single dot",
    "これから手紙を送ります。点だけの行で終わりです"};
inline constexpr ResponseSpec TopFollows{"TopFollows", true, "", "Top of message follows", "RFC 1939 §7",
    "the letter's header and its first lines come now, to preview it without downloading it all",
    "手紙のヘッダーと最初の数行を送ります。全部をダウンロードせずに中身を確かめられます"};
inline constexpr ResponseSpec MarkedDeleted{"MarkedDeleted", true, "", "Message deleted", "RFC 1939 §5",
    "the letter is marked for deletion; it is really removed only when the client says QUIT",
    "手紙に削除の印を付けました。実際に消えるのはクライアントが QUIT したときです"};
inline constexpr ResponseSpec DeletionsUndone{"DeletionsUndone", true, "", "Deletion marks removed", "RFC 1939 §5",
    "every deletion mark of this session is taken back", "この接続で付けた削除の印をすべて取り消しました"};
inline constexpr ResponseSpec Bye{"Bye", true, "", "Logging out", "RFC 1939 §6",
    "the server removes the letters marked for deletion and says goodbye",
    "サーバーは削除の印が付いた手紙を消して、あいさつをして接続を閉じます"};
// --- -ERR: the command was refused ------------------------------------------------------
inline constexpr ResponseSpec UnknownCommand{"UnknownCommand", false, "", "Unknown command", "RFC 1939 §3",
    "the server does not know that command", "サーバーはそのコマンドを知りません"};
inline constexpr ResponseSpec BadArguments{"BadArguments", false, "", "Invalid arguments", "RFC 1939 §3",
    "the command is known, but what follows it is written wrongly", "コマンドは分かりますが、その後ろの書き方が間違っています"};
inline constexpr ResponseSpec LineTooLong{"LineTooLong", false, "", "Line too long", "RFC 2449 §4",
    "a command line may hold at most 255 octets", "コマンドの行は 255 オクテットまでです"};
inline constexpr ResponseSpec WrongState{"WrongState", false, "", "Command not valid in this state", "RFC 1939 §3",
    "the steps came in the wrong order (for example RETR before logging in)",
    "手順の順番が違います(例: ログインの前に RETR)"};
inline constexpr ResponseSpec NoSuchMessage{"NoSuchMessage", false, "", "No such message", "RFC 1939 §5",
    "there is no letter with that number in this session's list", "その番号の手紙はこの接続の一覧にありません"};
inline constexpr ResponseSpec AlreadyDeleted{"AlreadyDeleted", false, "", "Message already deleted", "RFC 1939 §5",
    "that letter is marked for deletion; RSET takes the mark back", "その手紙には削除の印が付いています。RSET で取り消せます"};
inline constexpr ResponseSpec MessageGone{"MessageGone", false, "", "Message no longer exists", "RFC 1939 §5",
    "another program (an IMAP client) removed the letter after this session listed it",
    "この接続が一覧を作った後で、別のプログラム(IMAP クライアント)が手紙を消しました"};
inline constexpr ResponseSpec UserFirst{"UserFirst", false, "", "Send USER first", "RFC 1939 §7",
    "PASS must come right after USER", "PASS は USER の直後に送る必要があります"};
inline constexpr ResponseSpec PlaintextDisallowed{"PlaintextDisallowed", false, "AUTH",
    "Plaintext authentication disallowed on non-secure connections; use STLS first", "RFC 2595 §4, RFC 3206 §4",
    "the password would travel unencrypted: encrypt the connection first (STLS, or port 995)",
    "パスワードが暗号化されずに流れてしまいます。先に接続を暗号化してください(STLS か 995 番ポート)"};
inline constexpr ResponseSpec AuthFailed{"AuthFailed", false, "AUTH", "Authentication failed", "RFC 3206 §4",
    "wrong user name or password", "ユーザー名かパスワードが違います"};
inline constexpr ResponseSpec TooManyAuthFailures{"TooManyAuthFailures", false, "AUTH", "Too many authentication failures", "RFC 3206 §4",
    "the password was wrong too many times, so the server hung up",
    "パスワードを何度も間違えたので、サーバーが接続を切りました"};
inline constexpr ResponseSpec AuthCancelled{"AuthCancelled", false, "", "Authentication cancelled", "RFC 5034 §4",
    "the client gave up logging in (it answered \"*\")", "クライアントがログインを途中でやめました(「*」と答えました)"};
inline constexpr ResponseSpec AuthUndecodable{"AuthUndecodable", false, "", "Invalid SASL response", "RFC 5034 §4",
    "the login answer was not valid base64 or not a PLAIN message", "ログインの返事が正しい base64、または PLAIN の形式ではありませんでした"};
inline constexpr ResponseSpec UnknownMechanism{"UnknownMechanism", false, "", "Unsupported authentication mechanism", "RFC 5034 §4",
    "the client asked for a login method this server does not offer", "クライアントが、このサーバーにないログイン方式を求めました"};
inline constexpr ResponseSpec InUse{"InUse", false, "IN-USE", "Mailbox is locked by another POP3 session", "RFC 2449 §8.1.1",
    "another device is collecting this mailbox right now; try again when it has finished",
    "別の端末がいまこの郵便受けから受け取り中です。終わってからもう一度試してください"};
inline constexpr ResponseSpec LoginDelay{"LoginDelay", false, "LOGIN-DELAY", "Logging in too often", "RFC 2449 §8.1.2",
    "the client checks for mail more often than this server allows; wait before trying again",
    "サーバーが許すよりも頻繁にメールを確認しています。少し待ってから試してください"};
inline constexpr ResponseSpec MaildropUnavailable{"MaildropUnavailable", false, "SYS/TEMP", "Cannot open the mailbox right now", "RFC 3206 §4",
    "the mailbox could not be read just now (a problem on the server); try again later",
    "サーバー側の問題で郵便受けをいま読めません。後でもう一度試してください"};
inline constexpr ResponseSpec MaildropBroken{"MaildropBroken", false, "SYS/PERM", "The mailbox cannot be used", "RFC 3206 §4",
    "the mailbox is unusable and trying again will not help; the postmaster must fix it",
    "郵便受けが使えない状態で、やり直しても直りません。管理者の対応が必要です"};
inline constexpr ResponseSpec MessageUnreadable{"MessageUnreadable", false, "SYS/TEMP", "Cannot read the message right now", "RFC 3206 §4",
    "the letter could not be read from the disk just now; try again later",
    "手紙をいまディスクから読めませんでした。後でもう一度試してください"};
inline constexpr ResponseSpec UpdateFailed{"UpdateFailed", false, "SYS/TEMP", "Some deleted messages were not removed", "RFC 1939 §6",
    "the server could not remove every letter marked for deletion; they are still in the mailbox",
    "削除の印が付いた手紙の一部を消せませんでした。まだ郵便受けに残っています"};
inline constexpr ResponseSpec TlsNotAvailable{"TlsNotAvailable", false, "", "STLS not available", "RFC 2595 §4",
    "this server cannot encrypt the connection", "このサーバーは接続を暗号化できません"};
inline constexpr ResponseSpec TlsAlreadyActive{"TlsAlreadyActive", false, "", "TLS already active", "RFC 2595 §4",
    "the connection is already encrypted", "接続はすでに暗号化されています"};
inline constexpr ResponseSpec TooManyBadCommands{"TooManyBadCommands", false, "", "Too many bad commands", "RFC 1939 §3",
    "the client made too many mistakes, so the server ended the conversation",
    "クライアントの間違いが多すぎたので、サーバーが会話を打ち切りました"};
inline constexpr ResponseSpec IdleTimeout{"IdleTimeout", false, "", "Disconnected for inactivity", "RFC 1939 §3",
    "the client said nothing for too long, so the server hung up; nothing was deleted",
    "クライアントが長い間何も言わなかったので接続を切りました。何も削除されていません"};
inline constexpr ResponseSpec TooManyConnections{"TooManyConnections", false, "SYS/TEMP", "Too many connections, try again later", "RFC 3206 §4",
    "too many people are at the counter at once; come back later", "窓口が混みすぎています。後でもう一度来てください"};
inline constexpr ResponseSpec ShuttingDown{"ShuttingDown", false, "SYS/TEMP", "Server shutting down", "RFC 3206 §4",
    "the post office is closing for now; nothing was deleted, try again later",
    "郵便局がいったん閉まります。何も削除されていません。後でもう一度試してください"};
inline constexpr ResponseSpec LocalError{"LocalError", false, "SYS/TEMP", "Internal server error", "RFC 3206 §4",
    "something went wrong inside the server; try again later", "サーバー内部で問題が起きました。後でもう一度試してください"};
// clang-format on
}  // namespace responses

// The response for a spec; text (when given) replaces the default. The status and code
// always come from the spec.
Pop3Response make_response(const ResponseSpec& spec, std::string text = {});

// Every spec above, in catalogue order.
std::span<const ResponseSpec* const> all_response_specs();
const ResponseSpec* find_response_spec_by_name(std::string_view name);

}  // namespace mailflow::pop3
