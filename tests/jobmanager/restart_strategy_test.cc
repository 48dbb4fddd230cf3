// DecideRestart alone: fixed-delay, exponential-delay, failure-rate and none, and how a failure
// is described when no restart is left.
#include "jobmanager/restart_strategy.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);

RestartSpec Strategy(const std::string& name, int attempts, absl::Duration delay) {
  RestartSpec spec;
  spec.strategy = name;
  spec.attempts = attempts;
  spec.delay = delay;
  return spec;
}

TEST(RestartStrategyTest, FixedDelayRestartsWithItsDelayAndBudget) {
  std::deque<absl::Time> failures;
  RestartDecision d = DecideRestart(Strategy("fixed-delay", 2, absl::Seconds(1)), 0, failures,
                                    /*retryable=*/true, "boom", kNow);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.delay, absl::Seconds(1));
  EXPECT_EQ(d.message, "boom (restart 1 of 2; restarting in 1000ms)");
  d = DecideRestart(Strategy("fixed-delay", 2, absl::Seconds(1)), 1, failures, true, "boom", kNow);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.message, "boom (restart 2 of 2; restarting in 1000ms)");
  EXPECT_TRUE(failures.empty());  // only failure-rate keeps failure times
}

TEST(RestartStrategyTest, FixedDelayFailsOnceAttemptsAreUsed) {
  std::deque<absl::Time> failures;
  RestartDecision d =
      DecideRestart(Strategy("fixed-delay", 2, absl::Seconds(1)), 2, failures, true, "boom", kNow);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "boom (no restart left after 2)");
}

TEST(RestartStrategyTest, ExponentialDelayDoublesWithEachRestart) {
  std::deque<absl::Time> failures;
  const RestartSpec spec = Strategy("exponential-delay", 10, absl::Milliseconds(100));
  EXPECT_EQ(DecideRestart(spec, 0, failures, true, "x", kNow).delay, absl::Milliseconds(100));
  EXPECT_EQ(DecideRestart(spec, 1, failures, true, "x", kNow).delay, absl::Milliseconds(200));
  RestartDecision d = DecideRestart(spec, 3, failures, true, "x", kNow);
  EXPECT_EQ(d.delay, absl::Milliseconds(800));
  EXPECT_EQ(d.message, "x (restart 4 of 10; restarting in 800ms)");
}

TEST(RestartStrategyTest, ExponentialDelayStopsDoublingAfterTwentyRestarts) {
  std::deque<absl::Time> failures;
  const RestartSpec spec = Strategy("exponential-delay", 100, absl::Milliseconds(1));
  EXPECT_EQ(DecideRestart(spec, 20, failures, true, "x", kNow).delay, absl::Milliseconds(1 << 20));
  EXPECT_EQ(DecideRestart(spec, 50, failures, true, "x", kNow).delay, absl::Milliseconds(1 << 20));
}

TEST(RestartStrategyTest, FailureRateAllowsAttemptsFailuresWithinTheInterval) {
  RestartSpec spec = Strategy("failure-rate", 2, absl::Milliseconds(10));
  spec.failure_rate_interval = absl::Minutes(1);
  std::deque<absl::Time> failures;
  RestartDecision d = DecideRestart(spec, 0, failures, true, "boom", kNow);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.message, "boom (failure 1 of at most 2 per 1m; restarting in 10ms)");
  EXPECT_TRUE(DecideRestart(spec, 1, failures, true, "boom", kNow + absl::Seconds(1)).restart);
  d = DecideRestart(spec, 2, failures, true, "boom", kNow + absl::Seconds(2));
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "boom (more than 2 failures within 1m)");
  EXPECT_EQ(failures.size(), 3u);
}

TEST(RestartStrategyTest, FailureRateForgetsFailuresOlderThanTheInterval) {
  RestartSpec spec = Strategy("failure-rate", 1, absl::Milliseconds(10));
  spec.failure_rate_interval = absl::Minutes(1);
  std::deque<absl::Time> failures = {kNow, kNow + absl::Seconds(1)};
  // Restarts so far do not matter: only failures within the interval count.
  RestartDecision d = DecideRestart(spec, 7, failures, true, "boom", kNow + absl::Minutes(5));
  EXPECT_TRUE(d.restart);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures.front(), kNow + absl::Minutes(5));
}

TEST(RestartStrategyTest, NotRetryableFailureNeverRestarts) {
  std::deque<absl::Time> failures;
  RestartDecision d = DecideRestart(Strategy("fixed-delay", 3, absl::Seconds(1)), 0, failures,
                                    /*retryable=*/false, "bad job", kNow);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "bad job");
}

TEST(RestartStrategyTest, StrategyNoneNeverRestarts) {
  std::deque<absl::Time> failures;
  RestartDecision d =
      DecideRestart(Strategy("none", 3, absl::Seconds(1)), 0, failures, true, "boom", kNow);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "boom");
}

}  // namespace
}  // namespace ec
