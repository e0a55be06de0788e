// The one catalogue of SMTP replies the lab's servers send: each a named constant with its
// reply code, enhanced status code, default text, the RFC section that defines it, and a
// plain-language explanation in English and Japanese that lessons and the visualizer show.
// Handlers never write reply codes as bare integers; they write make_reply(replies::X).
//
// RFC 5321 §4.2.2 / §4.2.3 (reply codes), RFC 3463 + the IANA "SMTP Enhanced Status
// Codes" registry (class.subject.detail), RFC 2034 (enhanced codes in replies),
// RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 1870 (SIZE), RFC 6409 (submission).
// Leaves out: codes only clients see from other servers (find_reply_spec returns nullptr
// or the nearest explanation for those).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "servers/smtp/smtp_reply.hpp"

namespace mailflow::smtp {

struct ReplySpec {
  std::string_view name;        // unique, CamelCase, the constant's name
  int code;
  std::string_view enhanced;    // "" when the reply has none (220 greeting, 334)
  std::string_view text;        // default text
  std::string_view rfc;         // where it is defined
  std::string_view explain_en;  // for a student
  std::string_view explain_ja;
};

namespace replies {
// clang-format off
// --- 2yz: done --------------------------------------------------------------------------
inline constexpr ReplySpec Ready{"Ready", 220, "", "ESMTP mailflow", "RFC 5321 §4.3.1",
    "the post office is open and listening", "郵便局が開いていて、話を聞く準備ができています"};
inline constexpr ReplySpec TlsGoAhead{"TlsGoAhead", 220, "2.0.0", "Ready to start TLS", "RFC 3207 §4",
    "both sides now switch to an encrypted connection", "これから通信を暗号化に切り替えます"};
inline constexpr ReplySpec Bye{"Bye", 221, "2.0.0", "Bye", "RFC 5321 §4.1.1.10",
    "the post office says goodbye and closes the connection", "郵便局があいさつをして接続を閉じます"};
// Postfix's answer to a line starting with an HTTP method (smtpd_forbidden_commands):
// a browser or proxy client was pointed at the mail port; say goodbye and close.
inline constexpr ReplySpec HttpRefused{"HttpRefused", 221, "2.7.0", "Error: I can break rules, too. Goodbye.", "RFC 5321 §3.8",
    "a web browser (HTTP) was pointed at the post office: it hangs up", "Web ブラウザ(HTTP)が郵便局に話しかけたので、郵便局は接続を切ります"};
inline constexpr ReplySpec AuthSucceeded{"AuthSucceeded", 235, "2.7.0", "Authentication successful", "RFC 4954 §6",
    "the password was right: you are logged in", "パスワードが正しく、ログインできました"};
inline constexpr ReplySpec Ok{"Ok", 250, "2.0.0", "OK", "RFC 5321 §4.2.2",
    "done, all is well", "完了しました。問題ありません"};
inline constexpr ReplySpec SenderOk{"SenderOk", 250, "2.1.0", "Sender OK", "RFC 5321 §4.1.1.2",
    "the post office accepts this sender address", "郵便局はこの差出人アドレスを受け付けました"};
inline constexpr ReplySpec RecipientOk{"RecipientOk", 250, "2.1.5", "Recipient OK", "RFC 5321 §4.1.1.3",
    "the post office accepts this recipient", "郵便局はこの宛先を受け付けました"};
inline constexpr ReplySpec Queued{"Queued", 250, "2.0.0", "OK: queued", "RFC 5321 §4.1.1.4",
    "the letter is safely stored; the post office is now responsible for it",
    "手紙は安全に保管されました。ここから先は郵便局の責任です"};
inline constexpr ReplySpec WillForward{"WillForward", 251, "2.1.5", "User not local; will forward", "RFC 5321 §3.4",
    "the recipient lives elsewhere, but this post office will forward the letter",
    "宛先の人はここにはいませんが、この郵便局が転送してくれます"};
inline constexpr ReplySpec CannotVerify{"CannotVerify", 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery", "RFC 5321 §3.5.3",
    "the post office will not say whether this person exists (that would help spammers), but it will try",
    "この人がいるかどうかは教えません(迷惑メール対策)が、配達は試みます"};
inline constexpr ReplySpec Help{"Help", 214, "2.0.0", "See RFC 5321", "RFC 5321 §4.1.1.8",
    "help text for the person at the keyboard", "操作している人向けのヘルプです"};
// --- 3yz: go on -------------------------------------------------------------------------
inline constexpr ReplySpec AuthChallenge{"AuthChallenge", 334, "", "", "RFC 4954 §4",
    "the server asks for the next piece of the login (user name or password, in base64)",
    "サーバーがログインの続き(ユーザー名やパスワードを base64 で)を求めています"};
inline constexpr ReplySpec StartMailInput{"StartMailInput", 354, "", "End data with <CR><LF>.<CR><LF>", "RFC 5321 §4.1.1.4",
    "go ahead and send the letter; a line with a single dot ends it",
    "手紙の本文を送ってください。点だけの行で終わりです"};
// --- 4yz: not now, try again later ------------------------------------------------------
inline constexpr ReplySpec ShuttingDown{"ShuttingDown", 421, "4.3.2", "Service shutting down, closing connection", "RFC 5321 §3.8",
    "the post office is closing for now; the sender will try again later",
    "郵便局がいったん閉まります。送信側は後でやり直します"};
inline constexpr ReplySpec ServiceUnavailable{"ServiceUnavailable", 421, "4.3.2", "Service not available, closing transmission channel", "RFC 5321 §3.8, §4.2.3",
    "the post office is closed for now and hangs up at once; the sender keeps the letter and tries again later",
    "郵便局は今は閉まっていて、すぐに接続を切ります。送信側は手紙を預かったまま、後でやり直します"};
inline constexpr ReplySpec IdleTimeout{"IdleTimeout", 421, "4.4.2", "Idle timeout, closing connection", "RFC 5321 §4.5.3.2.7",
    "the client said nothing for too long, so the post office hung up",
    "クライアントが長い間何も言わなかったので、郵便局が接続を切りました"};
inline constexpr ReplySpec TooManyConnections{"TooManyConnections", 421, "4.7.0", "Too many connections, try again later", "RFC 5321 §3.8",
    "too many people are at the counter at once; come back later",
    "窓口が混みすぎています。後でもう一度来てください"};
inline constexpr ReplySpec TooManyErrors{"TooManyErrors", 421, "4.7.0", "Too many errors, closing connection", "RFC 5321 §3.8",
    "the client made too many mistakes, so the post office ended the conversation",
    "クライアントの間違いが多すぎたので、郵便局が会話を打ち切りました"};
inline constexpr ReplySpec MailboxUnavailableTemp{"MailboxUnavailableTemp", 450, "4.2.0", "Mailbox temporarily unavailable", "RFC 5321 §4.2.2",
    "the mailbox cannot take letters right now; try again later",
    "今はこの郵便受けに入れられません。後でやり直してください"};
inline constexpr ReplySpec LocalError{"LocalError", 451, "4.3.0", "Local error in processing, try again later", "RFC 5321 §4.2.2",
    "something broke inside the post office; the letter was not accepted and will be sent again later",
    "郵便局の中で問題が起きました。手紙は受け付けられず、後で再送されます"};
inline constexpr ReplySpec Greylisted{"Greylisted", 451, "4.7.1", "Greylisted, try again later", "RFC 6647 §2.1",
    "this post office does not know the sender yet and asks it to come back later (real servers retry, spammers often do not)",
    "この郵便局は初めての送り主に「後で来て」と言います(本物のサーバーは再送し、迷惑メールはしないことが多い)"};
inline constexpr ReplySpec MailboxFullTemp{"MailboxFullTemp", 452, "4.2.2", "Mailbox full, try again later", "RFC 3463 §3.3",
    "the recipient's mailbox is full for now; the letter waits in the queue and is tried again",
    "宛先の郵便受けが今いっぱいです。手紙はキューで待ち、後で再配達されます"};
inline constexpr ReplySpec InsufficientStorage{"InsufficientStorage", 452, "4.3.1", "Insufficient system storage", "RFC 5321 §4.2.2",
    "the post office's own storage is nearly full; try again later",
    "郵便局の保管場所がほぼいっぱいです。後でやり直してください"};
inline constexpr ReplySpec TooManyRecipients{"TooManyRecipients", 452, "4.5.3", "Too many recipients", "RFC 5321 §4.5.3.1.10",
    "this letter has more recipients than one delivery may carry; send the rest in another transaction",
    "宛先が多すぎます。残りは別の送信で送ってください"};
inline constexpr ReplySpec TlsNotAvailable{"TlsNotAvailable", 454, "4.7.0", "TLS not available due to temporary reason", "RFC 3207 §4",
    "encryption cannot be started right now", "今は暗号化を始められません"};
// --- 5yz: no, and do not try again ------------------------------------------------------
inline constexpr ReplySpec LineTooLong{"LineTooLong", 500, "5.5.2", "Line too long", "RFC 5321 §4.5.3.1.4",
    "the client sent a line longer than the rules allow", "クライアントが決まりより長い行を送りました"};
inline constexpr ReplySpec SyntaxError{"SyntaxError", 500, "5.5.2", "Syntax error", "RFC 5321 §4.2.2",
    "the post office could not understand that line", "郵便局はその行を理解できませんでした"};
inline constexpr ReplySpec UnknownCommand{"UnknownCommand", 500, "5.5.1", "Command unrecognized", "RFC 5321 §4.2.4",
    "the post office does not know that command", "郵便局はそのコマンドを知りません"};
inline constexpr ReplySpec ParameterSyntax{"ParameterSyntax", 501, "5.5.4", "Syntax error in parameters or arguments", "RFC 5321 §4.2.2",
    "the command is known, but what follows it is written wrongly", "コマンドは分かりますが、その後ろの書き方が間違っています"};
inline constexpr ReplySpec BadAddressSyntax{"BadAddressSyntax", 501, "5.1.3", "Bad address syntax", "RFC 5321 §4.1.2",
    "the address is not written the way an e-mail address must be", "メールアドレスの書き方が正しくありません"};
inline constexpr ReplySpec AuthCancelled{"AuthCancelled", 501, "5.7.0", "Authentication canceled", "RFC 4954 §4",
    "the client gave up logging in (it answered \"*\")", "クライアントがログインを途中でやめました(「*」と答えました)"};
inline constexpr ReplySpec AuthResponseUndecodable{"AuthResponseUndecodable", 501, "5.5.2", "Cannot decode response", "RFC 4954 §4",
    "the login answer was not valid base64", "ログインの返事が正しい base64 ではありませんでした"};
inline constexpr ReplySpec AuthLineTooLong{"AuthLineTooLong", 500, "5.5.6", "Authentication exchange line is too long", "RFC 4954 §4",
    "the login answer was longer than the server accepts", "ログインの返事がサーバーの受け付ける長さを超えていました"};
inline constexpr ReplySpec NotImplemented{"NotImplemented", 502, "5.5.1", "Command not implemented", "RFC 5321 §4.2.4",
    "the post office knows that command but does not offer it", "郵便局はそのコマンドを知っていますが、使えるようにしていません"};
inline constexpr ReplySpec BadSequence{"BadSequence", 503, "5.5.1", "Bad sequence of commands", "RFC 5321 §4.1.4",
    "the steps came in the wrong order (for example RCPT before MAIL)", "手順の順番が違います(例: MAIL の前に RCPT)"};
inline constexpr ReplySpec UnknownAuthMechanism{"UnknownAuthMechanism", 504, "5.5.4", "Unrecognized authentication type", "RFC 4954 §6",
    "the client asked for a login method this server does not offer", "クライアントが、このサーバーにないログイン方式を求めました"};
inline constexpr ReplySpec StartTlsFirst{"StartTlsFirst", 530, "5.7.0", "Must issue a STARTTLS command first", "RFC 3207 §4",
    "encrypt the connection first (STARTTLS) before doing this", "先に STARTTLS で接続を暗号化してください"};
inline constexpr ReplySpec AuthRequired{"AuthRequired", 530, "5.7.0", "Authentication required", "RFC 4954 §6",
    "log in first: the submission server only takes letters from its own users",
    "先にログインしてください。送信サーバーは自分の利用者からしか手紙を受け付けません"};
inline constexpr ReplySpec MechanismTooWeak{"MechanismTooWeak", 534, "5.7.9", "Authentication mechanism is too weak", "RFC 4954 §6",
    "this login method is not safe enough here", "このログイン方式はここでは安全性が足りません"};
inline constexpr ReplySpec AuthFailed{"AuthFailed", 535, "5.7.8", "Authentication credentials invalid", "RFC 4954 §6",
    "wrong user name or password", "ユーザー名かパスワードが違います"};
inline constexpr ReplySpec EncryptionRequiredForAuth{"EncryptionRequiredForAuth", 538, "5.7.11", "Encryption required for requested authentication mechanism", "RFC 4954 §6",
    "sending a password over an unencrypted connection is not allowed; use STARTTLS first",
    "暗号化されていない接続でパスワードを送ることはできません。先に STARTTLS を使ってください"};
inline constexpr ReplySpec UserUnknown{"UserUnknown", 550, "5.1.1", "User unknown", "RFC 5321 §4.2.2, RFC 3463 §3.2",
    "nobody with that name lives at this post office: check the spelling of the address",
    "その名前の人はこの郵便局にいません。アドレスのつづりを確かめてください"};
inline constexpr ReplySpec PolicyRejected{"PolicyRejected", 550, "5.7.1", "Rejected by policy", "RFC 5321 §4.2.2, RFC 3463 §3.8",
    "the post office's rules do not allow this", "郵便局の決まりで、これは許されていません"};
inline constexpr ReplySpec BareNewlineRejected{"BareNewlineRejected", 550, "5.5.2", "Message contains bare CR or LF; use CRLF line endings", "RFC 5321 §2.3.8",
    "the letter's lines did not end the standard way (CR LF); such letters can be used to smuggle mail, so it was refused",
    "手紙の行末が標準(CR LF)ではありませんでした。なりすましメールに悪用されうるため拒否しました"};
inline constexpr ReplySpec UserNotLocal{"UserNotLocal", 551, "5.1.6", "User not local; please try <forward-path>", "RFC 5321 §3.4",
    "the recipient has moved; the reply says where to send instead", "宛先の人は引っ越しました。返事に新しい送り先が書かれています"};
inline constexpr ReplySpec MailboxFull{"MailboxFull", 552, "5.2.2", "Mailbox full", "RFC 3463 §3.3",
    "the recipient's mailbox is full; the letter comes back to the sender",
    "宛先の郵便受けがいっぱいです。手紙は差出人に戻ります"};
inline constexpr ReplySpec MessageTooBig{"MessageTooBig", 552, "5.3.4", "Message size exceeds fixed limit", "RFC 1870 §6, RFC 3463 §3.4",
    "the letter is bigger than this post office accepts", "手紙がこの郵便局で受け付けられる大きさを超えています"};
inline constexpr ReplySpec BadMailboxSyntax{"BadMailboxSyntax", 553, "5.1.3", "Mailbox name not allowed: bad address syntax", "RFC 5321 §4.2.2",
    "the address is not written the way an e-mail address must be", "メールアドレスの書き方が正しくありません"};
inline constexpr ReplySpec SenderNotOwned{"SenderNotOwned", 553, "5.7.1", "Sender address not owned by the authenticated user", "RFC 6409 §6.1",
    "you are logged in as someone else than the sender address you wrote", "ログインした人と差出人アドレスが一致しません"};
inline constexpr ReplySpec SenderNotAllowed{"SenderNotAllowed", 553, "5.7.1", "Sender address rejected: not allowed to send from here", "RFC 5321 §4.2.2, RFC 3463 §3.8",
    "this post office does not take letters from that sender address (a block list or a sender policy)",
    "この郵便局は、その差出人アドレスからの手紙を受け付けません(ブロックリストや差出人の方針)"};
inline constexpr ReplySpec BadSenderDomain{"BadSenderDomain", 553, "5.1.8", "Bad sender's system address", "RFC 3463 §3.2",
    "the sender's domain does not exist, so no reply could ever reach it", "差出人のドメインが存在しないので、返事が届きません"};
inline constexpr ReplySpec RelayDenied{"RelayDenied", 554, "5.7.1", "Relay access denied", "RFC 5321 §3.6.2",
    "this post office only delivers to its own users unless you log in; it will not carry letters for strangers",
    "この郵便局は、ログインしていない人の手紙を他の郵便局へは運びません"};
inline constexpr ReplySpec SpamRejected{"SpamRejected", 554, "5.7.1", "Message rejected for policy reasons", "RFC 5321 §4.2.2, RFC 3463 §3.8",
    "the post office thinks this letter is spam or against its rules", "郵便局はこの手紙を迷惑メール、または決まり違反と判断しました"};
inline constexpr ReplySpec NoValidRecipients{"NoValidRecipients", 554, "5.5.0", "No valid recipients", "RFC 5321 §3.3",
    "every recipient was refused, so there is nobody to deliver the letter to",
    "すべての宛先が拒否されたので、届ける相手がいません"};
inline constexpr ReplySpec NoSmtpService{"NoSmtpService", 554, "5.3.2", "No SMTP service here", "RFC 5321 §3.1",
    "this post office will not take mail at all: its greeting says no, and it answers only QUIT after that",
    "この郵便局はメールを一切受け付けません。あいさつで断り、その後は QUIT にしか応じません"};
inline constexpr ReplySpec ParameterNotRecognized{"ParameterNotRecognized", 555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented", "RFC 5321 §4.1.1.11",
    "the client added an option to MAIL or RCPT that this server does not know",
    "クライアントが MAIL や RCPT に、このサーバーの知らないオプションを付けました"};
// clang-format on
}  // namespace replies

// The reply for a spec; text (when given) replaces the default and may hold "\n" for a
// multi-line reply. The code and enhanced code always come from the spec.
SmtpReply make_reply(const ReplySpec& spec, std::string text = {});

// Every spec above, in catalogue order.
std::span<const ReplySpec* const> all_reply_specs();

// The explanation for a reply, for example one a remote server sent: the spec with this
// code and enhanced code; failing that, one with the same code and the same
// class.subject; with no enhanced code given, the first spec with the code. nullptr when
// the lab has nothing honest to say about it.
const ReplySpec* find_reply_spec(int code, std::string_view enhanced);
const ReplySpec* find_reply_spec_by_name(std::string_view name);

}  // namespace mailflow::smtp
