// Restart strategies: exponential-delay, fixed-delay, failure-rate and none.
#include "jobmanager/restart_strategy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ec {
namespace {

std::string AttemptsText(const std::optional<int>& attempts) {
  return attempts ? absl::StrCat(*attempts, " attempts") : "unlimited";
}

// The exponential-delay backoff of the restart about to happen, before jitter, and the restarts
// counted towards `attempts` before it (both after a reset when the job was healthy long enough).
struct Backoff {
  absl::Duration backoff;
  int restarts_before;
};

Backoff NextBackoff(const RestartSpec& restart, const RestartHistory& history, absl::Time now) {
  const bool reset = history.backoff_restarts == 0 ||
                     now - history.last_restart >= restart.reset_backoff_threshold;
  if (reset) return {restart.delay, 0};
  const absl::Duration grown = history.backoff * restart.backoff_multiplier;
  return {std::min(std::max(grown, restart.delay), restart.max_delay), history.backoff_restarts};
}

}  // namespace

RestartDecision DecideRestart(const RestartSpec& restart, const RestartHistory& history,
                              bool retryable, const std::string& reason, absl::Time now,
                              double jitter) {
  RestartDecision decision;
  decision.history = history;
  RestartHistory& next = decision.history;
  const bool failure_rate = restart.strategy == "failure-rate";
  const bool exponential = restart.strategy == "exponential-delay";
  if (failure_rate) {
    // Flink's failure-rate strategy: restart unless more than `attempts` failures happened
    // within the interval.
    next.failures.push_back(now);
    while (now - next.failures.front() > restart.failure_rate_interval) next.failures.pop_front();
  }
  const Backoff backoff =
      exponential ? NextBackoff(restart, history, now) : Backoff{restart.delay, history.restarts};
  const int used = failure_rate ? static_cast<int>(next.failures.size()) : backoff.restarts_before;
  const bool allowed =
      !restart.attempts || (failure_rate ? used <= *restart.attempts : used < *restart.attempts);
  if (retryable && restart.strategy != "none" && allowed) {
    absl::Duration delay = backoff.backoff;
    if (exponential) {
      delay =
          std::clamp(backoff.backoff * (1 + restart.jitter_factor * std::clamp(jitter, -1.0, 1.0)),
                     absl::ZeroDuration(), restart.max_delay);
      next.backoff_restarts = backoff.restarts_before + 1;
      next.backoff = backoff.backoff;
      next.last_restart = now + delay;
    }
    ++next.restarts;
    std::string budget;
    if (failure_rate) {
      budget = absl::StrCat("failure ", used, " of at most ",
                            restart.attempts ? absl::StrCat(*restart.attempts) : "unlimited",
                            " per ", absl::FormatDuration(restart.failure_rate_interval));
    } else if (restart.attempts) {
      budget = absl::StrCat("restart ", used + 1, " of ", *restart.attempts);
    } else {
      budget = absl::StrCat("restart ", used + 1, ", unlimited");
    }
    decision.restart = true;
    decision.delay = delay;
    decision.message = absl::StrCat(reason, " (", budget, "; restarting in ",
                                    absl::ToInt64Milliseconds(delay), "ms)");
    return decision;
  }
  if (!retryable || restart.strategy == "none") {
    decision.message = reason;
  } else if (failure_rate) {
    decision.message = absl::StrCat(reason, " (more than ", *restart.attempts, " failures within ",
                                    absl::FormatDuration(restart.failure_rate_interval), ")");
  } else {
    decision.message = absl::StrCat(reason, " (no restart left after ", used, ")");
  }
  return decision;
}

std::string RestartStrategyText(const RestartSpec& restart) {
  const std::string delay = absl::FormatDuration(restart.delay);
  if (restart.strategy == "exponential-delay") {
    return absl::StrCat(
        "exponential-delay (", delay, " ×", absl::StrFormat("%g", restart.backoff_multiplier),
        " up to ", absl::FormatDuration(restart.max_delay), ", reset after ",
        absl::FormatDuration(restart.reset_backoff_threshold), ", jitter ",
        absl::StrFormat("%g", restart.jitter_factor), ", ", AttemptsText(restart.attempts), ")");
  }
  if (restart.strategy == "fixed-delay") {
    return absl::StrCat("fixed-delay (", delay, ", ", AttemptsText(restart.attempts), ")");
  }
  if (restart.strategy == "failure-rate") {
    return absl::StrCat(
        "failure-rate (at most ", restart.attempts ? absl::StrCat(*restart.attempts) : "unlimited",
        " failures per ", absl::FormatDuration(restart.failure_rate_interval), ", ", delay, ")");
  }
  return restart.strategy;
}

}  // namespace ec
