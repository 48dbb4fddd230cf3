// DecideRestart alone: exponential-delay (growth, cap, jitter, reset after a healthy stretch,
// unlimited attempts), fixed-delay, failure-rate and none, how a failure is described when no
// restart is left, and RestartStrategyText.
#include "jobmanager/restart_strategy.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);

RestartSpec Strategy(const std::string& name, std::optional<int> attempts, absl::Duration delay) {
  RestartSpec spec;
  spec.strategy = name;
  spec.attempts = attempts;
  spec.delay = delay;
  return spec;
}

// Exponential-delay without jitter, so the delays are exact.
RestartSpec Exponential(std::optional<int> attempts = std::nullopt) {
  RestartSpec spec = Strategy("exponential-delay", attempts, absl::Seconds(1));
  spec.jitter_factor = 0;
  return spec;
}

// Fails the job `n` times, each right after the previous redeploy: the delays, in order.
std::vector<absl::Duration> Delays(const RestartSpec& spec, int n, RestartHistory& history,
                                   absl::Time& now) {
  std::vector<absl::Duration> delays;
  for (int i = 0; i < n; ++i) {
    RestartDecision d = DecideRestart(spec, history, true, "x", now, 0);
    EXPECT_TRUE(d.restart) << i;
    delays.push_back(d.delay);
    history = d.history;
    now += d.delay + absl::Seconds(1);
  }
  return delays;
}

TEST(RestartStrategyTest, DefaultIsExponentialDelayUnlimited) {
  const RestartSpec spec;
  EXPECT_EQ(spec.strategy, "exponential-delay");
  EXPECT_FALSE(spec.attempts.has_value());
  EXPECT_EQ(spec.delay, absl::Seconds(1));
  EXPECT_EQ(spec.backoff_multiplier, 1.5);
  EXPECT_EQ(spec.max_delay, absl::Minutes(1));
  EXPECT_EQ(spec.reset_backoff_threshold, absl::Hours(1));
  EXPECT_EQ(spec.jitter_factor, 0.1);
}

TEST(RestartStrategyTest, ExponentialDelayGrowsByTheMultiplier) {
  RestartHistory history;
  absl::Time now = kNow;
  const std::vector<absl::Duration> delays = Delays(Exponential(), 4, history, now);
  EXPECT_EQ(delays,
            (std::vector<absl::Duration>{absl::Milliseconds(1000), absl::Milliseconds(1500),
                                         absl::Milliseconds(2250), absl::Milliseconds(3375)}));
  EXPECT_EQ(history.restarts, 4);
  EXPECT_EQ(history.backoff_restarts, 4);
}

TEST(RestartStrategyTest, ExponentialDelayStopsAtTheMaxDelay) {
  RestartHistory history;
  absl::Time now = kNow;
  const std::vector<absl::Duration> delays = Delays(Exponential(), 20, history, now);
  EXPECT_NEAR(absl::ToDoubleSeconds(delays[10]), 57.6650390625, 1e-6);  // 1.5^10
  EXPECT_EQ(delays[11], absl::Minutes(1));
  EXPECT_EQ(delays[19], absl::Minutes(1));
}

TEST(RestartStrategyTest, ExponentialDelayIsUnlimitedByDefault) {
  RestartHistory history;
  absl::Time now = kNow;
  Delays(Exponential(), 500, history, now);
  RestartDecision d = DecideRestart(Exponential(), history, true, "lost", now, 0);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.message, "lost (restart 501, unlimited; restarting in 60000ms)");
}

TEST(RestartStrategyTest, ExponentialDelayJitterStaysWithinItsFactor) {
  RestartSpec spec = Exponential();
  spec.jitter_factor = 0.1;
  RestartHistory history;
  history.backoff_restarts = 2;
  history.backoff = absl::Seconds(10);
  history.last_restart = kNow - absl::Seconds(5);
  // The next backoff is 15s: the draw moves it by at most 10% either way.
  auto delay_ms = [&](double draw) {
    return absl::ToDoubleMilliseconds(DecideRestart(spec, history, true, "x", kNow, draw).delay);
  };
  EXPECT_NEAR(delay_ms(-1), 13500, 1e-3);
  EXPECT_NEAR(delay_ms(0), 15000, 1e-3);
  EXPECT_NEAR(delay_ms(1), 16500, 1e-3);
  EXPECT_NEAR(delay_ms(7), 16500, 1e-3);  // a draw out of [-1, 1] is clamped
  for (double draw = -1; draw <= 1; draw += 0.125) {
    RestartDecision d = DecideRestart(spec, history, true, "x", kNow, draw);
    EXPECT_GE(absl::ToDoubleMilliseconds(d.delay), 13500 - 1e-3) << draw;
    EXPECT_LE(absl::ToDoubleMilliseconds(d.delay), 16500 + 1e-3) << draw;
    EXPECT_EQ(d.history.backoff, absl::Seconds(15));  // the growth ignores the jitter
    EXPECT_EQ(d.history.last_restart, kNow + d.delay);
  }
}

TEST(RestartStrategyTest, ExponentialDelayJitterNeverExceedsTheMaxDelay) {
  RestartSpec spec = Exponential();
  spec.jitter_factor = 0.5;
  RestartHistory history;
  history.backoff_restarts = 30;
  history.backoff = absl::Minutes(1);
  history.last_restart = kNow - absl::Seconds(5);
  EXPECT_EQ(DecideRestart(spec, history, true, "x", kNow, 1).delay, absl::Minutes(1));
  EXPECT_EQ(DecideRestart(spec, history, true, "x", kNow, -1).delay, absl::Seconds(30));
}

TEST(RestartStrategyTest, ExponentialDelayResetsAfterTheThresholdWithoutFailure) {
  RestartHistory history;
  absl::Time now = kNow;
  Delays(Exponential(), 6, history, now);
  ASSERT_GT(history.backoff, absl::Seconds(5));
  // Just under an hour since the latest redeploy: the backoff keeps growing.
  RestartDecision d =
      DecideRestart(Exponential(), history, true, "x", history.last_restart + absl::Minutes(59), 0);
  EXPECT_GT(d.delay, history.backoff);
  EXPECT_EQ(d.history.backoff_restarts, 7);
  // An hour of health: back to the first backoff, and the attempts count from 1 again.
  d = DecideRestart(Exponential(), history, true, "x", history.last_restart + absl::Hours(1), 0);
  EXPECT_EQ(d.delay, absl::Seconds(1));
  EXPECT_EQ(d.history.backoff_restarts, 1);
  EXPECT_EQ(d.history.restarts, 7);  // the job's total keeps counting
}

TEST(RestartStrategyTest, ExponentialDelayAttemptsCountSinceTheReset) {
  const RestartSpec spec = Exponential(/*attempts=*/2);
  RestartHistory history;
  absl::Time now = kNow;
  Delays(spec, 2, history, now);
  RestartDecision d = DecideRestart(spec, history, true, "boom", now, 0);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "boom (no restart left after 2)");
  // After a healthy hour the budget is whole again (Flink's attempts-before-reset-backoff).
  d = DecideRestart(spec, history, true, "boom", history.last_restart + absl::Hours(2), 0);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.message, "boom (restart 1 of 2; restarting in 1000ms)");
}

TEST(RestartStrategyTest, FixedDelayRestartsWithItsDelayAndBudget) {
  RestartHistory history;
  RestartDecision d = DecideRestart(Strategy("fixed-delay", 2, absl::Seconds(1)), history,
                                    /*retryable=*/true, "boom", kNow, 0.9);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.delay, absl::Seconds(1));  // no jitter
  EXPECT_EQ(d.message, "boom (restart 1 of 2; restarting in 1000ms)");
  d = DecideRestart(Strategy("fixed-delay", 2, absl::Seconds(1)), d.history, true, "boom", kNow, 0);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.message, "boom (restart 2 of 2; restarting in 1000ms)");
  EXPECT_TRUE(d.history.failures.empty());  // only failure-rate keeps failure times
  EXPECT_EQ(d.history.restarts, 2);
}

TEST(RestartStrategyTest, FixedDelayFailsOnceAttemptsAreUsed) {
  RestartHistory history;
  history.restarts = 2;
  RestartDecision d =
      DecideRestart(Strategy("fixed-delay", 2, absl::Seconds(1)), history, true, "boom", kNow, 0);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "boom (no restart left after 2)");
}

TEST(RestartStrategyTest, FixedDelayMayBeUnlimited) {
  RestartHistory history;
  history.restarts = 10'000;
  RestartDecision d = DecideRestart(Strategy("fixed-delay", std::nullopt, absl::Seconds(2)),
                                    history, true, "boom", kNow, 0);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.delay, absl::Seconds(2));
}

TEST(RestartStrategyTest, FailureRateAllowsAttemptsFailuresWithinTheInterval) {
  RestartSpec spec = Strategy("failure-rate", 2, absl::Milliseconds(10));
  spec.failure_rate_interval = absl::Minutes(1);
  RestartDecision d = DecideRestart(spec, RestartHistory{}, true, "boom", kNow, 0);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.message, "boom (failure 1 of at most 2 per 1m; restarting in 10ms)");
  d = DecideRestart(spec, d.history, true, "boom", kNow + absl::Seconds(1), 0);
  EXPECT_TRUE(d.restart);
  d = DecideRestart(spec, d.history, true, "boom", kNow + absl::Seconds(2), 0);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "boom (more than 2 failures within 1m)");
  EXPECT_EQ(d.history.failures.size(), 3u);
}

TEST(RestartStrategyTest, FailureRateForgetsFailuresOlderThanTheInterval) {
  RestartSpec spec = Strategy("failure-rate", 1, absl::Milliseconds(10));
  spec.failure_rate_interval = absl::Minutes(1);
  RestartHistory history;
  history.restarts = 7;  // restarts so far do not matter: only failures within the interval
  history.failures = {kNow, kNow + absl::Seconds(1)};
  RestartDecision d = DecideRestart(spec, history, true, "boom", kNow + absl::Minutes(5), 0);
  EXPECT_TRUE(d.restart);
  ASSERT_EQ(d.history.failures.size(), 1u);
  EXPECT_EQ(d.history.failures.front(), kNow + absl::Minutes(5));
}

TEST(RestartStrategyTest, NotRetryableFailureNeverRestarts) {
  RestartDecision d = DecideRestart(Strategy("fixed-delay", 3, absl::Seconds(1)), RestartHistory{},
                                    /*retryable=*/false, "bad job", kNow, 0);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "bad job");
  d = DecideRestart(Exponential(), RestartHistory{}, false, "bad job", kNow, 0);
  EXPECT_FALSE(d.restart);
}

TEST(RestartStrategyTest, StrategyNoneNeverRestarts) {
  RestartDecision d =
      DecideRestart(Strategy("none", 3, absl::Seconds(1)), RestartHistory{}, true, "boom", kNow, 0);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.message, "boom");
}

TEST(RestartStrategyTest, TextNamesTheStrategyAndItsSettings) {
  EXPECT_EQ(RestartStrategyText(RestartSpec{}),
            "exponential-delay (1s ×1.5 up to 1m, reset after 1h, jitter 0.1, unlimited)");
  EXPECT_EQ(RestartStrategyText(Strategy("fixed-delay", 3, absl::Milliseconds(200))),
            "fixed-delay (200ms, 3 attempts)");
  RestartSpec rate = Strategy("failure-rate", 2, absl::Seconds(1));
  EXPECT_EQ(RestartStrategyText(rate), "failure-rate (at most 2 failures per 1m, 1s)");
  EXPECT_EQ(RestartStrategyText(Strategy("none", 0, absl::Seconds(1))), "none");
}

}  // namespace
}  // namespace ec
