// JobSpec: a job file parsed, its ${parameters} substituted and its generic structure validated.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ec {

// One operator of the pipeline. `config` holds the operator's own fields with parameters
// already substituted; `inputs` are indexes into JobSpec::pipeline.
struct OperatorSpec {
  std::string name;
  std::string type;
  std::vector<int> inputs;
  // The operator's own "parallelism" field, if it has one (else it runs at the job's).
  std::optional<int> parallelism;
  nlohmann::json config;
};

// How a failed job restarts (Flink's restart strategies). With no setting: Flink 2.x's default,
// exponential-delay with unlimited attempts, 1s x1.5 up to 1m, reset after 1h without failure,
// jitter 0.1: fit for a job that runs for months.
struct RestartSpec {
  std::string strategy = "exponential-delay";  // exponential-delay | fixed-delay | failure-rate
                                               // | none
  // fixed-delay: restarts in all. exponential-delay: restarts since the backoff was last reset
  // (Flink's attempts-before-reset-backoff). failure-rate: the most failures within
  // `failure_rate_interval` (one beyond that fails the job). nullopt: unlimited. Unset in the
  // job file: unlimited for exponential-delay, 1 for fixed-delay and failure-rate (Flink's).
  std::optional<int> attempts;
  // fixed-delay and failure-rate: the delay before each restart. exponential-delay: the first
  // backoff (Flink's initial-backoff).
  absl::Duration delay = absl::Seconds(1);
  absl::Duration failure_rate_interval = absl::Minutes(1);
  // exponential-delay only: the backoff grows by `backoff_multiplier` with each restart up to
  // `max_delay`, goes back to `delay` once the job ran `reset_backoff_threshold` without a
  // failure, and each delay is moved by up to +-`jitter_factor` of itself at random.
  absl::Duration max_delay = absl::Minutes(1);
  double backoff_multiplier = 1.5;
  absl::Duration reset_backoff_threshold = absl::Hours(1);
  double jitter_factor = 0.1;
};

// A validated job. Parameters are the file's defaults overridden by those given at submit.
struct JobSpec {
  std::string name;
  std::map<std::string, std::string> parameters;
  int parallelism = 1;
  // The number of key groups keyed state is spread over (Flink's max parallelism): the most
  // subtasks the job can ever be rescaled to. Fixed for the job's life, since its checkpoints'
  // keyed state is laid out by key group.
  int max_parallelism = 128;
  std::optional<absl::Duration> checkpoint_interval;
  // Consecutive failed checkpoints tolerated; one more fails the job over (its restart
  // strategy applies). Unset: never.
  std::optional<int> tolerable_failed_checkpoints;
  RestartSpec restart;
  absl::Duration slot_timeout = absl::Seconds(60);
  std::vector<OperatorSpec> pipeline;

  // Looks up a setting for operator `op`: the operator's own field, else the job parameter of the
  // same name. Returns nullopt when neither is set.
  std::optional<std::string> Setting(const OperatorSpec& op, const std::string& key) const;

  // The resolved spec as JSON (what the JobManager sends to TaskManagers); ParseJobSpec of it
  // with no overrides gives back an equal spec. It carries "resolved": true, which tells
  // ParseJobSpec not to substitute ${parameters} again.
  nlohmann::json ToJson() const;
};

// Parses and validates a job file. Errors name the field and what was expected, e.g.
// "job file: pipeline[2].type: expected a string". Operator-specific fields are checked by the
// operator registry, not here.
absl::StatusOr<JobSpec> ParseJobSpec(std::string_view json_text,
                                     const std::map<std::string, std::string>& overrides = {});

// Replaces every ${name} in `text` from `parameters`; an unknown name is an error naming it.
absl::StatusOr<std::string> SubstituteParameters(
    std::string_view text, const std::map<std::string, std::string>& parameters);

}  // namespace ec
