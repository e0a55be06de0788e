// The selected folder as one session sees it (RFC 3501 §2.3.1.2, §5.2, §7.4.1): the
// snapshot of sequence numbers, UIDs and flags, resynced with the store at the points
// where untagged EXISTS / EXPUNGE / FETCH may be sent. A resync lists the folder only when
// its stamp moved (sim/maildir_store.hpp), so a FETCH or STORE on a big, quiet folder
// costs no directory listing.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "servers/imap/imap_session.hpp"
#include "servers/imap/imap_string.hpp"

namespace mailflow::imap {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

// --- the selected folder ---------------------------------------------------------------

void ImapSession::deselect() {
  folder_.clear();
  view_.clear();
  view_stamp_.reset();
  keywords_.clear();
  facts_.reset();
  read_only_ = false;
  if (state_ == ImapState::Selected) state_ = ImapState::Authenticated;
}

void ImapSession::own_changes(std::size_t count) {
  if (!view_stamp_ || count == 0) return;
  auto now = mailbox_->stamp(folder_);
  // Exactly our changes and nobody else's: what the folder holds is what view_ shows.
  if (now.ok() && now.value.changes == view_stamp_->changes + count &&
      now.value.foreign_epoch == view_stamp_->foreign_epoch) {
    view_stamp_ = now.value;
  } else {
    view_stamp_.reset();
  }
}

void ImapSession::mark_recent(const std::vector<std::uint32_t>& uids) {
  for (auto uid : uids) {
    if (auto i = index_of_uid(uid)) view_[*i].recent = true;
  }
}

void ImapSession::sync(bool allow_expunge, bool force) {
  if (state_ != ImapState::Selected) return;
  if (!force && !change_pending_ && view_stamp_) {
    auto now = mailbox_->stamp(folder_);
    if (now.ok() && now.value == *view_stamp_) return;
  }
  change_pending_ = false;
  auto listed = mailbox_->listing(folder_);
  if (!listed.ok()) return;
  view_stamp_ = listed.value.stamp;
  const auto& now = listed.value.messages;
  // Expunges (in descending order keeps the numbers right for the client).
  std::size_t j = 0;
  std::vector<std::size_t> gone;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    while (j < now.size() && now[j].uid < view_[i].uid) ++j;
    if (j < now.size() && now[j].uid == view_[i].uid) continue;
    gone.push_back(i);
  }
  if (!allow_expunge && !gone.empty()) {
    // Keep the vanished messages in the view until expunges may be reported, and list
    // again then: the stamp alone would say nothing changed.
    gone.clear();
    view_stamp_.reset();
  }
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
    untagged(fmt::format("{} EXPUNGE", *it + 1));
    facts_->forget(view_[*it].uid);
    view_.erase(view_.begin() + static_cast<std::ptrdiff_t>(*it));
  }
  // Flag changes and new messages.
  std::size_t k = 0;
  std::size_t old_count = view_.size();
  for (const auto& m : now) {
    while (k < view_.size() && view_[k].uid < m.uid) ++k;
    if (k < view_.size() && view_[k].uid == m.uid) {
      if (view_[k].letters != m.flags) {
        view_[k].letters = m.flags;
        untagged(fmt::format("{} FETCH (FLAGS ({}))", k + 1, flags_text(view_[k])));
      }
    } else if (view_.empty() || m.uid > view_.back().uid) {
      view_.push_back(ViewMessage{m.uid, m.flags, false, m.size, m.internal_date});
    }
  }
  if (view_.size() != old_count) {
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
    for (const auto& v : view_) recent += v.recent ? 1 : 0;
    untagged(fmt::format("{} EXISTS", view_.size()));
    untagged(fmt::format("{} RECENT", recent));
  }
}

std::optional<std::size_t> ImapSession::index_of_uid(std::uint32_t uid) const {
  auto it = std::lower_bound(view_.begin(), view_.end(), uid,
                             [](const ViewMessage& v, std::uint32_t u) { return v.uid < u; });
  if (it == view_.end() || it->uid != uid) return std::nullopt;
  return static_cast<std::size_t>(it - view_.begin());
}

std::vector<std::size_t> ImapSession::resolve(const SequenceSet& set, bool uid) const {
  std::vector<std::size_t> out;
  if (view_.empty()) return out;
  if (uid) {
    // Each range is found by binary search, so "UID FETCH 4711" is O(log n), not O(n).
    for (auto [lo, hi] : set.resolve(view_.back().uid)) {
      auto it = std::lower_bound(view_.begin(), view_.end(), lo,
                                 [](const ViewMessage& v, std::uint32_t u) { return v.uid < u; });
      for (; it != view_.end() && it->uid <= hi; ++it) out.push_back(static_cast<std::size_t>(it - view_.begin()) + 1);
    }
  } else {
    for (auto [lo, hi] : set.resolve(static_cast<std::uint32_t>(view_.size()))) {
      for (std::uint32_t n = lo; n <= hi && n <= view_.size(); ++n) out.push_back(n);
    }
  }
  return out;
}

std::optional<std::string> ImapSession::folder_name(std::string_view mailbox) const {
  auto decoded = decode_mailbox_name(mailbox);
  if (!decoded) return std::nullopt;
  if (iequals(*decoded, "INBOX")) return std::string("INBOX");
  if (decoded->find("..") != std::string::npos || decoded->find('/') != std::string::npos) return std::nullopt;
  return decoded;
}

}  // namespace mailflow::imap
