// ISO 8601 formatting against known instants (leap days, century rules, before 1970) and
// against the C library over a sweep of instants.
#include "runtime/time_format.h"

#include <gtest/gtest.h>

#include <ctime>
#include <random>

#include "absl/strings/str_format.h"

namespace ec {
namespace {

// The C library's answer, for comparison.
std::string ViaGmtime(int64_t unix_ms) {
  int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  int ms = static_cast<int>(unix_ms - seconds * 1000);
  time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

TEST(TimeFormatTest, FormatsTheEpoch) { EXPECT_EQ(IsoMillis(0), "1970-01-01T00:00:00.000Z"); }

TEST(TimeFormatTest, FormatsMilliseconds) {
  EXPECT_EQ(IsoMillis(1767225600000), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoMillis(1767225600000 + 45296789), "2026-01-01T12:34:56.789Z");
}

TEST(TimeFormatTest, FormatsLeapDays) {
  EXPECT_EQ(IsoMillis(1709164800123), "2024-02-29T00:00:00.123Z");
  EXPECT_EQ(IsoMillis(951782400000), "2000-02-29T00:00:00.000Z");  // 2000: divisible by 400
  EXPECT_EQ(IsoMillis(951868800000), "2000-03-01T00:00:00.000Z");
}

TEST(TimeFormatTest, CenturyThatIsNotALeapYearHasNoFebruary29) {
  EXPECT_EQ(IsoMillis(4107456000000), "2100-02-28T00:00:00.000Z");
  EXPECT_EQ(IsoMillis(4107456000000 + 86400000), "2100-03-01T00:00:00.000Z");
}

TEST(TimeFormatTest, FormatsInstantsBefore1970) {
  EXPECT_EQ(IsoMillis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(IsoMillis(-86400000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(IsoMillis(-86400001), "1969-12-30T23:59:59.999Z");
  EXPECT_EQ(IsoMillis(-2208988800000), "1900-01-01T00:00:00.000Z");
}

TEST(TimeFormatTest, FormatsTheLastMillisecondOfYear9999) {
  EXPECT_EQ(IsoMillis(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(TimeFormatTest, AgreesWithGmtimeOverASweep) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(-2208988800000, 253402300799999);
  for (int i = 0; i < 20000; ++i) {
    const int64_t ms = any(rng);
    ASSERT_EQ(IsoMillis(ms), ViaGmtime(ms)) << ms;
  }
  for (int64_t ms = -3 * 86400000LL; ms <= 3 * 86400000LL; ms += 3599999) {
    ASSERT_EQ(IsoMillis(ms), ViaGmtime(ms)) << ms;
  }
}

TEST(TimeFormatTest, AppendIsoMillisAppendsTwentyFourCharacters) {
  std::string out = "at ";
  AppendIsoMillis(0, out);
  EXPECT_EQ(out, "at 1970-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoMillis(NowUnixMillis()).size(), 24u);
}

TEST(TimeFormatTest, NowIsTheWallClock) {
  const int64_t before = static_cast<int64_t>(std::time(nullptr)) * 1000;
  const int64_t now = NowUnixMillis();
  const int64_t after = (static_cast<int64_t>(std::time(nullptr)) + 1) * 1000;
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
}

TEST(TimeFormatTest, ParsesWhatItFormats) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> any(-2208988800000, 253402300799999);
  for (int i = 0; i < 20000; ++i) {
    const int64_t ms = any(rng);
    int64_t parsed = 0;
    ASSERT_TRUE(ParseIsoMillis(IsoMillis(ms), &parsed)) << IsoMillis(ms);
    ASSERT_EQ(parsed, ms) << IsoMillis(ms);
  }
  int64_t parsed = 0;
  ASSERT_TRUE(ParseIsoMillis("2026-11-26T01:02:03.456Z", &parsed));
  EXPECT_EQ(IsoMillis(parsed), "2026-11-26T01:02:03.456Z");
  ASSERT_TRUE(ParseIsoMillis("2024-02-29T00:00:00Z", &parsed));
  EXPECT_EQ(parsed, 1709164800000);
}

// SQL's TIMESTAMP(3) text, as Flink's JSON format (trailing fraction zeros dropped) and Nexmark
// write it, is UTC.
TEST(TimeFormatTest, ParsesSqlTimestamps) {
  int64_t parsed = 0;
  ASSERT_TRUE(ParseIsoMillis("2015-07-15 00:00:04.154", &parsed));
  EXPECT_EQ(IsoMillis(parsed), "2015-07-15T00:00:04.154Z");
  ASSERT_TRUE(ParseIsoMillis("2015-07-15 00:00:04.15", &parsed));
  EXPECT_EQ(IsoMillis(parsed), "2015-07-15T00:00:04.150Z");
  ASSERT_TRUE(ParseIsoMillis("2015-07-15 00:00:04.1", &parsed));
  EXPECT_EQ(IsoMillis(parsed), "2015-07-15T00:00:04.100Z");
  ASSERT_TRUE(ParseIsoMillis("2015-07-15 00:00:04", &parsed));
  EXPECT_EQ(IsoMillis(parsed), "2015-07-15T00:00:04.000Z");
  for (const char* text : {"2015-07-15 00:00:04.", "2015-07-15 00:00:04.1234",
                           "2015-07-15 00:00:04Z", "2015-07-15 24:00:04", "2015-07-15 00:00:4.1"}) {
    EXPECT_FALSE(ParseIsoMillis(text, &parsed)) << text;
  }
}

TEST(TimeFormatTest, ParseRejectsOtherForms) {
  int64_t parsed = 0;
  for (const char* text :
       {"", "2026-11-26", "2026-11-26T01:02:03.456", "2026-11-26T01:02:03.456+01:00",
        "2026-11-26 01:02:03.456Z", "2026-11-26T01:02:03.45Z", "2026-13-01T00:00:00.000Z",
        "2026-02-29T00:00:00.000Z", "2100-02-29T00:00:00.000Z", "2026-04-31T00:00:00.000Z",
        "2026-01-01T24:00:00.000Z", "2026-01-01T00:60:00.000Z", "2026-01-01T00:00:60.000Z",
        "2026-01-00T00:00:00.000Z", "2026-01-01T00:00:00.0a0Z", "+026-01-01T00:00:00.000Z"}) {
    EXPECT_FALSE(ParseIsoMillis(text, &parsed)) << text;
  }
}

TEST(CivilDateTest, KnownDays) {
  static_assert(CivilFromDays(0).year == 1970);  // usable at compile time
  const CivilDate leap_day = CivilFromDays(19782);
  EXPECT_EQ(leap_day.year, 2024);
  EXPECT_EQ(leap_day.month, 2u);
  EXPECT_EQ(leap_day.day, 29u);
  const CivilDate before = CivilFromDays(-1);
  EXPECT_EQ(before.year, 1969);
  EXPECT_EQ(before.month, 12u);
  EXPECT_EQ(before.day, 31u);
  EXPECT_EQ(DaysFromCivil(0, 1, 1), -719528);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31), 2932896);
}

TEST(CivilDateTest, RoundTripsEveryDayOfYearsZeroToTenThousand) {
  CivilDate previous = CivilFromDays(DaysFromCivil(0, 1, 1) - 1);
  EXPECT_EQ(previous.year, -1);
  for (int64_t days = DaysFromCivil(0, 1, 1); days <= DaysFromCivil(10000, 1, 1); ++days) {
    const CivilDate date = CivilFromDays(days);
    ASSERT_EQ(DaysFromCivil(date.year, date.month, date.day), days);
    // Consecutive days: the next day of the month, or the first of the next month.
    const bool next_day =
        date.year == previous.year && date.month == previous.month && date.day == previous.day + 1;
    const bool next_month = date.day == 1 && (date.month == previous.month + 1 ||
                                              (date.month == 1 && date.year == previous.year + 1));
    ASSERT_TRUE(next_day || next_month) << days;
    previous = date;
  }
}

}  // namespace
}  // namespace ec
