// Restart strategies: fixed-delay, exponential-delay, failure-rate and none.
#include "jobmanager/restart_strategy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ec {

RestartDecision DecideRestart(const RestartSpec& restart, int restarts,
                              std::deque<absl::Time>& failures, bool retryable,
                              const std::string& reason, absl::Time now) {
  const bool failure_rate = restart.strategy == "failure-rate";
  if (failure_rate) {
    // Flink's failure-rate strategy: restart unless more than `attempts` failures happened
    // within the interval.
    failures.push_back(now);
    while (now - failures.front() > restart.failure_rate_interval) failures.pop_front();
  }
  const bool allowed = failure_rate ? static_cast<int>(failures.size()) <= restart.attempts
                                    : restarts < restart.attempts;
  RestartDecision decision;
  if (retryable && restart.strategy != "none" && allowed) {
    absl::Duration delay = restart.delay;
    if (restart.strategy == "exponential-delay")
      delay = delay * (int64_t{1} << std::min(restarts, 20));
    const std::string budget =
        failure_rate ? absl::StrCat("failure ", failures.size(), " of at most ", restart.attempts,
                                    " per ", absl::FormatDuration(restart.failure_rate_interval))
                     : absl::StrCat("restart ", restarts + 1, " of ", restart.attempts);
    decision.restart = true;
    decision.delay = delay;
    decision.message = absl::StrCat(reason, " (", budget, "; restarting in ",
                                    absl::ToInt64Milliseconds(delay), "ms)");
    return decision;
  }
  if (!retryable || restart.strategy == "none") {
    decision.message = reason;
  } else if (failure_rate) {
    decision.message = absl::StrCat(reason, " (more than ", restart.attempts, " failures within ",
                                    absl::FormatDuration(restart.failure_rate_interval), ")");
  } else {
    decision.message = absl::StrCat(reason, " (no restart left after ", restarts, ")");
  }
  return decision;
}

}  // namespace ec
