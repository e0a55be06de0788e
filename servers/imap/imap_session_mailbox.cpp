// IMAP commands on mailboxes: SELECT, EXAMINE, LIST, LSUB (SPECIAL-USE, RFC 6154),
// STATUS, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, APPEND (UIDPLUS APPENDUID),
// CLOSE, UNSELECT (RFC 3691), EXPUNGE and UID EXPUNGE (RFC 4315).
#include <fmt/format.h>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_list.hpp"
#include "servers/imap/imap_sequence.hpp"
#include "servers/imap/imap_session.hpp"
#include "servers/imap/imap_string.hpp"
#include "servers/smtp/message_headers.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

namespace {

constexpr char kDelimiter = '.';

std::string_view special_use(std::string_view folder) {
  if (folder == "Sent") return " \\Sent";
  if (folder == "Drafts") return " \\Drafts";
  if (folder == "Trash") return " \\Trash";
  if (folder == "Junk") return " \\Junk";
  return "";
}

std::string wire_name(std::string_view folder) {
  auto encoded = encode_mailbox_name(folder);
  return format_astring(encoded ? *encoded : std::string(folder));
}

// The client-facing NO for a store failure.
std::string store_no(sim::StoreStatus s) {
  switch (s) {
    case sim::StoreStatus::NoSuchFolder: return format_code(codes::NonExistent) + " No such mailbox";
    case sim::StoreStatus::AlreadyExists: return format_code(codes::AlreadyExists) + " Mailbox already exists";
    case sim::StoreStatus::InvalidName: return format_code(codes::Cannot) + " Invalid mailbox name";
    case sim::StoreStatus::NotPermitted: return format_code(codes::Cannot) + " Not permitted on INBOX";
    case sim::StoreStatus::QuotaExceeded: return format_code(codes::OverQuota) + " Quota exceeded";
    case sim::StoreStatus::NoSuchMessage: return format_code(codes::ExpungeIssued) + " Message was expunged";
    case sim::StoreStatus::TooManyKeywords: return format_code(codes::Limit) + " Too many keywords";
    default: return format_code(codes::ServerBug) + " Internal error";
  }
}

}  // namespace

awaitable<void> ImapSession::on_select(const Command& c) {
  const bool examine = c.name == CommandName::Examine;
  if (state_ == ImapState::Selected) {
    deselect();
    untagged(format_code(codes::Closed).insert(0, "OK ") + " Previous mailbox closed");
  }
  auto name = folder_name(std::get<MailboxArgs>(c.args).mailbox);
  if (!name || !mailbox_->folder_exists(*name)) {
    tagged(c, "NO", store_no(name ? sim::StoreStatus::NoSuchFolder : sim::StoreStatus::InvalidName));
    co_return;
  }
  auto listed = mailbox_->listing(*name);
  if (!listed.ok()) {
    tagged(c, "NO", store_no(listed.status));
    co_return;
  }
  folder_ = *name;
  read_only_ = examine;
  state_ = ImapState::Selected;
  view_.clear();
  facts_ = server_.message_cache().folder(user_->address, *name, listed.value.uidvalidity);
  view_.reserve(listed.value.messages.size());
  for (const auto& m : listed.value.messages) {
    view_.push_back(ViewMessage{m.uid, m.flags, read_only_ && m.recent, m.size, m.internal_date});
  }
  view_stamp_ = listed.value.stamp;
  keywords_.clear();
  load_keywords(false);
  if (!read_only_) {
    auto recent = mailbox_->take_recent(folder_);
    if (recent.ok()) {
      mark_recent(recent.value);
      own_changes(recent.value.size());
    } else {
      view_stamp_.reset();
    }
  }
  std::size_t recent = 0;
  std::size_t first_unseen = 0;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    recent += view_[i].recent ? 1 : 0;
    if (!first_unseen && view_[i].letters.find('S') == std::string::npos) first_unseen = i + 1;
  }
  untagged("FLAGS " + flag_list_text(false));
  untagged(fmt::format("{} EXISTS", view_.size()));
  untagged(fmt::format("{} RECENT", recent));
  if (first_unseen) untagged(fmt::format("OK {} First unseen", format_code(codes::Unseen, std::to_string(first_unseen))));
  untagged(fmt::format("OK {} UIDs valid", format_code(codes::UidValidity, std::to_string(listed.value.uidvalidity))));
  untagged(fmt::format("OK {} Predicted next UID", format_code(codes::UidNext, std::to_string(listed.value.uidnext))));
  untagged(fmt::format("OK {} Limited", format_code(codes::PermanentFlags, read_only_ ? "()" : flag_list_text(true))));
  publish(sim::EventKind::State, fmt::format("selected {} ({} messages)", folder_, view_.size()));
  tagged(c, "OK", fmt::format("{} {} completed", format_code(read_only_ ? codes::ReadOnly : codes::ReadWrite),
                              examine ? "EXAMINE" : "SELECT"));
}

awaitable<void> ImapSession::on_list(const Command& c) {
  const auto& args = std::get<ListArgs>(c.args);
  const bool lsub = c.name == CommandName::Lsub;
  const char* verb = lsub ? "LSUB" : "LIST";
  if (args.pattern.empty() && !lsub) {
    untagged("LIST (\\Noselect) \".\" \"\"");
    tagged(c, "OK", "LIST completed");
    co_return;
  }
  std::string pattern = join_list_pattern(args.reference, args.pattern, kDelimiter);
  auto decoded = decode_mailbox_name(pattern);
  if (decoded) pattern = *decoded;
  auto folders = mailbox_->list_folders();
  if (!folders.ok()) {
    tagged(c, "NO", store_no(folders.status));
    co_return;
  }
  for (const auto& f : folders.value) {
    if (!list_pattern_matches(pattern, f, kDelimiter)) continue;
    if (lsub && unsubscribed_.count(f)) continue;
    bool children = false;
    for (const auto& g : folders.value) {
      if (g.size() > f.size() && g.compare(0, f.size(), f) == 0 && g[f.size()] == kDelimiter) children = true;
    }
    untagged(fmt::format("{} ({}{}) \".\" {}", verb, children ? "\\HasChildren" : "\\HasNoChildren",
                         special_use(f), wire_name(f)));
  }
  tagged(c, "OK", fmt::format("{} completed", verb));
}

awaitable<void> ImapSession::on_status(const Command& c) {
  const auto& args = std::get<StatusArgs>(c.args);
  auto name = folder_name(args.mailbox);
  if (!name) {
    tagged(c, "NO", store_no(sim::StoreStatus::InvalidName));
    co_return;
  }
  auto status = mailbox_->status(*name);
  if (!status.ok()) {
    tagged(c, "NO", store_no(status.status));
    co_return;
  }
  std::string items;
  for (auto item : args.items) {
    if (!items.empty()) items += ' ';
    switch (item) {
      case StatusItem::Messages: items += fmt::format("MESSAGES {}", status.value.messages); break;
      case StatusItem::Recent: items += fmt::format("RECENT {}", status.value.recent); break;
      case StatusItem::UidNext: items += fmt::format("UIDNEXT {}", status.value.uidnext); break;
      case StatusItem::UidValidity: items += fmt::format("UIDVALIDITY {}", status.value.uidvalidity); break;
      case StatusItem::Unseen: items += fmt::format("UNSEEN {}", status.value.unseen); break;
    }
  }
  untagged(fmt::format("STATUS {} ({})", wire_name(*name), items));
  tagged(c, "OK", "STATUS completed");
}

awaitable<void> ImapSession::on_create(const Command& c) {
  auto name = folder_name(std::get<MailboxArgs>(c.args).mailbox);
  if (name && !name->empty() && name->back() == kDelimiter) name->pop_back();  // RFC 3501 §6.3.3
  auto r = name ? mailbox_->create_folder(*name) : sim::StoreResult{sim::StoreStatus::InvalidName, {}};
  if (!r.ok()) {
    tagged(c, "NO", store_no(r.status));
    co_return;
  }
  tagged(c, "OK", "CREATE completed");
}

awaitable<void> ImapSession::on_delete(const Command& c) {
  auto name = folder_name(std::get<MailboxArgs>(c.args).mailbox);
  auto r = name ? mailbox_->delete_folder(*name) : sim::StoreResult{sim::StoreStatus::InvalidName, {}};
  if (!r.ok()) {
    tagged(c, "NO", store_no(r.status));
    co_return;
  }
  if (state_ == ImapState::Selected && folder_ == *name) deselect();
  server_.message_cache().forget_folder(user_->address, *name);
  tagged(c, "OK", "DELETE completed");
}

awaitable<void> ImapSession::on_rename(const Command& c) {
  const auto& args = std::get<RenameArgs>(c.args);
  auto from = folder_name(args.from);
  auto to = folder_name(args.to);
  auto r = from && to ? mailbox_->rename_folder(*from, *to) : sim::StoreResult{sim::StoreStatus::InvalidName, {}};
  if (!r.ok()) {
    tagged(c, "NO", store_no(r.status));
    co_return;
  }
  server_.message_cache().forget_folder(user_->address, *from);
  tagged(c, "OK", "RENAME completed");
}

awaitable<void> ImapSession::on_subscribe(const Command& c) {
  auto name = folder_name(std::get<MailboxArgs>(c.args).mailbox);
  if (!name) {
    tagged(c, "NO", store_no(sim::StoreStatus::InvalidName));
    co_return;
  }
  if (c.name == CommandName::Subscribe) {
    unsubscribed_.erase(*name);
  } else {
    unsubscribed_.insert(*name);
  }
  tagged(c, "OK", fmt::format("{} completed", command_name(c.name)));
}

awaitable<void> ImapSession::on_append(const Command& c) {
  const auto& args = std::get<AppendArgs>(c.args);
  auto name = folder_name(args.mailbox);
  if (!name || !mailbox_->folder_exists(*name)) {
    tagged(c, "NO", name ? format_code(codes::TryCreate) + " No such mailbox" : store_no(sim::StoreStatus::InvalidName));
    co_return;
  }
  auto letters = letters_for(c, args.flags, *name, true);
  if (!letters) co_return;
  std::optional<sim::TimePoint> when;
  if (args.internal_date) when = sim::TimePoint(std::chrono::seconds(args.internal_date->seconds));
  const std::shared_ptr<sim::Mailbox> mailbox = mailbox_;
  const std::string& folder = *name;
  const std::string& flags = *letters;
  auto append = [&mailbox, &folder, &args, &flags, &when] { return mailbox->append(folder, args.message, flags, when); };
  sim::DeliveryResult r = co_await run_write(append);
  if (!r.stored()) {
    tagged(c, "NO", store_no(r.status));
    co_return;
  }
  publish(sim::EventKind::Delivered, fmt::format("appended UID {} to {} of {}", r.uid, *name, user_->address),
          observed() ? smtp::header_value(args.message, smtp::kJourneyHeader).value_or("") : std::string());
  if (state_ == ImapState::Selected && folder_ == *name) {
    sync(false);
  }
  if (user_) server_.mailbox_changed(user_->address, *name, this);
  tagged(c, "OK", fmt::format("{} APPEND completed", format_code(codes::AppendUid, fmt::format("{} {}", r.uidvalidity, r.uid))));
}

// The \Deleted messages of the view (within `uids` when given), expunged in one write.
awaitable<std::vector<std::uint32_t>> ImapSession::expunge_deleted(const SequenceSet* uids) {
  const std::uint32_t largest = view_.empty() ? 0 : view_.back().uid;
  std::vector<std::uint32_t> doomed;
  std::vector<std::string> journeys;
  for (const auto& v : view_) {
    if (v.letters.find('T') == std::string::npos) continue;
    if (uids && !uids->contains(v.uid, largest)) continue;
    doomed.push_back(v.uid);
    journeys.push_back(observed() ? journey_of(v.uid) : std::string());
  }
  if (doomed.empty()) co_return doomed;
  const std::shared_ptr<sim::Mailbox> mailbox = mailbox_;
  const std::string folder = folder_;
  auto expunge_all = [&mailbox, &folder, &doomed] {
    std::vector<bool> done;
    for (std::uint32_t uid : doomed) done.push_back(mailbox->expunge(folder, uid).ok());
    return done;
  };
  const std::vector<bool> done = co_await run_write(expunge_all);
  std::vector<std::uint32_t> removed;
  for (std::size_t i = 0; i < doomed.size(); ++i) {
    if (!done[i]) continue;
    removed.push_back(doomed[i]);
    publish(sim::EventKind::Deleted, fmt::format("expunged UID {} from {}", doomed[i], folder), journeys[i]);
  }
  co_return removed;
}

awaitable<void> ImapSession::on_close(const Command& c) {
  if (c.name == CommandName::Close && !read_only_) {
    const std::vector<std::uint32_t> removed = co_await expunge_deleted(nullptr);
    if (!removed.empty()) changed();
  }
  deselect();
  tagged(c, "OK", fmt::format("{} completed", command_name(c.name)));
}

awaitable<void> ImapSession::on_expunge(const Command& c) {
  if (read_only_) {
    tagged(c, "NO", format_code(codes::ReadOnly) + " Mailbox is read-only");
    co_return;
  }
  const auto* args = std::get_if<ExpungeArgs>(&c.args);
  const SequenceSet* uids = args && args->uids ? &*args->uids : nullptr;
  const std::vector<std::uint32_t> removed = co_await expunge_deleted(uids);
  report_expunged(removed);
  own_changes(removed.size());
  sync(true);
  if (!removed.empty()) changed();
  tagged(c, "OK", "EXPUNGE completed");
}

}  // namespace mailflow::imap
