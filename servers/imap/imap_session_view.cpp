// The selected folder as one session sees it (RFC 3501 §2.3.1.2, §5.2, §7.4.1): the
// snapshot of sequence numbers, UIDs and flags, resynced with the store at the points
// where untagged EXISTS / EXPUNGE / FETCH may be sent; and the Maildir flag letters.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "servers/imap/imap_session.hpp"
#include "servers/imap/imap_string.hpp"

namespace mailflow::imap {

namespace {

struct FlagLetter {
  char letter;
  std::string_view flag;
};
constexpr FlagLetter kFlagLetters[] = {
    {'D', "\\Draft"}, {'F', "\\Flagged"}, {'R', "\\Answered"}, {'S', "\\Seen"}, {'T', "\\Deleted"}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string imap_flags_of(std::string_view letters, bool recent) {
  std::string out;
  for (const auto& fl : kFlagLetters) {
    if (letters.find(fl.letter) == std::string_view::npos) continue;
    if (!out.empty()) out += ' ';
    out += fl.flag;
  }
  if (recent) out += out.empty() ? "\\Recent" : " \\Recent";
  return out;
}

std::optional<std::string> letters_of(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) {
    bool known = false;
    for (const auto& fl : kFlagLetters) {
      if (iequals(f, fl.flag)) {
        if (out.find(fl.letter) == std::string::npos) out += fl.letter;
        known = true;
      }
    }
    if (!known && !iequals(f, "\\Recent")) return std::nullopt;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- the selected folder ---------------------------------------------------------------

void ImapSession::deselect() {
  folder_.clear();
  view_.clear();
  read_only_ = false;
  if (state_ == ImapState::Selected) state_ = ImapState::Authenticated;
}

void ImapSession::sync(bool allow_expunge) {
  if (state_ != ImapState::Selected) return;
  change_pending_ = false;
  auto listed = mailbox_->list(folder_);
  if (!listed.ok()) return;
  const auto& now = listed.value;
  std::vector<ViewMessage> next;
  next.reserve(now.size());
  // Expunges (in descending order keeps the numbers right for the client).
  std::size_t j = 0;
  std::vector<std::size_t> gone;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    while (j < now.size() && now[j].uid < view_[i].uid) ++j;
    if (j < now.size() && now[j].uid == view_[i].uid) continue;
    gone.push_back(i);
  }
  if (!allow_expunge && !gone.empty()) {
    // Keep the vanished messages in the view until expunges may be reported.
    gone.clear();
  }
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
    untagged(fmt::format("{} EXPUNGE", *it + 1));
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
        untagged(fmt::format("{} FETCH (FLAGS ({}))", k + 1, imap_flags_of(m.flags, view_[k].recent)));
      }
    } else if (view_.empty() || m.uid > view_.back().uid) {
      view_.push_back(ViewMessage{m.uid, m.flags, false});
    }
  }
  if (view_.size() != old_count) {
    if (!read_only_) {
      auto recent = mailbox_->take_recent(folder_);
      if (recent.ok()) {
        for (auto uid : recent.value) {
          for (auto& v : view_) {
            if (v.uid == uid) v.recent = true;
          }
        }
      }
    }
    std::size_t recent = 0;
    for (const auto& v : view_) recent += v.recent ? 1 : 0;
    untagged(fmt::format("{} EXISTS", view_.size()));
    untagged(fmt::format("{} RECENT", recent));
  }
}

std::vector<std::size_t> ImapSession::resolve(const SequenceSet& set, bool uid) const {
  std::vector<std::size_t> out;
  if (view_.empty()) return out;
  if (uid) {
    std::uint32_t largest = view_.back().uid;
    for (std::size_t i = 0; i < view_.size(); ++i) {
      if (set.contains(view_[i].uid, largest)) out.push_back(i + 1);
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
