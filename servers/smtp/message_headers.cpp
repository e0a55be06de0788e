// Header-section functions for SMTP hops (see message_headers.hpp for the rules and RFCs).
#include "servers/smtp/message_headers.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace mailflow::smtp {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// Beyond this a run without white space is cut inside: RFC 5322 §2.1.1 forbids 998+.
constexpr std::size_t kHardLineLimit = 900;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// RFC 5322 §3.6.8 field-name: printable ASCII except ':', then (obsolete syntax §4.5.8)
// optional WSP before the colon. Returns the name, or nullopt for a non-field line.
std::optional<std::string_view> field_name(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  if (name.empty()) return std::nullopt;
  for (char c : name) {
    if (c <= ' ' || c > '~') return std::nullopt;
  }
  return name;
}

// One field of the header section: bytes [begin, end) include its final CRLF if present.
struct FieldSpan {
  std::size_t begin = 0, end = 0;
  std::string_view name;
};

struct HeaderLayout {
  std::vector<FieldSpan> fields;
  std::size_t header_end = 0;  // one past the last field
  std::size_t body_start = 0;  // the body (after the empty line when there is one)
  bool separator = false;      // an empty line ends the header section
};

HeaderLayout layout_of(std::string_view message) {
  HeaderLayout layout;
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t crlf = message.find(kCrlf, pos);
    const std::size_t line_end = crlf == std::string_view::npos ? message.size() : crlf;
    const std::size_t next = crlf == std::string_view::npos ? message.size() : crlf + kCrlf.size();
    const std::string_view line = message.substr(pos, line_end - pos);
    if (line.empty() && crlf != std::string_view::npos) {
      layout.header_end = pos;
      layout.body_start = next;
      layout.separator = true;
      return layout;
    }
    if (is_wsp(line.front()) && !layout.fields.empty()) {
      layout.fields.back().end = next;  // RFC 5322 §2.2.3: a continuation line
    } else if (const auto name = field_name(line)) {
      layout.fields.push_back({pos, next, *name});
    } else {
      break;  // body text without the empty line before it
    }
    pos = next;
  }
  layout.header_end = layout.body_start = pos;
  return layout;
}

bool ends_with_crlf(std::string_view text) {
  return text.size() >= 2 && text.substr(text.size() - 2) == kCrlf;
}

// Inserts `fields` (CRLF-terminated) at the end of the header section.
std::string append_fields(std::string_view message, std::string_view fields) {
  const HeaderLayout layout = layout_of(message);
  std::string out(message.substr(0, layout.header_end));
  if (!out.empty() && !ends_with_crlf(out)) out += kCrlf;  // a last field with no CRLF
  out += fields;
  if (layout.separator) {
    out += message.substr(layout.header_end);  // the empty line and the body
  } else if (layout.body_start < message.size()) {
    out += kCrlf;
    out += message.substr(layout.body_start);
  }
  return out;
}

std::string dot_atom_safe(std::string_view text) {
  // RFC 5322 §3.2.3 atext plus '.', so the msg-id parses as dot-atom-text.
  constexpr std::string_view kAtextSpecials = "!#$%&'*+-/=?^_`{|}~.";
  std::string out;
  for (char c : text) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    out += (alnum || kAtextSpecials.find(c) != std::string_view::npos) ? c : '-';
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string header_safe(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) c = ' ';
  }
  return out;
}

std::string fold_field(std::string_view field, std::size_t soft_limit, std::string_view continuation) {
  while (!field.empty() && is_wsp(field.back())) field.remove_suffix(1);
  std::string out;
  std::size_t used = 0;  // octets already on the current line (the continuation prefix)
  while (used + field.size() > soft_limit) {
    const std::size_t room = soft_limit > used ? soft_limit - used : 1;
    bool inside_word = false;
    // The last white space that keeps this line within the limit, after the line's own
    // indentation, so that no line is left holding only white space.
    const std::size_t text_start = std::min(field.find_first_not_of(" \t"), field.size() - 1);
    std::size_t cut = std::string_view::npos;
    for (std::size_t i = std::min(room, field.size() - 1); i > text_start; --i) {
      if (is_wsp(field[i])) {
        cut = i;
        break;
      }
    }
    if (cut == std::string_view::npos) {
      const auto later = std::find_if(field.begin() + static_cast<std::ptrdiff_t>(text_start) + 1, field.end(), is_wsp);
      cut = later == field.end() ? std::string_view::npos : static_cast<std::size_t>(later - field.begin());
      if (cut == std::string_view::npos || used + cut > kHardLineLimit) {
        if (used + field.size() <= kHardLineLimit) break;  // long, but legal: keep it whole
        cut = kHardLineLimit - used;
        inside_word = true;
      }
    }
    out += field.substr(0, cut);
    out += kCrlf;
    out += continuation;
    field.remove_prefix(inside_word ? cut : cut + 1);
    used = continuation.size();
  }
  out += field;
  out += kCrlf;
  return out;
}

std::string received_header(const ReceivedInfo& info) {
  // RFC 5321 §4.4: From-domain = "FROM" FWS Extended-Domain, where Extended-Domain is
  // "helo (reverse-name [address])"; By-domain; "WITH" protocol; "ID"; "FOR"; "; date".
  const std::string client_host = info.client_host.empty() ? "unknown" : header_safe(info.client_host);
  const std::string helo = info.helo.empty() ? client_host : header_safe(info.helo);
  std::vector<std::string> lines;
  std::string from = "Received: from " + helo;
  if (info.client_address.empty()) {
    from += fmt::format(" ({})", client_host);
  } else {
    from += fmt::format(" ({} [{}])", client_host, header_safe(info.client_address));
  }
  lines.push_back(std::move(from));
  if (!info.tls.empty()) lines.push_back(fmt::format("(using {})", header_safe(info.tls)));
  if (!info.authenticated_sender.empty()) {
    lines.push_back(fmt::format("(Authenticated sender: {})", header_safe(info.authenticated_sender)));
  }
  std::string by = "by " + header_safe(info.by_host) + " (mailflow)";
  if (!info.protocol.empty()) by += " with " + header_safe(info.protocol);
  if (!info.id.empty()) by += " id " + header_safe(info.id);
  lines.push_back(std::move(by));
  // RFC 5321 §4.4: the date after ";" is mandatory; "for" names one recipient only, since
  // listing all would disclose Bcc recipients to each other.
  const std::string date = rfc5322_date(info.when);
  if (!info.for_recipient.empty()) {
    lines.push_back(fmt::format("for <{}>; {}", header_safe(info.for_recipient), date));
  } else if (1 + lines.back().size() + 2 + date.size() <= 78) {
    lines.back() += "; " + date;
  } else {
    lines.back() += ";";  // a date of its own rather than one folded in the middle
    lines.push_back(date);
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += i == 0 ? "" : "\t";
    // Folding per line: the tab the line starts with counts toward its length.
    std::string folded = fold_field(lines[i], i == 0 ? 78 : 77);
    out += folded;
  }
  return out;
}

std::string prepend_header(std::string_view message, std::string_view header_lines) {
  std::string out(header_lines);
  if (!out.empty() && !ends_with_crlf(out)) out += kCrlf;
  out += message;
  return out;
}

std::optional<std::string> header_value(std::string_view message, std::string_view name) {
  const HeaderLayout layout = layout_of(message);
  for (const FieldSpan& field : layout.fields) {
    if (!iequals(field.name, name)) continue;
    const std::string_view raw = message.substr(field.begin, field.end - field.begin);
    std::string value;
    // Unfolding (RFC 5322 §2.2.3): remove every CRLF that is followed by WSP.
    for (std::size_t i = raw.find(':') + 1; i < raw.size(); ++i) {
      if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') {
        ++i;
        continue;
      }
      value += raw[i];
    }
    const auto first = value.find_first_not_of(" \t");
    if (first == std::string::npos) return std::string{};
    const auto last = value.find_last_not_of(" \t");
    return value.substr(first, last - first + 1);
  }
  return std::nullopt;
}

bool has_header(std::string_view message, std::string_view name) { return header_value(message, name).has_value(); }

std::vector<std::string> header_lines(std::string_view message) {
  std::vector<std::string> out;
  for (const FieldSpan& field : layout_of(message).fields) {
    std::string_view raw = message.substr(field.begin, field.end - field.begin);
    if (raw.size() >= 2 && raw.substr(raw.size() - 2) == kCrlf) raw.remove_suffix(2);
    out.emplace_back(raw);
  }
  return out;
}

std::string header_section(std::string_view message) {
  std::string out(message.substr(0, layout_of(message).header_end));
  if (!out.empty() && !ends_with_crlf(out)) out += kCrlf;
  return out;
}

std::string remove_header(std::string_view message, std::string_view name) {
  const HeaderLayout layout = layout_of(message);
  std::string out;
  out.reserve(message.size());
  std::size_t copied = 0;
  for (const FieldSpan& field : layout.fields) {
    if (!iequals(field.name, name)) continue;
    out += message.substr(copied, field.begin - copied);
    copied = field.end;
  }
  out += message.substr(copied);
  return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  static constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[weekday{day}.c_encoding()],
                     static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                     static_cast<int>(ymd.year()), hms.hours().count(), hms.minutes().count(),
                     hms.seconds().count());
}

std::string make_message_id(std::string_view host, std::string_view unique) {
  return "<" + dot_atom_safe(unique) + "@" + dot_atom_safe(host) + ">";
}

std::string add_submission_headers(std::string_view message, std::string_view host, std::string_view unique,
                                   std::chrono::system_clock::time_point now) {
  std::string fields;
  // RFC 6409 §8.3 (Message-ID) and §8.1 (Date): the MSA may add them when missing.
  if (!has_header(message, "Message-ID")) fields += "Message-ID: " + make_message_id(host, unique) + "\r\n";
  if (!has_header(message, "Date")) fields += "Date: " + rfc5322_date(now) + "\r\n";
  if (fields.empty()) return std::string(message);
  return append_fields(message, fields);
}

std::string add_delivery_headers(std::string_view message, std::string_view return_path,
                                 std::string_view delivered_to) {
  const std::string fields = fold_field("Return-Path: <" + header_safe(return_path) + ">") +
                             fold_field("Delivered-To: " + header_safe(delivered_to));
  return prepend_header(remove_header(message, "Return-Path"), fields);
}

}  // namespace mailflow::smtp
