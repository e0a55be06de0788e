// IMAP commands on the messages of the selected folder: STORE, SEARCH, COPY, MOVE
// (RFC 6851) and their UID forms, with COPYUID (RFC 4315). FETCH is in
// imap_session_fetch.cpp.
#include <algorithm>

#include <fmt/format.h>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_search_eval.hpp"
#include "servers/imap/imap_sequence.hpp"
#include "servers/imap/imap_session.hpp"
#include "sim/mime.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

namespace {

std::int64_t seconds_of(sim::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

struct CopyOutcome {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> copied;  // source uid, new uid
  std::uint32_t uidvalidity = 0;
  sim::StoreStatus failure = sim::StoreStatus::Ok;
};

}  // namespace

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
  // -FLAGS of a keyword the folder never had removes nothing, so it defines nothing.
  auto letters = letters_for(c, args.flags, folder_, args.mode != StoreArgs::Mode::Remove);
  if (!letters) co_return;
  bool expunged = false;
  std::size_t changes = 0;
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
    if (r.value.flags != v.letters) ++changes;
    v.letters = r.value.flags;
    const std::string shown = flags_text(v);  // first, so a keyword new to keywords_ has its name
    if (observed()) {
      // Setting \Deleted is the user's "delete": this event says so, EXPUNGE's removes it.
      publish(sim::EventKind::State,
              fmt::format("flags of UID {} in {}: ({})", v.uid, folder_, imap_flags_of(v.letters, false, keywords_)),
              journey_of(v.uid));
    }
    if (!args.silent) {
      untagged(c.uid ? fmt::format("{} FETCH (UID {} FLAGS ({}))", seq, v.uid, shown)
                     : fmt::format("{} FETCH (FLAGS ({}))", seq, shown));
    }
  }
  if (changes != 0) {
    own_changes(changes);
    changed();
  }
  sync(false);
  if (expunged) {
    tagged(c, "NO", format_code(codes::ExpungeIssued) + " Some messages were expunged");
  } else {
    tagged(c, "OK", fmt::format("{}STORE completed", c.uid ? "UID " : ""));
  }
}

awaitable<void> ImapSession::on_search(const Command& c) {
  const auto& criteria = std::get<SearchCriteria>(c.args);
  const MessageContent need = content_needed(criteria.key);
  std::string hits;
  const auto count = static_cast<std::uint32_t>(view_.size());
  const std::uint32_t max_uid = view_.empty() ? 0 : view_.back().uid;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    ViewMessage& v = view_[i];
    std::string text;
    sim::mime::Part mime;
    if (need != MessageContent::None) {
      auto content = message_content(v.uid, need);
      if (!content) continue;  // expunged meanwhile: matches nothing
      text = std::move(*content);
      mime = sim::mime::parse_message(text, config_.limits.mime);
    }
    flags_text(v);  // learns keywords defined since SELECT, so KEYWORD finds them
    SearchMessage message;
    message.seq = static_cast<std::uint32_t>(i + 1);
    message.uid = v.uid;
    message.message_count = count;
    message.max_uid = max_uid;
    message.flags = flag_names(v.letters);
    message.recent = v.recent;
    message.size = v.size;
    message.internal_day = seconds_of(v.internal_date) / 86400;
    message.text = text;
    message.mime = need == MessageContent::None ? nullptr : &mime;
    if (matches(criteria.key, message)) hits += fmt::format(" {}", c.uid ? v.uid : i + 1);
  }
  untagged("SEARCH" + hits);
  sync(false);
  tagged(c, "OK", fmt::format("{}SEARCH completed", c.uid ? "UID " : ""));
  co_return;
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
  std::vector<std::uint32_t> uids;
  for (std::size_t seq : resolve(args.set, c.uid)) uids.push_back(view_[seq - 1].uid);
  const std::shared_ptr<sim::Mailbox> mailbox = mailbox_;
  const std::string from = folder_;
  const std::string to = *dest;
  auto copy_all = [&mailbox, &from, &to, &uids] {
    CopyOutcome out;
    for (std::uint32_t uid : uids) {
      auto r = mailbox->copy(from, uid, to);
      if (r.status == sim::StoreStatus::NoSuchMessage) continue;
      if (!r.stored()) {
        out.failure = r.status;
        break;
      }
      out.uidvalidity = r.uidvalidity;
      out.copied.emplace_back(uid, r.uid);
    }
    // RFC 3501 §6.4.7: a failed COPY leaves the destination as it was.
    if (out.failure != sim::StoreStatus::Ok) {
      for (auto [source, copy] : out.copied) mailbox->expunge(to, copy);
    }
    return out;
  };
  CopyOutcome outcome = co_await run_write(copy_all);
  if (outcome.failure != sim::StoreStatus::Ok) {
    const auto& code = outcome.failure == sim::StoreStatus::QuotaExceeded     ? codes::OverQuota
                       : outcome.failure == sim::StoreStatus::TooManyKeywords ? codes::Limit
                                                                              : codes::ServerBug;
    tagged(c, "NO", format_code(code) + " Copy failed");
    co_return;
  }
  std::string code;
  if (!outcome.copied.empty()) {
    std::vector<std::uint32_t> sources, copies;
    for (auto [a, b] : outcome.copied) {
      sources.push_back(a);
      copies.push_back(b);
    }
    // Both lists in source order: COPYUID pairs them by position (RFC 4315 §3).
    code = format_code(codes::CopyUid,
                       fmt::format("{} {} {}", outcome.uidvalidity, format_numbers(sources), format_numbers(copies)));
    server_.mailbox_changed(user_->address, to, this);
  }
  if (!move) {
    sync(false);
    tagged(c, "OK", fmt::format("{}{}COPY completed", code.empty() ? "" : code + " ", c.uid ? "UID " : ""));
    co_return;
  }
  if (!code.empty()) untagged("OK " + code + " Moved");
  std::vector<std::uint32_t> moved;
  for (auto [uid, ignored] : outcome.copied) moved.push_back(uid);
  std::vector<std::string> journeys;
  for (std::uint32_t uid : moved) journeys.push_back(observed() ? journey_of(uid) : std::string());
  auto expunge_all = [&mailbox, &from, &moved] {
    std::vector<std::uint32_t> removed;
    for (std::uint32_t uid : moved) {
      if (mailbox->expunge(from, uid).ok()) removed.push_back(uid);
    }
    return removed;
  };
  const std::vector<std::uint32_t> removed = co_await run_write(expunge_all);
  for (std::size_t i = 0; i < moved.size(); ++i) {
    if (std::find(removed.begin(), removed.end(), moved[i]) == removed.end()) continue;
    publish(sim::EventKind::Deleted, fmt::format("moved UID {} out of {} to {}", moved[i], from, to), journeys[i]);
  }
  report_expunged(removed);
  own_changes(removed.size());
  sync(true);
  if (!removed.empty()) changed();
  tagged(c, "OK", fmt::format("{}MOVE completed", c.uid ? "UID " : ""));
}

void ImapSession::report_expunged(const std::vector<std::uint32_t>& uids) {
  std::vector<std::size_t> indexes;
  for (std::uint32_t uid : uids) {
    if (auto i = index_of_uid(uid)) indexes.push_back(*i);
  }
  if (indexes.empty()) return;
  // Descending, so each number is still right when the client applies the ones before.
  std::sort(indexes.rbegin(), indexes.rend());
  std::vector<bool> doomed(view_.size(), false);
  for (std::size_t i : indexes) {
    untagged(fmt::format("{} EXPUNGE", i + 1));
    doomed[i] = true;
    facts_->forget(view_[i].uid);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    if (!doomed[i]) view_[kept++] = std::move(view_[i]);
  }
  view_.resize(kept);
}

}  // namespace mailflow::imap
