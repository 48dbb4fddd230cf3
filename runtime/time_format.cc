// Fast ISO 8601 formatting (no locale, no allocation beyond the output).
#include "runtime/time_format.h"

#include <chrono>
#include <cstdio>

namespace ec {
namespace {

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int>(y + (*month <= 2));
}

}  // namespace

void AppendIsoMillis(int64_t unix_ms, std::string& out) {
  int64_t days = unix_ms >= 0 ? unix_ms / 86400000 : (unix_ms - 86399999) / 86400000;
  int64_t ms_of_day = unix_ms - days * 86400000;
  int year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[32];
  int n =
      std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year, month, day,
                    static_cast<int>(ms_of_day / 3600000), static_cast<int>(ms_of_day / 60000 % 60),
                    static_cast<int>(ms_of_day / 1000 % 60), static_cast<int>(ms_of_day % 1000));
  out.append(buf, n);
}

std::string IsoMillis(int64_t unix_ms) {
  std::string out;
  AppendIsoMillis(unix_ms, out);
  return out;
}

int64_t NowUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ec
