// SEARCH criteria parsing: see imap_search.hpp.
#include "servers/imap/imap_search.hpp"

#include <array>

#include "servers/imap/imap_codes.hpp"
#include "servers/imap/imap_date.hpp"
#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

using Kind = SearchKey::Kind;

enum class Arg { None, String, Date, Number, Flag, Header, Set, Key, TwoKeys };

struct KeySpec {
  std::string_view name;
  Kind kind;
  Arg arg;
};

// RFC 3501 §6.4.4, in the RFC's order.
constexpr std::array<KeySpec, 35> kKeys{{
    {"ALL", Kind::All, Arg::None}, {"ANSWERED", Kind::Answered, Arg::None}, {"BCC", Kind::Bcc, Arg::String},
    {"BEFORE", Kind::Before, Arg::Date}, {"BODY", Kind::Body, Arg::String}, {"CC", Kind::Cc, Arg::String},
    {"DELETED", Kind::Deleted, Arg::None}, {"DRAFT", Kind::Draft, Arg::None}, {"FLAGGED", Kind::Flagged, Arg::None},
    {"FROM", Kind::From, Arg::String}, {"HEADER", Kind::Header, Arg::Header}, {"KEYWORD", Kind::Keyword, Arg::Flag},
    {"LARGER", Kind::Larger, Arg::Number}, {"NEW", Kind::New, Arg::None}, {"NOT", Kind::Not, Arg::Key},
    {"OLD", Kind::Old, Arg::None}, {"ON", Kind::On, Arg::Date}, {"OR", Kind::Or, Arg::TwoKeys},
    {"RECENT", Kind::Recent, Arg::None}, {"SEEN", Kind::Seen, Arg::None},
    {"SENTBEFORE", Kind::SentBefore, Arg::Date}, {"SENTON", Kind::SentOn, Arg::Date},
    {"SENTSINCE", Kind::SentSince, Arg::Date}, {"SINCE", Kind::Since, Arg::Date},
    {"SMALLER", Kind::Smaller, Arg::Number}, {"SUBJECT", Kind::Subject, Arg::String},
    {"TEXT", Kind::Text, Arg::String}, {"TO", Kind::To, Arg::String}, {"UID", Kind::Uid, Arg::Set},
    {"UNANSWERED", Kind::Unanswered, Arg::None}, {"UNDELETED", Kind::Undeleted, Arg::None},
    {"UNDRAFT", Kind::Undraft, Arg::None}, {"UNFLAGGED", Kind::Unflagged, Arg::None},
    {"UNKEYWORD", Kind::Unkeyword, Arg::Flag}, {"UNSEEN", Kind::Unseen, Arg::None},
}};

class SearchParser {
 public:
  SearchParser(ImapScanner& in, std::size_t max_depth) : in_(in), max_depth_(max_depth) {}

  bool key(SearchKey& out) {
    if (++depth_ > max_depth_) return in_.fail("Search keys nested too deeply");
    bool ok = in_.peek_is('(') ? group(out) : single(out);
    --depth_;
    return ok;
  }

 private:
  bool group(SearchKey& out) {
    if (!in_.open_list()) return false;
    out.kind = Kind::And;
    do {
      out.children.emplace_back();
      if (!key(out.children.back())) return false;
    } while (in_.accept(' '));
    return in_.close_list();
  }

  bool single(SearchKey& out) {
    char c = in_.peek();
    if ((c >= '0' && c <= '9') || c == '*') return set(out, Kind::SequenceNumbers);
    auto name = in_.atom();
    if (!name) return false;
    for (const auto& spec : kKeys) {
      if (sim::ascii_iequals(*name, spec.name)) {
        out.kind = spec.kind;
        return spec.arg == Arg::None || (in_.space() && argument(spec.arg, out));
      }
    }
    return in_.fail("Unknown search key " + *name);
  }

  bool argument(Arg arg, SearchKey& out) {
    switch (arg) {
      case Arg::None: return true;
      case Arg::String: return assign(in_.astring(), out.text);
      case Arg::Flag: return assign(in_.atom(), out.text);
      case Arg::Header: return assign(in_.astring(), out.field) && in_.space() && assign(in_.astring(), out.text);
      case Arg::Number: {
        auto n = in_.number64();
        out.size = n.value_or(0);
        return n.has_value();
      }
      case Arg::Date: return date(out);
      case Arg::Set: return set(out, out.kind);
      case Arg::Key: out.children.resize(1); return key(out.children[0]);
      case Arg::TwoKeys:
        out.children.resize(2);
        return key(out.children[0]) && in_.space() && key(out.children[1]);
    }
    return false;
  }

  bool assign(std::optional<std::string> value, std::string& to) {
    if (!value) return false;
    to = std::move(*value);
    return true;
  }

  // date = date-text / DQUOTE date-text DQUOTE
  bool date(SearchKey& out) {
    std::optional<std::string> text;
    if (in_.peek_is('"')) {
      text = in_.string();
    } else if (auto bare = in_.until_delimiter()) {
      text = std::string(*bare);
    }
    if (!text) return false;
    auto day = parse_date(*text);
    if (!day) return in_.fail("Bad date " + *text);
    out.day = *day;
    return true;
  }

  bool set(SearchKey& out, Kind kind) {
    auto text = in_.until_delimiter();
    if (!text) return false;
    auto parsed = SequenceSet::parse(*text);
    if (!parsed) return in_.fail("Bad sequence set");
    out.kind = kind;
    out.set = std::move(*parsed);
    return true;
  }

  ImapScanner& in_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
};

}  // namespace

bool parse_search_criteria(ImapScanner& in, std::size_t max_depth, SearchCriteria& criteria) {
  auto start = in.position();
  char c = in.peek();
  bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  auto first = letter ? in.atom() : std::nullopt;
  if (first && sim::ascii_iequals(*first, "CHARSET")) {
    if (!in.space()) return false;
    auto charset = in.astring();
    if (!charset) return false;
    // RFC 3501 §6.4.4: US-ASCII must be supported; UTF-8 is what clients send.
    if (!sim::ascii_iequals(*charset, "US-ASCII") && !sim::ascii_iequals(*charset, "UTF-8")) {
      return in.fail("Unsupported charset", &codes::BadCharset);
    }
    criteria.charset = std::move(*charset);
    if (!in.space()) return false;
  } else {
    in.rewind(start);  // not CHARSET: the first search key
  }
  criteria.key.kind = Kind::And;
  SearchParser parser(in, max_depth);
  do {
    criteria.key.children.emplace_back();
    if (!parser.key(criteria.key.children.back())) return false;
  } while (in.accept(' '));
  return in.ok();
}

}  // namespace mailflow::imap
