// TimestampFormatter and ParseIso8601Millis: exact formatting across days, leap years, the
// epoch's edges and the clamp; the accepted spellings of --start-time.
#include "client/producer/timestamp_formatter.h"

#include <gtest/gtest.h>

#include <string>

namespace ec::producer {
namespace {

std::string Format(TimestampFormatter& formatter, int64_t unix_ms) {
  char buffer[TimestampFormatter::kLength];
  char* end = formatter.Write(unix_ms, buffer);
  EXPECT_EQ(end - buffer, static_cast<long>(TimestampFormatter::kLength));
  return std::string(buffer, TimestampFormatter::kLength);
}

TEST(TimestampFormatterTest, FormatsKnownInstants) {
  TimestampFormatter formatter;
  EXPECT_EQ(Format(formatter, 0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Format(formatter, 1767225600000), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(Format(formatter, 1795634138123), "2026-11-25T19:15:38.123Z");
  EXPECT_EQ(Format(formatter, 951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(Format(formatter, 4107542399999), "2100-02-28T23:59:59.999Z");
  EXPECT_EQ(Format(formatter, 4107542400000), "2100-03-01T00:00:00.000Z");
}

TEST(TimestampFormatterTest, FormatsTimesBeforeTheEpoch) {
  TimestampFormatter formatter;
  EXPECT_EQ(Format(formatter, -1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(Format(formatter, -86400000), "1969-12-31T00:00:00.000Z");
}

TEST(TimestampFormatterTest, CachedDateFollowsDayChangesBothWays) {
  TimestampFormatter formatter;
  EXPECT_EQ(Format(formatter, 1767225599999), "2025-12-31T23:59:59.999Z");
  EXPECT_EQ(Format(formatter, 1767225600000), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(Format(formatter, 1767225599998), "2025-12-31T23:59:59.998Z");
}

TEST(TimestampFormatterTest, ClampsToFourDigitYears) {
  TimestampFormatter formatter;
  EXPECT_EQ(Format(formatter, INT64_MAX), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(Format(formatter, INT64_MIN), "0000-01-01T00:00:00.000Z");
}

TEST(ParseIso8601MillisTest, AcceptsUtcWithMilliseconds) {
  EXPECT_EQ(ParseIso8601Millis("2026-01-01T00:00:00.000Z").value(), 1767225600000);
  EXPECT_EQ(ParseIso8601Millis("2026-11-25T19:15:38.123Z").value(), 1795634138123);
}

TEST(ParseIso8601MillisTest, AcceptsOffsetsSecondsOnlyAndBareDates) {
  EXPECT_EQ(ParseIso8601Millis("2026-01-01T02:00:00+02:00").value(), 1767225600000);
  EXPECT_EQ(ParseIso8601Millis("2026-01-01T00:00:00Z").value(), 1767225600000);
  EXPECT_EQ(ParseIso8601Millis("2026-01-01T00:00:00").value(), 1767225600000);
  EXPECT_EQ(ParseIso8601Millis("2026-01-01").value(), 1767225600000);
}

TEST(ParseIso8601MillisTest, TruncatesBelowMilliseconds) {
  EXPECT_EQ(ParseIso8601Millis("2026-01-01T00:00:00.0019Z").value(), 1767225600001);
}

TEST(ParseIso8601MillisTest, RejectsOtherText) {
  EXPECT_FALSE(ParseIso8601Millis("yesterday").ok());
  EXPECT_FALSE(ParseIso8601Millis("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseIso8601Millis("").ok());
}

}  // namespace
}  // namespace ec::producer
