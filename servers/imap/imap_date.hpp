// Dates in IMAP: the date of SEARCH keys, the date-time of INTERNALDATE and APPEND, and
// the calendar day of an RFC 5322 Date: field for SENTBEFORE / SENTON / SENTSINCE.
//
// RFC 3501 §9: date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-"
// date-month "-" date-year ("1-Feb-1994"); date-time = DQUOTE date-day-fixed "-"
// date-month "-" date-year SP time SP zone DQUOTE ("17-Jul-1996 02:44:25 -0700").
// §6.4.4: SEARCH compares dates "disregarding time and timezone", so days are plain
// calendar days (days since 1970-01-01), and a Date: field gives its day in its own zone.
// RFC 5322 §3.3 date-time, with §4.3's obsolete two-digit years and zone names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailflow::imap {

// Days since 1970-01-01 of a proleptic Gregorian date; month 1..12.
std::int64_t days_from_civil(int year, int month, int day);

// "1-Feb-1994" (month names case-insensitive) -> its day; nullopt when not a valid date.
std::optional<std::int64_t> parse_date(std::string_view text);

struct DateTime {
  std::int64_t seconds = 0;  // seconds since 1970-01-01 00:00:00 UTC
  int offset_minutes = 0;    // the zone it was written in (-0700 -> -420)
  bool operator==(const DateTime&) const = default;
};

// date-time without the quotes: "17-Jul-1996 02:44:25 -0700" (date-day may be " 7").
std::optional<DateTime> parse_date_time(std::string_view text);

// The date-time without quotes, in the zone of `offset_minutes`.
std::string format_date_time(const DateTime& when);

// The calendar day of an RFC 5322 Date: value in its own zone ("Tue, 1 Dec 2026
// 18:44:37 +0000" -> that Tuesday); nullopt when it does not parse.
std::optional<std::int64_t> rfc5322_day(std::string_view value);

}  // namespace mailflow::imap
