// Throttle: records pass unchanged, no faster than the rate; cancellation ends the wait.
#include "operators/transforms/throttle.h"

#include <gtest/gtest.h>

#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;

constexpr char kJob[] = R"({"name": "t", "pipeline": [
  {"type": "throttle", "records-per-second": 1000}]})";

TEST(ThrottleTest, PassesRecordsUnchangedAtMostAtTheRate) {
  OperatorHarness harness(kJob);
  Throttle throttle(1000);
  ASSERT_TRUE(throttle.Open(harness.context()).ok());
  std::vector<std::string> batch(100, R"({"seq":1})");
  const absl::Time started = absl::Now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(OperatorHarness::Run(throttle, batch), batch);
  // 300 records at 1,000/s take at least 0.3 s (a lower bound: a slow machine only adds).
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(290));
}

TEST(ThrottleTest, CancellationEndsTheWait) {
  OperatorHarness harness(kJob);
  Throttle throttle(1);
  ASSERT_TRUE(throttle.Open(harness.context()).ok());
  harness.Cancel();
  const absl::Time started = absl::Now();
  OperatorHarness::Run(throttle, std::vector<std::string>(100, "x"));  // due in 100 s
  EXPECT_LT(absl::Now() - started, absl::Seconds(30));
}

}  // namespace
}  // namespace ec
