// ParseDuration: the units job files use, bare milliseconds, and errors that quote the text.
#include "runtime/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ec {
namespace {

using ::testing::HasSubstr;

TEST(DurationTest, ParsesUnitsJobFilesUse) {
  EXPECT_EQ(*ParseDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration("1s"), absl::Seconds(1));
  EXPECT_EQ(*ParseDuration("2m"), absl::Minutes(2));
  EXPECT_EQ(*ParseDuration("1h"), absl::Hours(1));
  EXPECT_EQ(*ParseDuration("1.5s"), absl::Milliseconds(1500));
  EXPECT_EQ(*ParseDuration("1m30s"), absl::Seconds(90));
}

TEST(DurationTest, BareNumberIsMilliseconds) {
  EXPECT_EQ(*ParseDuration("250"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseDuration("0"), absl::ZeroDuration());
}

TEST(DurationTest, NegativeDurationIsAnError) {
  EXPECT_FALSE(ParseDuration("-5").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
}

TEST(DurationTest, GarbageIsAnErrorQuotingTheText) {
  for (const char* text : {"", "soon", "5 s", "1x", "ms"}) {
    auto d = ParseDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(d.status().message()),
                HasSubstr(std::string("'") + text + "' is not a duration"));
  }
}

}  // namespace
}  // namespace ec
