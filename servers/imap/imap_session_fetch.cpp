// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8, §7.4.2), and reading just as much of a
// message as the items (or SEARCH keys) need: nothing for FLAGS, UID, RFC822.SIZE and
// INTERNALDATE (the snapshot has them), the header for ENVELOPE and top-level header
// sections, the whole file otherwise. ENVELOPE comes from the server's message cache
// (imap_message_cache.hpp) once any session worked it out, so FETCH 1:* (FLAGS ENVELOPE
// RFC822.SIZE) over a big folder reads headers once, and then no file at all.
#include <algorithm>

#include <fmt/format.h>

#include "servers/imap/imap_body.hpp"
#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_date.hpp"
#include "servers/imap/imap_section.hpp"
#include "servers/imap/imap_session.hpp"
#include "sim/mime.hpp"

namespace mailflow::imap {

using namespace mailflow::net;

namespace {

// Enough for the header of nearly every message; a longer one costs a whole read.
constexpr std::size_t kHeaderPrefixBytes = 16 * 1024;

std::string literal(std::string_view bytes) { return fmt::format("{{{}}}\r\n{}", bytes.size(), bytes); }

std::int64_t seconds_of(sim::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

MessageContent content_needed(const FetchItem& item) {
  using K = FetchItem::Kind;
  switch (item.kind) {
    case K::Flags:
    case K::Uid:
    case K::Rfc822Size:
    case K::InternalDate: return MessageContent::None;
    case K::Envelope:
    case K::Rfc822Header: return MessageContent::Header;
    case K::BodySection: {
      using T = Section::Text;
      const T t = item.section.text;
      const bool top_header = item.section.part.empty() && (t == T::Header || t == T::HeaderFields || t == T::HeaderFieldsNot);
      return top_header ? MessageContent::Header : MessageContent::Full;
    }
    default: return MessageContent::Full;
  }
}

// Just past the empty line that ends the header section, or nullopt if `text` has none.
std::optional<std::size_t> header_length(std::string_view text) {
  if (text.starts_with("\r\n")) return 2;
  if (text.starts_with("\n")) return 1;
  for (std::size_t lf = text.find('\n'); lf != std::string_view::npos; lf = text.find('\n', lf + 1)) {
    if (text.substr(lf + 1).starts_with("\r\n")) return lf + 3;
    if (text.substr(lf + 1).starts_with("\n")) return lf + 2;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ImapSession::message_content(std::uint32_t uid, MessageContent need) {
  if (need == MessageContent::Full) {
    auto whole = mailbox_->read(folder_, uid);
    if (!whole.ok()) return std::nullopt;
    return std::move(whole.value);
  }
  auto head = mailbox_->read_prefix(folder_, uid, kHeaderPrefixBytes);
  if (!head.ok()) return std::nullopt;
  if (auto end = header_length(head.value)) {
    head.value.resize(*end);
    return std::move(head.value);
  }
  if (head.value.size() < kHeaderPrefixBytes) return std::move(head.value);  // all header, no body
  auto whole = mailbox_->read(folder_, uid);
  if (!whole.ok()) return std::nullopt;
  if (auto end = header_length(whole.value)) whole.value.resize(*end);
  return std::move(whole.value);
}

bool ImapSession::observed() const {
  const auto* bus = server_.bus();
  return bus && bus->has_subscribers();
}

awaitable<void> ImapSession::on_fetch(const Command& c) {
  const auto& args = std::get<FetchArgs>(c.args);
  if (!c.uid && !args.set.fits(static_cast<std::uint32_t>(view_.size()))) {
    bad(c.tag, "Invalid message sequence number");
    co_return;
  }
  // ENVELOPE needs the header only where the shared cache does not have it yet.
  bool wants_envelope = false;
  MessageContent need_besides_envelope = MessageContent::None;
  for (const auto& item : args.items) {
    if (item.kind == FetchItem::Kind::BinarySection || item.kind == FetchItem::Kind::BinarySize) {
      tagged(c, "NO", format_code(codes::Cannot) + " BINARY is not supported");
      co_return;
    }
    if (item.kind == FetchItem::Kind::Envelope) {
      wants_envelope = true;
    } else {
      need_besides_envelope = std::max(need_besides_envelope, content_needed(item));
    }
  }
  const MessageContent need =
      wants_envelope ? std::max(need_besides_envelope, MessageContent::Header) : need_besides_envelope;
  const bool sets_seen = !read_only_ && std::any_of(args.items.begin(), args.items.end(),
                                                    [](const FetchItem& i) { return i.sets_seen(); });
  bool expunged = false;
  std::size_t seen_changes = 0;
  for (std::size_t seq : resolve(args.set, c.uid)) {
    ViewMessage& v = view_[seq - 1];
    std::string text;
    sim::mime::Part mime;
    std::optional<std::string> envelope;
    if (wants_envelope) envelope = facts_->envelope(v.uid);
    const MessageContent need_here = envelope ? need_besides_envelope : need;
    if (need_here != MessageContent::None) {
      auto content = message_content(v.uid, need_here);
      if (!content) {
        expunged = true;
        continue;
      }
      text = std::move(*content);
      mime = sim::mime::parse_message(text, config_.limits.mime);
    }
    bool seen_now = false;
    if (sets_seen && v.letters.find('S') == std::string::npos) {
      auto changed = mailbox_->change_flags(folder_, v.uid, "S", "");
      if (changed.ok()) {
        if (changed.value.flags != v.letters) ++seen_changes;
        v.letters = changed.value.flags;
        seen_now = true;
      }
    }
    bool flags_listed = false;
    std::string out;
    auto add = [&out](std::string piece) {
      if (!out.empty()) out += ' ';
      out += piece;
    };
    for (const auto& item : args.items) {
      using K = FetchItem::Kind;
      switch (item.kind) {
        case K::Flags:
          add(fmt::format("FLAGS ({})", flags_text(v)));
          flags_listed = true;
          break;
        case K::Uid: add(fmt::format("UID {}", v.uid)); break;
        case K::Rfc822Size: add(fmt::format("RFC822.SIZE {}", v.size)); break;
        case K::InternalDate:
          add(fmt::format("INTERNALDATE \"{}\"", format_date_time(DateTime{seconds_of(v.internal_date), 0})));
          break;
        case K::Envelope:
          if (!envelope) {
            envelope = format_envelope(mime.fields);
            facts_->put_envelope(v.uid, *envelope);
          }
          add("ENVELOPE " + *envelope);
          break;
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
    if (seen_now && !flags_listed) add(fmt::format("FLAGS ({})", flags_text(v)));
    untagged(fmt::format("{} FETCH ({})", seq, out));
    if (need != MessageContent::None && observed()) {
      publish(sim::EventKind::Fetched, fmt::format("{} fetched UID {} from {}", user_->address, v.uid, folder_),
              journey_of(v.uid, text));
    }
  }
  if (seen_changes != 0) {
    own_changes(seen_changes);
    changed();
  }
  sync(false);
  if (expunged) {
    tagged(c, "NO", format_code(codes::ExpungeIssued) + " Some messages were expunged");
  } else {
    tagged(c, "OK", fmt::format("{}FETCH completed", c.uid ? "UID " : ""));
  }
}

}  // namespace mailflow::imap
