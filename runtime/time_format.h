// ISO 8601 UTC timestamps with milliseconds, as the events carry them: 2026-11-25T19:15:38.123Z.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ec {

// A proleptic Gregorian date.
struct CivilDate {
  int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 to a civil date and back (Howard Hinnant's algorithms). Inline: the
// producer's timestamp formatter calls it per event day.
constexpr CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilDate date;
  date.day = doy - (153 * mp + 2) / 5 + 1;
  date.month = mp < 10 ? mp + 3 : mp - 9;
  date.year = static_cast<int64_t>(yoe) + era * 400 + (date.month <= 2);
  return date;
}
constexpr int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  const int64_t y = year - (month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Appends the ISO 8601 UTC form of `unix_ms` to `out` (24 characters).
void AppendIsoMillis(int64_t unix_ms, std::string& out);
std::string IsoMillis(int64_t unix_ms);
// Parses the form AppendIsoMillis writes ("2026-11-25T19:15:38.123Z", exactly 24 characters)
// or the same without milliseconds ("2026-11-25T19:15:38Z"); also SQL's TIMESTAMP(3) text as
// Flink's JSON format and Nexmark write it, taken as UTC: "2026-11-25 19:15:38.123", with 0 to
// 3 fraction digits. False for anything else (other offsets, other precisions, impossible
// dates). No allocation: for per-record use.
bool ParseIsoMillis(std::string_view text, int64_t* unix_ms);
int64_t NowUnixMillis();

}  // namespace ec
