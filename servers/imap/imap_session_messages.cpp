// IMAP commands on the messages of the selected folder: FETCH, STORE, SEARCH, COPY, MOVE
// (RFC 6851) and their UID forms, with COPYUID (RFC 4315).
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "servers/imap/imap_body.hpp"
#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_date.hpp"
#include "servers/imap/imap_search_eval.hpp"
#include "servers/imap/imap_section.hpp"
#include "servers/imap/imap_sequence.hpp"
#include "servers/imap/imap_session.hpp"
#include "servers/imap/imap_string.hpp"
#include "servers/smtp/message_headers.hpp"
#include "sim/mime.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

namespace {

std::string literal(std::string_view bytes) { return fmt::format("{{{}}}\r\n{}", bytes.size(), bytes); }

std::int64_t seconds_of(sim::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool needs_text(const FetchItem& item) {
  using K = FetchItem::Kind;
  return item.kind != K::Flags && item.kind != K::Uid && item.kind != K::Rfc822Size && item.kind != K::InternalDate;
}

std::vector<std::string> flag_list(std::string_view letters) {
  std::vector<std::string> out;
  std::string joined = imap_flags_of(letters, false);
  std::size_t start = 0;
  while (start < joined.size()) {
    auto end = joined.find(' ', start);
    if (end == std::string::npos) end = joined.size();
    out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

awaitable<void> ImapSession::on_fetch(const Command& c) {
  const auto& args = std::get<FetchArgs>(c.args);
  if (!c.uid && !args.set.fits(static_cast<std::uint32_t>(view_.size()))) {
    bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  for (const auto& item : args.items) {
    if (item.kind == FetchItem::Kind::BinarySection || item.kind == FetchItem::Kind::BinarySize) {
      tagged(c, "NO", format_code(codes::Cannot) + " BINARY is not supported");
      co_return;
    }
  }
  auto listed = mailbox_->list(folder_);
  if (!listed.ok()) {
    tagged(c, "NO", format_code(codes::ServerBug) + " Cannot read the mailbox");
    co_return;
  }
  std::map<std::uint32_t, const sim::MessageInfo*> info;
  for (const auto& m : listed.value) info[m.uid] = &m;
  const bool want_text = std::any_of(args.items.begin(), args.items.end(), needs_text);
  const bool sets_seen = !read_only_ && std::any_of(args.items.begin(), args.items.end(),
                                                    [](const FetchItem& i) { return i.sets_seen(); });
  bool expunged = false;
  bool seen_changed = false;
  for (std::size_t seq : resolve(args.set, c.uid)) {
    ViewMessage& v = view_[seq - 1];
    auto found = info.find(v.uid);
    if (found == info.end()) {
      expunged = true;
      continue;
    }
    const sim::MessageInfo& m = *found->second;
    std::string text;
    sim::mime::Part mime;
    if (want_text) {
      auto read = mailbox_->read(folder_, v.uid);
      if (!read.ok()) {
        expunged = true;
        continue;
      }
      text = std::move(read.value);
      mime = sim::mime::parse_message(text, config_.limits.mime);
    }
    bool flags_listed = false;
    if (sets_seen && v.letters.find('S') == std::string::npos) {
      auto changed = mailbox_->change_flags(folder_, v.uid, "S", "");
      if (changed.ok()) {
        v.letters = changed.value.flags;
        seen_changed = true;
      }
    }
    std::string out;
    auto add = [&out](std::string piece) {
      if (!out.empty()) out += ' ';
      out += piece;
    };
    for (const auto& item : args.items) {
      using K = FetchItem::Kind;
      switch (item.kind) {
        case K::Flags:
          add(fmt::format("FLAGS ({})", imap_flags_of(v.letters, v.recent)));
          flags_listed = true;
          break;
        case K::Uid: add(fmt::format("UID {}", v.uid)); break;
        case K::Rfc822Size: add(fmt::format("RFC822.SIZE {}", m.size)); break;
        case K::InternalDate:
          add(fmt::format("INTERNALDATE \"{}\"", format_date_time(DateTime{seconds_of(m.internal_date), 0})));
          break;
        case K::Envelope: add("ENVELOPE " + format_envelope(mime.fields)); break;
        case K::Body: add("BODY " + format_body_structure(mime, false)); break;
        case K::BodyStructure: add("BODYSTRUCTURE " + format_body_structure(mime, true)); break;
        case K::Rfc822: add("RFC822 " + literal(text)); break;
        case K::Rfc822Header:
          add("RFC822.HEADER " + literal(std::string_view(text).substr(mime.header_begin, mime.header_end - mime.header_begin)));
          break;
        case K::Rfc822Text:
          add("RFC822.TEXT " + literal(std::string_view(text).substr(mime.body_begin, mime.body_end - mime.body_begin)));
          break;
        case K::BodySection: {
          std::optional<std::string> owned;
          std::optional<std::string_view> bytes;
          if (item.section.text == Section::Text::HeaderFields || item.section.text == Section::Text::HeaderFieldsNot) {
            owned = section_text(mime, text, item.section);
            if (owned) bytes = *owned;
          } else {
            bytes = section_bytes(mime, text, item.section);
          }
          add(item.response_name() + " " + (bytes ? literal(apply_partial(*bytes, item.partial)) : std::string("NIL")));
          break;
        }
        case K::BinarySection:
        case K::BinarySize: break;
      }
    }
    if (seen_changed && !flags_listed) add(fmt::format("FLAGS ({})", imap_flags_of(v.letters, v.recent)));
    untagged(fmt::format("{} FETCH ({})", seq, out));
    if (want_text) {
      publish(sim::EventKind::Fetched, fmt::format("{} fetched UID {} from {}", user_->address, v.uid, folder_),
              smtp::header_value(text, "X-Mailflow-Journey").value_or(""));
    }
  }
  if (seen_changed) changed();
  sync(false);
  if (expunged) {
    tagged(c, "NO", format_code(codes::ExpungeIssued) + " Some messages were expunged");
  } else {
    tagged(c, "OK", fmt::format("{}FETCH completed", c.uid ? "UID " : ""));
  }
}

awaitable<void> ImapSession::on_store(const Command& c) {
  const auto& args = std::get<StoreArgs>(c.args);
  if (read_only_) {
    tagged(c, "NO", format_code(codes::ReadOnly) + " Mailbox is read-only");
    co_return;
  }
  if (!c.uid && !args.set.fits(static_cast<std::uint32_t>(view_.size()))) {
    bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  auto letters = letters_of(args.flags);
  if (!letters) {
    tagged(c, "NO", format_code(codes::Cannot) + " Keywords are not supported");
    co_return;
  }
  bool expunged = false;
  bool any = false;
  for (std::size_t seq : resolve(args.set, c.uid)) {
    ViewMessage& v = view_[seq - 1];
    sim::StoreValue<sim::MessageInfo> r;
    switch (args.mode) {
      case StoreArgs::Mode::Replace: r = mailbox_->set_flags(folder_, v.uid, *letters); break;
      case StoreArgs::Mode::Add: r = mailbox_->change_flags(folder_, v.uid, *letters, ""); break;
      case StoreArgs::Mode::Remove: r = mailbox_->change_flags(folder_, v.uid, "", *letters); break;
    }
    if (!r.ok()) {
      expunged = true;
      continue;
    }
    any = true;
    v.letters = r.value.flags;
    publish(sim::EventKind::State, fmt::format("flags of UID {} in {}: ({})", v.uid, folder_, imap_flags_of(v.letters, false)));
    if (!args.silent) {
      untagged(c.uid ? fmt::format("{} FETCH (UID {} FLAGS ({}))", seq, v.uid, imap_flags_of(v.letters, v.recent))
                     : fmt::format("{} FETCH (FLAGS ({}))", seq, imap_flags_of(v.letters, v.recent)));
    }
  }
  if (any) changed();
  sync(false);
  if (expunged) {
    tagged(c, "NO", format_code(codes::ExpungeIssued) + " Some messages were expunged");
  } else {
    tagged(c, "OK", fmt::format("{}STORE completed", c.uid ? "UID " : ""));
  }
}

awaitable<void> ImapSession::on_search(const Command& c) {
  const auto& criteria = std::get<SearchCriteria>(c.args);
  auto listed = mailbox_->list(folder_);
  if (!listed.ok()) {
    tagged(c, "NO", format_code(codes::ServerBug) + " Cannot read the mailbox");
    co_return;
  }
  std::map<std::uint32_t, const sim::MessageInfo*> info;
  for (const auto& m : listed.value) info[m.uid] = &m;
  std::string hits;
  const auto count = static_cast<std::uint32_t>(view_.size());
  const std::uint32_t max_uid = view_.empty() ? 0 : view_.back().uid;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    const ViewMessage& v = view_[i];
    auto found = info.find(v.uid);
    if (found == info.end()) continue;
    auto read = mailbox_->read(folder_, v.uid);
    if (!read.ok()) continue;
    auto mime = sim::mime::parse_message(read.value, config_.limits.mime);
    SearchMessage message;
    message.seq = static_cast<std::uint32_t>(i + 1);
    message.uid = v.uid;
    message.message_count = count;
    message.max_uid = max_uid;
    message.flags = flag_list(v.letters);
    message.recent = v.recent;
    message.size = found->second->size;
    message.internal_day = seconds_of(found->second->internal_date) / 86400;
    message.text = read.value;
    message.mime = &mime;
    if (matches(criteria.key, message)) hits += fmt::format(" {}", c.uid ? v.uid : i + 1);
  }
  untagged("SEARCH" + hits);
  sync(false);
  tagged(c, "OK", fmt::format("{}SEARCH completed", c.uid ? "UID " : ""));
}

awaitable<void> ImapSession::on_copy(const Command& c) {
  const auto& args = std::get<CopyArgs>(c.args);
  const bool move = c.name == CommandName::Move;
  if (move && read_only_) {
    tagged(c, "NO", format_code(codes::ReadOnly) + " Mailbox is read-only");
    co_return;
  }
  if (!c.uid && !args.set.fits(static_cast<std::uint32_t>(view_.size()))) {
    bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  auto dest = folder_name(args.mailbox);
  if (!dest || !mailbox_->folder_exists(*dest)) {
    tagged(c, "NO", format_code(codes::TryCreate) + " No such mailbox");
    co_return;
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> copied;  // source uid, new uid
  std::uint32_t uidvalidity = 0;
  for (std::size_t seq : resolve(args.set, c.uid)) {
    auto r = mailbox_->copy(folder_, view_[seq - 1].uid, *dest);
    if (r.status == sim::StoreStatus::NoSuchMessage) continue;
    if (!r.stored()) {
      tagged(c, "NO", format_code(r.status == sim::StoreStatus::QuotaExceeded ? codes::OverQuota : codes::ServerBug) +
                          " Copy failed");
      co_return;
    }
    uidvalidity = r.uidvalidity;
    copied.emplace_back(view_[seq - 1].uid, r.uid);
  }
  std::string code;
  if (!copied.empty()) {
    std::vector<std::uint32_t> from, to;
    for (auto [a, b] : copied) {
      from.push_back(a);
      to.push_back(b);
    }
    // Both lists in source order: COPYUID pairs them by position (RFC 4315 §3).
    code = format_code(codes::CopyUid, fmt::format("{} {} {}", uidvalidity, format_numbers(from), format_numbers(to)));
    server_.mailbox_changed(user_->address, *dest, this);
  }
  if (!move) {
    sync(false);
    tagged(c, "OK", fmt::format("{}{}COPY completed", code.empty() ? "" : code + " ", c.uid ? "UID " : ""));
    co_return;
  }
  if (!code.empty()) untagged("OK " + code + " Moved");
  for (auto [uid, ignored] : copied) {
    if (mailbox_->expunge(folder_, uid).ok()) publish(sim::EventKind::Deleted, fmt::format("moved UID {} out of {}", uid, folder_));
  }
  sync(true);
  if (!copied.empty()) changed();
  tagged(c, "OK", fmt::format("{}MOVE completed", c.uid ? "UID " : ""));
}

}  // namespace mailflow::imap
