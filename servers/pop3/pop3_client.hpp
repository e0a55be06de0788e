// The lab's simulated POP3 reader (a scenario's pop3 actor): one fetch as one coroutine
// that reads like the dialogue — connect, TLS (POP3S at once, or STLS), USER/PASS or AUTH
// PLAIN, STAT, LIST, UIDL, RETR each new message, DELE it unless the account leaves mail
// on the server, QUIT — and a ReaderResult (servers/net/mail_reader.hpp) with what came
// down, every line the server said and where it stopped.
//
// RFC 1939 (POP3; §3 byte-stuffed multi-line responses, §6 deletion happens at QUIT),
// RFC 2449 (response codes like [AUTH]), RFC 2595 §4 (STLS), RFC 5034 (AUTH PLAIN with an
// initial response), RFC 8314 §3.3 (implicit TLS on 995).
//
// With leave_on_server, a message whose UIDL this device has seen before (options.known)
// is not downloaded again: how every real client keeps mail on the server without
// fetching it twice. Without UIDL support that check is impossible, so every message is new.
//
// Leaves out: APOP (the lab's accounts use passwords), TOP, CAPA probing (the password is
// sent after STLS, or not, as the account settings say: the server's refusal is the lesson).
#pragma once

#include "servers/net/asio.hpp"
#include "servers/net/mail_reader.hpp"

namespace mailflow::pop3 {

// One fetch from server. Never throws for anything the network or the server does; every
// failure is in the result. Runs on the caller's executor (one thread or strand).
net::awaitable<net::ReaderResult> fetch_mail(net::tcp::endpoint server, net::ReaderOptions options);

}  // namespace mailflow::pop3
