// Flags of the selected folder as IMAP names them: the system flags' Maildir letters,
// keywords (RFC 3501 §2.3.2 flag-keyword) through the folder's dovecot-keywords file
// (sim/maildir_keywords.hpp), the FLAGS / PERMANENTFLAGS lists, and journey ids.
#include <algorithm>

#include <fmt/format.h>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_session.hpp"
#include "servers/smtp/message_headers.hpp"
#include "sim/ascii.hpp"
#include "sim/maildir_keywords.hpp"
#include "sim/maildir_names.hpp"

namespace mailflow::imap {

namespace {

struct FlagLetter {
  char letter;
  std::string_view flag;
};
constexpr FlagLetter kFlagLetters[] = {
    {'D', "\\Draft"}, {'F', "\\Flagged"}, {'R', "\\Answered"}, {'S', "\\Seen"}, {'T', "\\Deleted"}};
constexpr std::string_view kSystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";


}  // namespace

std::string imap_flags_of(std::string_view letters, bool recent, const std::vector<std::string>& keywords) {
  std::string out;
  auto add = [&out](std::string_view flag) {
    if (!out.empty()) out += ' ';
    out += flag;
  };
  for (const auto& fl : kFlagLetters) {
    if (letters.find(fl.letter) != std::string_view::npos) add(fl.flag);
  }
  for (char c : letters) {
    const auto index = static_cast<std::size_t>(c - 'a');
    if (sim::maildir::is_keyword_letter(c) && index < keywords.size() && !keywords[index].empty()) add(keywords[index]);
  }
  if (recent) add("\\Recent");
  return out;
}

std::optional<RequestedFlags> requested_flags(const std::vector<std::string>& flags) {
  RequestedFlags out;
  for (const auto& f : flags) {
    if (f.empty() || f.front() != '\\') {
      const bool known = std::any_of(out.keywords.begin(), out.keywords.end(),
                                     [&](const std::string& k) { return sim::ascii_iequals(k, f); });
      if (!known) out.keywords.push_back(f);
      continue;
    }
    if (sim::ascii_iequals(f, "\\Recent")) continue;  // RFC 3501 §2.3.2: the server sets it
    const auto* system = std::find_if(std::begin(kFlagLetters), std::end(kFlagLetters),
                                      [&](const FlagLetter& fl) { return sim::ascii_iequals(f, fl.flag); });
    if (system == std::end(kFlagLetters)) return std::nullopt;
    if (out.letters.find(system->letter) == std::string::npos) out.letters += system->letter;
  }
  std::sort(out.letters.begin(), out.letters.end());
  return out;
}

std::string ImapSession::flags_text(const ViewMessage& v) {
  const bool unknown = std::any_of(v.letters.begin(), v.letters.end(), [&](char c) {
    const auto index = static_cast<std::size_t>(c - 'a');
    return sim::maildir::is_keyword_letter(c) && (index >= keywords_.size() || keywords_[index].empty());
  });
  // Another session (or program) defined a keyword since SELECT.
  if (unknown && !keywords_reloaded_) load_keywords(true);
  return imap_flags_of(v.letters, v.recent, keywords_);
}

std::vector<std::string> ImapSession::flag_names(std::string_view letters) const {
  std::vector<std::string> out;
  for (const auto& fl : kFlagLetters) {
    if (letters.find(fl.letter) != std::string_view::npos) out.emplace_back(fl.flag);
  }
  for (char c : letters) {
    const auto index = static_cast<std::size_t>(c - 'a');
    if (sim::maildir::is_keyword_letter(c) && index < keywords_.size() && !keywords_[index].empty()) {
      out.push_back(keywords_[index]);
    }
  }
  return out;
}

std::string ImapSession::flag_list_text(bool permanent) const {
  std::string out(kSystemFlags);
  for (const auto& k : keywords_) {
    if (!k.empty()) out += " " + k;
  }
  // "\*": the client may create keywords, while the folder has letters left for them.
  if (permanent && keywords_.size() < sim::maildir::kMaxKeywords) out += " \\*";
  return "(" + out + ")";
}

void ImapSession::load_keywords(bool announce) {
  keywords_reloaded_ = true;
  auto loaded = mailbox_->keywords(folder_);
  if (!loaded.ok() || loaded.value == keywords_) return;
  keywords_ = std::move(loaded.value);
  if (!announce) return;
  // RFC 3501 §7.2.6: the FLAGS list changed, so say so before using a new keyword.
  untagged("FLAGS " + flag_list_text(false));
  untagged(fmt::format("OK {} Flags permitted", format_code(codes::PermanentFlags,
                                                            read_only_ ? "()" : flag_list_text(true))));
}

std::optional<std::string> ImapSession::letters_for(const Command& c, const std::vector<std::string>& flags,
                                                    const std::string& folder, bool create) {
  auto requested = requested_flags(flags);
  if (!requested) {
    tagged(c, "NO", format_code(codes::Cannot) + " Only system flags and keywords can be stored");
    return std::nullopt;
  }
  if (requested->keywords.empty()) return requested->letters;
  auto keywords = mailbox_->keyword_letters(folder, requested->keywords, create);
  if (!keywords.ok()) {
    switch (keywords.status) {
      case sim::StoreStatus::TooManyKeywords:
        tagged(c, "NO", format_code(codes::Limit) + " Too many keywords in this mailbox");
        break;
      case sim::StoreStatus::InvalidFlags: bad(c.tag, "Invalid keyword"); break;
      case sim::StoreStatus::NoSuchFolder: tagged(c, "NO", format_code(codes::TryCreate) + " No such mailbox"); break;
      default: tagged(c, "NO", format_code(codes::ServerBug) + " Cannot store keywords"); break;
    }
    return std::nullopt;
  }
  if (state_ == ImapState::Selected && folder == folder_) load_keywords(true);
  return sim::maildir::normalize_flags(requested->letters + keywords.value).value_or("");
}

std::string ImapSession::journey_of(std::uint32_t uid, std::string_view text) {
  if (!facts_) return "";
  if (auto cached = facts_->journey(uid)) return *cached;
  std::optional<std::string> header;
  if (text.empty()) {
    header = message_content(uid, MessageContent::Header);
    if (!header) return "";  // unreadable now (expunged?): do not remember a wrong answer
    text = *header;
  }
  std::string journey = smtp::header_value(text, smtp::kJourneyHeader).value_or("");
  facts_->put_journey(uid, journey);
  return journey;
}

}  // namespace mailflow::imap
