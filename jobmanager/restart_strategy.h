// The restart strategies (Flink's exponential-delay, fixed-delay, failure-rate, none): whether a
// failed job restarts, after which delay, and how the failure is described either way.
#pragma once

#include <deque>
#include <string>

#include "absl/time/time.h"
#include "runtime/job_spec.h"

namespace ec {

// What the strategies remember of a job's failures; DecideRestart reads it and returns it
// updated. Kept in memory only: a restarted JobManager keeps `restarts` (in the job's stored
// record) and starts the rest afresh.
struct RestartHistory {
  int restarts = 0;                 // in the job's life
  std::deque<absl::Time> failures;  // failure-rate: the failures within the interval
  // exponential-delay: restarts since the backoff was last reset, the latest restart's backoff
  // (before jitter) and when its redeploy was due.
  int backoff_restarts = 0;
  absl::Duration backoff = absl::ZeroDuration();
  absl::Time last_restart = absl::InfinitePast();
};

struct RestartDecision {
  bool restart = false;
  absl::Duration delay;  // when restarting: how long until the redeploy
  // Restarting: `reason` with the budget used and the delay, for the RESTARTING transition.
  // Not: the job's failure, `reason` with why no restart was left.
  std::string message;
  RestartHistory history;  // `history` with this failure (and restart) counted
};

// Decides what a failure at `now` does to a job with `history`. A failure that is not
// `retryable`, or under strategy "none", never restarts.
//   fixed-delay: restarts while fewer than `attempts` restarts happened, after `delay`.
//   failure-rate: restarts unless more than `attempts` failures fall within the interval.
//   exponential-delay (Flink's): the first backoff is `delay`, each next one `backoff_multiplier`
//     times the previous up to `max_delay`; when the job has run `reset_backoff_threshold`
//     since its latest redeploy, the backoff and the attempt count start over. The delay is the
//     backoff moved by `jitter` (in [-1, 1], drawn by the caller) times `jitter_factor` of it,
//     never above `max_delay`.
// A pure function of its arguments.
RestartDecision DecideRestart(const RestartSpec& restart, const RestartHistory& history,
                              bool retryable, const std::string& reason, absl::Time now,
                              double jitter);

// The strategy in one line for `ecctl status`, e.g.
// "exponential-delay (1s ×1.5 up to 1m, reset after 1h, jitter 0.1, unlimited)",
// "fixed-delay (1s, 3 attempts)", "failure-rate (at most 1 failures per 1m, 1s)", "none".
std::string RestartStrategyText(const RestartSpec& restart);

}  // namespace ec
