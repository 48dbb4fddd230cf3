// The restart strategies (Flink's fixed-delay, exponential-delay, failure-rate, none): whether a
// failed job restarts, after which delay, and how the failure is described either way.
#pragma once

#include <deque>
#include <string>

#include "absl/time/time.h"
#include "runtime/job_spec.h"

namespace ec {

struct RestartDecision {
  bool restart = false;
  absl::Duration delay;  // when restarting: how long until the redeploy
  // Restarting: `reason` with the budget left and the delay, for the RESTARTING transition.
  // Not: the job's failure, `reason` with why no restart was left.
  std::string message;
};

// Decides what a failure at `now` does to a job that has restarted `restarts` times so far.
// `failures` is the job's recent failure times: under failure-rate this one is added and those
// older than the interval dropped; the other strategies leave it alone. A failure that is not
// `retryable`, or under strategy "none", never restarts. A pure function of its arguments.
RestartDecision DecideRestart(const RestartSpec& restart, int restarts,
                              std::deque<absl::Time>& failures, bool retryable,
                              const std::string& reason, absl::Time now);

}  // namespace ec
