// The TRANSACTION state's commands (RFC 1939 §5 and §7: STAT, LIST, UIDL, RETR, TOP, DELE,
// RSET, NOOP) and QUIT with the UPDATE state (§6). Each handler starts with its grammar
// line; the dispatcher has checked the state and that numeric arguments are numbers.
//
// What the store sees: nothing until UPDATE. There the messages marked with DELE are
// expunged, and those downloaded with RETR (not TOP) get the Maildir S (\Seen) flag, as
// Dovecot does by default (pop3_no_flag_updates = no), so an IMAP client on the same
// mailbox shows them as read. A session that ends without QUIT changes nothing at all.
#include <fmt/format.h>

#include "servers/pop3/pop3_session.hpp"
#include "servers/pop3/pop3_text.hpp"
#include "servers/smtp/message_headers.hpp"

namespace mailflow::pop3 {

using namespace mailflow::net;

namespace {

// The header that carries a message's journey id from hop to hop inside the lab (stamped
// at submission, see servers/lab_mail.cpp).
constexpr std::string_view kJourneyHeader = "X-Mailflow-Journey";
constexpr std::string_view kInbox = "INBOX";

}  // namespace

DropMessage* Pop3Session::message_for(const std::string& number_text) {
  auto found = drop_.find(parse_number(number_text).value_or(0));
  switch (found.status) {
    case Maildrop::Lookup::Found: return found.message;
    case Maildrop::Lookup::Deleted: respond(make_response(responses::AlreadyDeleted)); break;
    case Maildrop::Lookup::NoSuchMessage:
      respond(make_response(responses::NoSuchMessage, fmt::format("No such message, only {} messages in maildrop", drop_.total())));
      break;
  }
  return nullptr;
}

std::string Pop3Session::journey_of(DropMessage& m) {
  if (m.journey.empty()) {
    if (auto bytes = mailbox_->read(kInbox, m.uid); bytes.ok()) {
      m.journey = smtp::header_value(bytes.value, kJourneyHeader).value_or("");
    }
  }
  return m.journey;
}

// stat = "STAT" CRLF → "+OK" SP count SP octets
awaitable<void> Pop3Session::on_stat(const Command&) {
  respond(make_response(responses::DropListing, fmt::format("{} {}", drop_.count(), drop_.octets())));
  co_return;
}

// list = "LIST" [SP msg] CRLF → scan listings "msg SP octets"
awaitable<void> Pop3Session::on_list(const Command& c) {
  listing(c, make_response(responses::ScanListing, fmt::format("{} messages ({} octets)", drop_.count(), drop_.octets())),
          [](const DropMessage& m) { return std::to_string(m.size); });
  co_return;
}

// uidl = "UIDL" [SP msg] CRLF → "msg SP unique-id"
awaitable<void> Pop3Session::on_uidl(const Command& c) {
  listing(c, make_response(responses::UidListing), [](const DropMessage& m) { return m.unique_id; });
  co_return;
}

// LIST and UIDL: one message as "+OK msg value", or every message not deleted as
// "msg value" lines after `header`.
void Pop3Session::listing(const Command& c, Pop3Response header, std::string (*value)(const DropMessage&)) {
  if (!c.arguments.empty()) {
    if (DropMessage* m = message_for(c.arguments.front())) {
      respond(make_response(responses::DropListing, fmt::format("{} {}", c.arguments.front(), value(*m))));
    }
    return;
  }
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < drop_.total(); ++i) {
    const DropMessage& m = drop_.messages()[i];
    if (!m.deleted) lines.push_back(fmt::format("{} {}", i + 1, value(m)));
  }
  respond_multiline(std::move(header), dot_stuff_lines(lines));
}

// retr = "RETR" SP msg CRLF
awaitable<void> Pop3Session::on_retr(const Command& c) { co_await fetch(c.arguments.front(), std::nullopt); }

// top = "TOP" SP msg SP n CRLF
awaitable<void> Pop3Session::on_top(const Command& c) { co_await fetch(c.arguments[0], parse_number(c.arguments[1])); }

awaitable<void> Pop3Session::fetch(const std::string& number_text, std::optional<std::uint64_t> body_lines) {
  DropMessage* m = message_for(number_text);
  if (!m) co_return;
  auto bytes = mailbox_->read(kInbox, m->uid);
  if (!bytes.ok()) {
    if (bytes.status == sim::StoreStatus::NoSuchMessage) {
      respond(make_response(responses::MessageGone));
    } else {
      publish(sim::EventKind::Error, fmt::format("cannot read UID {} of {}: {}", m->uid, user_->address, bytes.error));
      respond(make_response(responses::MessageUnreadable));
    }
    co_return;
  }
  m->journey = smtp::header_value(bytes.value, kJourneyHeader).value_or("");
  if (body_lines) {
    publish(sim::EventKind::Fetched,
            fmt::format("TOP {} {}: the header and {} body lines of UID {} of {}", number_text, *body_lines, *body_lines,
                        m->uid, user_->address),
            {}, m->journey);
    respond_multiline(make_response(responses::TopFollows), dot_stuff(top_of(bytes.value, *body_lines)));
  } else {
    m->retrieved = true;
    publish(sim::EventKind::Fetched,
            fmt::format("RETR {}: UID {} of {}, {} octets downloaded", number_text, m->uid, user_->address, m->size), {},
            m->journey);
    respond_multiline(make_response(responses::MessageFollows, fmt::format("{} octets", m->size)), dot_stuff(bytes.value));
  }
}

// dele = "DELE" SP msg CRLF: only a mark; RFC 1939 §5 "the POP3 server does not actually
// delete the message until the POP3 session enters the UPDATE state".
awaitable<void> Pop3Session::on_dele(const Command& c) {
  if (DropMessage* m = message_for(c.arguments.front())) {
    m->deleted = true;
    respond(make_response(responses::MarkedDeleted, fmt::format("Message {} deleted", c.arguments.front())));
  }
  co_return;
}

// rset = "RSET" CRLF
awaitable<void> Pop3Session::on_rset(const Command&) {
  drop_.undelete_all();
  respond(make_response(responses::DeletionsUndone,
                        fmt::format("Maildrop has {} messages ({} octets)", drop_.count(), drop_.octets())));
  co_return;
}

// noop = "NOOP" CRLF
awaitable<void> Pop3Session::on_noop(const Command&) {
  respond(make_response(responses::Ok));
  co_return;
}

// quit = "QUIT" CRLF: in AUTHORIZATION just goodbye (§4), in TRANSACTION via UPDATE (§6).
awaitable<void> Pop3Session::on_quit(const Command&) {
  quit_ = true;
  if (state_ != Pop3State::Transaction) {
    respond(make_response(responses::Bye, fmt::format("{} POP3 mailflow signing off", config_.host_name)));
    co_return;
  }
  enter_state(Pop3State::Update);
  respond(update());
}

Pop3Response Pop3Session::update() {
  std::size_t failed = 0;
  for (auto& m : drop_.messages()) {
    if (!m.deleted) continue;
    std::string journey = journey_of(m);
    auto removed = mailbox_->expunge(kInbox, m.uid);
    // A message another session expunged meanwhile is gone as the client wanted.
    if (!removed.ok() && removed.status != sim::StoreStatus::NoSuchMessage) {
      ++failed;
      publish(sim::EventKind::Error, fmt::format("cannot delete UID {} of {}: {}", m.uid, user_->address, removed.error),
              {}, journey);
      continue;
    }
    publish(sim::EventKind::Deleted, fmt::format("UID {} deleted from the mailbox of {} (POP3 DELE, QUIT)", m.uid, user_->address),
            {}, journey);
  }
  for (const auto& m : drop_.messages()) {
    // Downloaded messages are read now: Maildir "S" (the file's flags; a vanished one is skipped).
    if (m.retrieved && !m.deleted) mailbox_->change_flags(kInbox, m.uid, "S", "");
  }
  if (failed > 0) return make_response(responses::UpdateFailed, fmt::format("{} deleted messages were not removed", failed));
  std::size_t left = drop_.count();
  return make_response(responses::Bye, left == 0 ? fmt::format("{} POP3 mailflow signing off (maildrop empty)", config_.host_name)
                                                 : fmt::format("{} POP3 mailflow signing off ({} messages left)", config_.host_name, left));
}

}  // namespace mailflow::pop3
