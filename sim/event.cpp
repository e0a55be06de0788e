// The event catalogue: names of protocols and event kinds, the JSON Lines trace format
// and credential masking. See sim/event.hpp for the contract of each function.
#include "sim/event.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <iterator>
#include <limits>

#include <nlohmann/json.hpp>

namespace mailflow::sim {
namespace {

// Indexed by the enumerator's value; the static_asserts catch an enum that grew without
// a name.
constexpr std::array<std::string_view, 6> kProtocolNames = {"lab",  "dns",  "smtp",
                                                            "pop3", "imap", "control"};
constexpr std::array<std::string_view, 21> kEventKindNames = {
    "listening", "stopped",   "connect",   "disconnect", "tls",      "auth",     "command",
    "reply",     "state",     "queued",    "dns-query",  "dns-answer", "relay",  "delivered",
    "deferred",  "rejected",  "bounced",   "fetched",    "deleted",  "error",    "fault"};
static_assert(std::size(kAllProtocols) == kProtocolNames.size());
static_assert(std::size(kAllEventKinds) == kEventKindNames.size());
static_assert(static_cast<std::size_t>(Protocol::Control) + 1 == kProtocolNames.size());
static_assert(static_cast<std::size_t>(EventKind::Fault) + 1 == kEventKindNames.size());

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, Enum value) {
  const auto index = static_cast<std::size_t>(value);
  return index < N ? names[index] : std::string_view{"unknown"};
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

// --- RFC 3339 time -------------------------------------------------------------------

// Reads exactly `width` decimal digits at text[pos]; advances pos.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// --- JSON writing ----------------------------------------------------------------------

template <typename Integer>
void append_number(std::string& out, Integer value) {
  char buffer[24];
  const auto result = std::to_chars(std::begin(buffer), std::end(buffer), value);
  out.append(buffer, result.ptr);
}

// Length of the well-formed UTF-8 sequence at s[pos] (Unicode Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const auto continuation = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return pos + i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return continuation(1, lo, hi) && continuation(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return continuation(1, lo, hi) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

// A JSON string (RFC 8259 §7). A client can send any bytes, and a trace line must still
// be valid JSON, so each byte that does not start a well-formed UTF-8 sequence becomes
// U+FFFD, as nlohmann's error_handler_t::replace would do.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t pos = 0; pos < s.size();) {
    const char c = s[pos];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t length = utf8_sequence_length(s, pos);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        ++pos;
      } else {
        out.append(s.substr(pos, length));
        pos += length;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += c;
        }
    }
    ++pos;
  }
  out += '"';
}

// ,"key":"value" — or nothing for an empty value, to keep trace lines short.
void append_string_field(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}

// --- credential masking --------------------------------------------------------------

constexpr std::string_view kMask = "****";

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::size_t skip_spaces(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_space(s[pos])) ++pos;
  return pos;
}

// The whitespace-delimited word starting at or after pos; pos moves past it.
std::string_view next_word(std::string_view s, std::size_t& pos) {
  pos = skip_spaces(s, pos);
  const std::size_t begin = pos;
  while (pos < s.size() && !is_space(s[pos])) ++pos;
  return s.substr(begin, pos - begin);
}

// Is there anything but whitespace (or a line ending) from pos on?
bool has_more(std::string_view s, std::size_t pos) {
  for (; pos < s.size(); ++pos) {
    if (!is_space(s[pos]) && s[pos] != '\r' && s[pos] != '\n') return true;
  }
  return false;
}

// "VERB ARG secret..." -> "VERB ARG ****": keeps the line up to the end of `kept_end`,
// masks the rest when there is a rest.
std::string mask_after(std::string_view line, std::size_t kept_end) {
  if (!has_more(line, kept_end)) return std::string(line);
  std::string out(line.substr(0, kept_end));
  out += ' ';
  out += kMask;
  return out;
}

// RFC 9051 ATOM-CHAR, less the characters that would need quoting to read back.
bool is_plain_atom(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\' || c == '(' || c == ')' || c == '{' ||
        c == '%' || c == '*' || c == ']')
      return false;
  }
  return true;
}

// The user name of an IMAP LOGIN: an atom or a quoted string (RFC 9051 astring).
// Returns how to show it, and moves pos past it; nullopt for a literal ("{5}") or
// an unterminated quote, whose password arrives on a later line.
std::optional<std::string> read_imap_user(std::string_view s, std::size_t& pos) {
  pos = skip_spaces(s, pos);
  if (pos >= s.size() || s[pos] == '{') return std::nullopt;
  if (s[pos] != '"') return std::string(next_word(s, pos));
  const std::size_t begin = pos;
  std::string content;
  for (++pos; pos < s.size(); ++pos) {
    if (s[pos] == '\\' && pos + 1 < s.size()) {
      content += s[++pos];
    } else if (s[pos] == '"') {
      ++pos;
      // Show "bob" as bob; keep the quotes when dropping them would change the meaning.
      if (is_plain_atom(content)) return content;
      return std::string(s.substr(begin, pos - begin));
    } else {
      content += s[pos];
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view protocol_name(Protocol p) { return name_of(kProtocolNames, p); }
std::string_view event_kind_name(EventKind k) { return name_of(kEventKindNames, k); }
std::optional<EventKind> event_kind_from_name(std::string_view name) {
  return value_of<EventKind>(kEventKindNames, name);
}
std::optional<Protocol> protocol_from_name(std::string_view name) {
  return value_of<Protocol>(kProtocolNames, name);
}

std::string format_event_time(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  // Written digit by digit: the trace writer formats every event on the bus thread, and
  // this is several times faster than going through fmt's chrono support.
  const auto micros = floor<microseconds>(t);
  const auto day = floor<days>(micros);
  const year_month_day ymd{day};
  const auto in_day = (micros - day).count();  // microseconds since midnight
  std::string out = "0000-00-00T00:00:00.000000Z";
  auto put = [&out](std::size_t pos, std::size_t width, std::int64_t value) {
    for (std::size_t i = width; i-- > 0; value /= 10) out[pos + i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, static_cast<int>(ymd.year()));
  put(5, 2, static_cast<unsigned>(ymd.month()));
  put(8, 2, static_cast<unsigned>(ymd.day()));
  put(11, 2, in_day / 3'600'000'000);
  put(14, 2, in_day / 60'000'000 % 60);
  put(17, 2, in_day / 1'000'000 % 60);
  put(20, 6, in_day % 1'000'000);
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_event_time(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  const auto y = read_digits(text, pos, 4);
  if (!y || !expect(text, pos, '-')) return std::nullopt;
  const auto mo = read_digits(text, pos, 2);
  if (!mo || !expect(text, pos, '-')) return std::nullopt;
  const auto d = read_digits(text, pos, 2);
  if (!d || pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  const auto h = read_digits(text, pos, 2);
  if (!h || !expect(text, pos, ':')) return std::nullopt;
  const auto mi = read_digits(text, pos, 2);
  if (!mi || !expect(text, pos, ':')) return std::nullopt;
  const auto s = read_digits(text, pos, 2);
  if (!s) return std::nullopt;

  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  // Leap seconds (":60") cannot be represented by system_clock; refuse rather than guess.
  if (!ymd.ok() || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: it ends in 2262 (and began in 1677). A
  // trace time outside 1970-2200 is not one mailflow wrote; refuse it instead of overflowing.
  if (*y < 1970 || *y > 2200) return std::nullopt;

  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    std::size_t digits = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits >= 9) return std::nullopt;
      fraction += nanoseconds{(text[pos] - '0') * scale};
      scale /= 10;
    }
    if (digits == 0) return std::nullopt;
  }

  minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto oh = read_digits(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    const auto om = read_digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = minutes{sign * (*oh * 60 + *om)};
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const auto local = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*s} + fraction;
  // RFC 3339 §4.2: local time = UTC + offset.
  return time_point_cast<system_clock::duration>(local - offset);
}

std::string to_json_line(const Event& e) {
  // Written by hand rather than through nlohmann::json: the trace writer serializes every
  // event on the bus thread, and building a json object per event costs several times
  // more. event_from_json_line reads it back with nlohmann, and the tests hold the two
  // to an exact round trip.
  std::string out;
  out.reserve(96 + e.host.size() + e.peer.size() + e.journey.size() + e.line.size());
  out += R"({"seq":)";
  append_number(out, e.seq);
  out += R"(,"time":")";
  out += format_event_time(e.time);
  out += R"(","kind":")";
  out += event_kind_name(e.kind);
  out += R"(","protocol":")";
  out += protocol_name(e.protocol);
  out += '"';
  append_string_field(out, "host", e.host);
  append_string_field(out, "peer", e.peer);
  if (e.session != 0) {
    out += R"(,"session":)";
    append_number(out, e.session);
  }
  append_string_field(out, "journey", e.journey);
  append_string_field(out, "line", e.line);
  if (e.code != 0) {
    out += R"(,"code":)";
    append_number(out, e.code);
  }
  append_string_field(out, "status", e.status);
  out += '}';
  return out;
}

std::optional<Event> event_from_json_line(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;

  auto string_field = [&j](const char* key, std::string& out) {
    const auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };

  Event e;
  const auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned()) return std::nullopt;
  e.seq = seq->get<std::uint64_t>();

  const auto time = j.find("time");
  if (time == j.end() || !time->is_string()) return std::nullopt;
  const auto parsed_time = parse_event_time(time->get_ref<const std::string&>());
  if (!parsed_time) return std::nullopt;
  e.time = *parsed_time;

  const auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string()) return std::nullopt;
  const auto parsed_kind = event_kind_from_name(kind->get_ref<const std::string&>());
  if (!parsed_kind) return std::nullopt;
  e.kind = *parsed_kind;

  const auto protocol = j.find("protocol");
  if (protocol == j.end() || !protocol->is_string()) return std::nullopt;
  const auto parsed_protocol = protocol_from_name(protocol->get_ref<const std::string&>());
  if (!parsed_protocol) return std::nullopt;
  e.protocol = *parsed_protocol;

  if (!string_field("host", e.host) || !string_field("peer", e.peer) ||
      !string_field("journey", e.journey) || !string_field("line", e.line) ||
      !string_field("status", e.status))
    return std::nullopt;

  if (const auto session = j.find("session"); session != j.end()) {
    if (!session->is_number_unsigned()) return std::nullopt;
    e.session = session->get<std::uint64_t>();
  }
  if (const auto code = j.find("code"); code != j.end()) {
    if (!code->is_number_integer()) return std::nullopt;
    const auto value = code->get<std::int64_t>();
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
      return std::nullopt;
    e.code = static_cast<int>(value);
  }
  return e;
}

std::string mask_credentials(std::string_view line) {
  std::size_t pos = 0;
  const std::string_view first = next_word(line, pos);

  // SMTP AUTH (RFC 4954) and POP3 AUTH (RFC 5034): "AUTH mechanism [initial-response]".
  if (iequals(first, "AUTH")) {
    if (next_word(line, pos).empty()) return std::string(line);
    return mask_after(line, pos);
  }
  // POP3 PASS (RFC 1939 §7): the rest of the line is the password, spaces included.
  if (iequals(first, "PASS")) return mask_after(line, pos);

  // IMAP: "tag LOGIN user password" (RFC 9051 §6.2.3) and
  // "tag AUTHENTICATE mechanism [initial-response]" (RFC 9051 §6.2.2, RFC 4959).
  const std::string_view command = next_word(line, pos);
  if (iequals(command, "AUTHENTICATE")) {
    if (next_word(line, pos).empty()) return std::string(line);
    return mask_after(line, pos);
  }
  if (iequals(command, "LOGIN")) {
    const std::size_t command_end = pos;
    const auto user = read_imap_user(line, pos);
    if (!user || !has_more(line, pos)) return std::string(line);
    std::string out(line.substr(0, command_end));
    out += ' ';
    out += *user;
    out += ' ';
    out += kMask;
    return out;
  }
  return std::string(line);
}

}  // namespace mailflow::sim
