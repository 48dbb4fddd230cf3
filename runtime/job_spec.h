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

struct RestartSpec {
  std::string strategy = "fixed-delay";  // fixed-delay | exponential-delay | failure-rate | none
  // fixed-delay and exponential-delay: restarts in all. failure-rate: the most failures
  // within `failure_rate_interval` (a failure beyond that fails the job), as in Flink.
  int attempts = 3;
  absl::Duration delay = absl::Seconds(1);
  absl::Duration failure_rate_interval = absl::Minutes(1);
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
