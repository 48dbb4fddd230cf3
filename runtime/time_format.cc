// Fast ISO 8601 formatting and parsing (no locale, no allocation beyond the output).
#include "runtime/time_format.h"

#include <chrono>
#include <cstdio>

namespace ec {
namespace {

bool IsLeapYear(int year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

// The `n` decimal digits at `p`, or -1 if one is not a digit.
int Digits(const char* p, int n) {
  int value = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) return -1;
    value = value * 10 + static_cast<int>(d);
  }
  return value;
}

}  // namespace

bool ParseIsoMillis(std::string_view text, int64_t* unix_ms) {
  // YYYY-MM-DDTHH:MM:SS[.mmm]Z, or SQL's YYYY-MM-DD HH:MM:SS[.f[f[f]]] (UTC)
  const bool sql = text.size() >= 19 && text[10] == ' ';
  const size_t fraction_digits = sql ? (text.size() == 19 ? 0 : text.size() - 20)
                                     : (text.size() == 24 ? 3 : 0);
  if (sql ? (text.size() == 20 || text.size() > 23)
          : ((text.size() != 24 && text.size() != 20) || text.back() != 'Z' || text[10] != 'T')) {
    return false;
  }
  const char* p = text.data();
  if (p[4] != '-' || p[7] != '-' || p[13] != ':' || p[16] != ':') return false;
  const int year = Digits(p, 4), month = Digits(p + 5, 2), day = Digits(p + 8, 2);
  const int hour = Digits(p + 11, 2), minute = Digits(p + 14, 2), second = Digits(p + 17, 2);
  int millis = 0;
  if (fraction_digits > 0) {
    if (p[19] != '.') return false;
    millis = Digits(p + 20, static_cast<int>(fraction_digits));
    for (size_t i = fraction_digits; i < 3; ++i) millis *= 10;  // ".1" is 100 ms
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59 || millis < 0) {
    return false;
  }
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int days_in_month = kDaysInMonth[month - 1] + (month == 2 && IsLeapYear(year));
  if (day > days_in_month) return false;
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  *unix_ms = days * 86400000 + hour * 3600000LL + minute * 60000LL + second * 1000LL + millis;
  return true;
}

void AppendIsoMillis(int64_t unix_ms, std::string& out) {
  int64_t days = unix_ms >= 0 ? unix_ms / 86400000 : (unix_ms - 86399999) / 86400000;
  int64_t ms_of_day = unix_ms - days * 86400000;
  const CivilDate date = CivilFromDays(days);
  char buf[32];
  int n =
      std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                    static_cast<int>(date.year), date.month, date.day,
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
