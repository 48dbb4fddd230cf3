// ISO 8601 UTC formatting with a per-day cache, and parsing of --start-time.
#include "client/producer/timestamp_formatter.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/producer/fast_format.h"
#include "runtime/time_format.h"

namespace ec::producer {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

char* TimestampFormatter::Write(int64_t unix_ms, char* out) {
  unix_ms = std::clamp(unix_ms, kMinMillis, kMaxMillis);
  const int64_t day = FloorDiv(unix_ms, kMillisPerDay);
  if (day != cached_day_) {
    const CivilDate date = CivilFromDays(day);
    char* p = Write4Digits(date_, static_cast<uint32_t>(date.year));
    *p++ = '-';
    p = Write2Digits(p, date.month);
    *p++ = '-';
    p = Write2Digits(p, date.day);
    *p = 'T';
    cached_day_ = day;
  }
  auto ms_of_day = static_cast<uint32_t>(unix_ms - day * kMillisPerDay);
  const uint32_t millis = ms_of_day % 1000;
  uint32_t seconds = ms_of_day / 1000;
  std::memcpy(out, date_, sizeof(date_));
  char* p = out + sizeof(date_);
  p = Write2Digits(p, seconds / 3600);
  *p++ = ':';
  p = Write2Digits(p, seconds / 60 % 60);
  *p++ = ':';
  p = Write2Digits(p, seconds % 60);
  *p++ = '.';
  *p++ = static_cast<char>('0' + millis / 100);
  p = Write2Digits(p, millis % 100);
  *p++ = 'Z';
  return p;
}

absl::StatusOr<int64_t> ParseIso8601Millis(std::string_view text) {
  // Zoned first; then a local-looking time or a bare date, both read as UTC.
  static constexpr const char* kFormats[] = {absl::RFC3339_full, "%Y-%m-%d%ET%H:%M:%E*S",
                                             "%Y-%m-%d"};
  const std::string input(text);
  for (const char* format : kFormats) {
    absl::Time time;
    std::string error;
    if (absl::ParseTime(format, input, absl::UTCTimeZone(), &time, &error)) {
      return absl::ToUnixMillis(time);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "start time \"", std::string(text), "\": expected ISO 8601 like 2026-01-01T00:00:00.000Z"));
}

}  // namespace ec::producer
