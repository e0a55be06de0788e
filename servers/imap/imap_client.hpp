// The lab's simulated IMAP reader (a scenario's imap actor, one device): one fetch as one
// coroutine that reads like the dialogue — connect, TLS (IMAPS at once, or STARTTLS),
// LOGIN or AUTHENTICATE PLAIN, SELECT INBOX, UID FETCH 1:* (FLAGS) to see what is there,
// UID FETCH <uid> BODY[] for each message this device has not downloaded yet (which sets
// \Seen for every device: RFC 3501 §6.4.5), LOGOUT — and a ReaderResult
// (servers/net/mail_reader.hpp) with what came down, every response line and where it
// stopped.
//
// RFC 3501: §2.2.1 tagged commands, untagged "*" data and "+" continuations; §4.3
// literals {n} (the n octets after the line are data, whatever they hold); §6.2.1
// STARTTLS; §6.2.2 AUTHENTICATE; §6.2.3 LOGIN with quoted strings; §7.1.4 BYE. RFC 4616
// (PLAIN). RFC 8314 §3.3 (implicit TLS on 993).
//
// New is per device, by UIDVALIDITY and UID (options.known holds "uidvalidity/uid"), not
// by \Seen: two devices on one account each download a letter once, although the first
// one's download marks it read for both — what the two-devices lesson shows.
//
// Leaves out: IDLE, folders other than INBOX, CONDSTORE/QRESYNC, non-synchronizing
// literals, compression. A login or password that cannot be a quoted string (CR, LF, 8-bit)
// goes by AUTHENTICATE PLAIN, which carries any octets.
#pragma once

#include "servers/net/asio.hpp"
#include "servers/net/mail_reader.hpp"

namespace mailflow::imap {

// One fetch from server. Never throws for anything the network or the server does; every
// failure is in the result. Runs on the caller's executor (one thread or strand).
net::awaitable<net::ReaderResult> fetch_mail(net::tcp::endpoint server, net::ReaderOptions options);

}  // namespace mailflow::imap
