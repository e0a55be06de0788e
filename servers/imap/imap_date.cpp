// IMAP dates: see imap_date.hpp.
#include "servers/imap/imap_date.hpp"

#include <array>
#include <cstdio>

#include "sim/ascii.hpp"

namespace mailflow::imap {
namespace {

constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_number(std::string_view name) {
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (sim::ascii_iequals(name, kMonths[i])) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int year, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// All digits, at most `max_digits`; -1 otherwise.
int number(std::string_view s, std::size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return -1;
  int value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

bool valid_date(int year, int month, int day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

// "+hhmm" / "-hhmm" -> minutes; RFC 5322 §4.3 zone names; nullopt otherwise.
std::optional<int> zone_minutes(std::string_view zone) {
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    int hh = number(zone.substr(1, 2), 2), mm = number(zone.substr(3, 2), 2);
    if (hh < 0 || mm < 0 || mm > 59) return std::nullopt;
    return (zone[0] == '-' ? -1 : 1) * (hh * 60 + mm);
  }
  struct Named { std::string_view name; int minutes; };
  for (auto [name, minutes] : {Named{"UT", 0}, Named{"GMT", 0}, Named{"Z", 0}, Named{"EST", -300}, Named{"EDT", -240},
                               Named{"CST", -360}, Named{"CDT", -300}, Named{"MST", -420}, Named{"MDT", -360},
                               Named{"PST", -480}, Named{"PDT", -420}}) {
    if (sim::ascii_iequals(zone, name)) return minutes;
  }
  return std::nullopt;
}

// "hh:mm:ss" -> seconds of the day (a leap second 60 is allowed).
std::optional<int> time_of_day(std::string_view t) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') return std::nullopt;
  int h = number(t.substr(0, 2), 2), m = number(t.substr(3, 2), 2), s = number(t.substr(6, 2), 2);
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60) return std::nullopt;
  return h * 3600 + m * 60 + s;
}

}  // namespace

std::int64_t days_from_civil(int year, int month, int day) {
  // Howard Hinnant's days_from_civil.
  std::int64_t y = month <= 2 ? year - 1 : year;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  auto first = text.find('-');
  auto second = first == std::string_view::npos ? first : text.find('-', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  int day = number(text.substr(0, first), 2);
  int month = month_number(text.substr(first + 1, second - first - 1));
  auto year_text = text.substr(second + 1);
  int year = year_text.size() == 4 ? number(year_text, 4) : -1;
  if (!valid_date(year, month, day)) return std::nullopt;
  return days_from_civil(year, month, day);
}

std::optional<DateTime> parse_date_time(std::string_view text) {
  // date-day-fixed = (SP DIGIT) / 2DIGIT: "17-Jul-1996 02:44:25 -0700" is 26 octets.
  if (text.size() != 26 || text[11] != ' ' || text[20] != ' ') return std::nullopt;
  std::string_view date = text.substr(0, 11);
  if (date[0] == ' ') date.remove_prefix(1);
  auto day = parse_date(date);
  auto time = time_of_day(text.substr(12, 8));
  auto zone = zone_minutes(text.substr(21));
  if (!day || !time || !zone || (text[21] != '+' && text[21] != '-')) return std::nullopt;
  return DateTime{*day * 86400 + *time - *zone * 60LL, *zone};
}

std::string format_date_time(const DateTime& when) {
  std::int64_t local = when.seconds + when.offset_minutes * 60LL;
  std::int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  std::int64_t secs = local - days * 86400;
  // civil_from_days (Hinnant).
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  int y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  int offset = when.offset_minutes < 0 ? -when.offset_minutes : when.offset_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", d, kMonths[m - 1].data(), y,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                when.offset_minutes < 0 ? '-' : '+', offset / 60, offset % 60);
  return buf;
}

std::optional<std::int64_t> rfc5322_day(std::string_view value) {
  // [day-of-week ","] day month year time zone; only day, month and year matter here.
  auto comma = value.find(',');
  if (comma != std::string_view::npos) value.remove_prefix(comma + 1);
  std::string_view words[3];
  for (auto& word : words) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t' || value.front() == '-')) value.remove_prefix(1);
    auto end = value.find_first_of(" \t-");
    word = value.substr(0, end);
    value.remove_prefix(word.size());
  }
  int day = number(words[0], 2), month = month_number(words[1]), year = number(words[2], 4);
  if (year >= 0 && words[2].size() == 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 §4.3
  if (year >= 0 && words[2].size() == 3) year += 1900;
  if (!valid_date(year, month, day)) return std::nullopt;
  return days_from_civil(year, month, day);
}

}  // namespace mailflow::imap
