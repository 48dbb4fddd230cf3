// Which checkpointed state each subtask of a (re)deployed job restores (after Flink's
// StateAssignmentOperation).
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "jobmanager/checkpoint_store.h"
#include "runtime/job_spec.h"

namespace ec {

// OK when `job` can start from `data`. At the checkpoint's parallelism every subtask gets its
// own entries back. At another parallelism (a savepoint given at submit) only operator state is
// redistributed: every subtask gets the union of all old subtasks' entries of each operator,
// which is what the Kafka source's offsets need (each subtask keeps its partitions' offsets).
// Keyed state cannot be rescaled yet, and never across a change of max parallelism (its key
// groups would move): both are INVALID_ARGUMENT naming the setting. Pure; thread-compatible.
absl::Status CheckStateAssignable(const CheckpointData& data, const JobSpec& job);

// The entries of `data.state` (by SubtaskStateKey) that subtask `subtask` of a job running at
// `parallelism` restores, under their own keys.
std::map<std::string, std::string> AssignState(const CheckpointData& data, int parallelism,
                                               int subtask);

}  // namespace ec
