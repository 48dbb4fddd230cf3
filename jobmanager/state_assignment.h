// Which checkpointed state each subtask of a (re)deployed job restores (after Flink's
// StateAssignmentOperation).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "jobmanager/checkpoint_store.h"
#include "runtime/job_graph.h"
#include "runtime/job_spec.h"

namespace ec {

// OK when `job` can start from `data`. At the checkpoint's parallelism every subtask gets its
// own entries back. At another parallelism (a savepoint given at submit) operator state is
// redistributed by union (every subtask gets all old subtasks' entries of each operator, which
// is what the Kafka source's offsets need) and keyed state by key-group range (see
// AssignState). Keyed state never moves across a change of max parallelism (its key groups
// would change): INVALID_ARGUMENT naming the setting; so is keyed state missing a subtask's
// entry. Pure; thread-compatible.
absl::Status CheckStateAssignable(const CheckpointData& data, const JobSpec& job);

// The operators whose state in `data` no subtask of `job` (planned as `graph`) would restore,
// sorted, each once: operator state of an operator the job does not have, and keyed state of a
// chain whose first operator no chain of the job starts with (keyed state goes with its chain's
// head). Flink refuses to start from such a savepoint unless allowNonRestoredState is set. Pure.
std::vector<std::string> NonRestoredStateOperators(const CheckpointData& data, const JobSpec& job,
                                                   const JobGraph& graph);

// The entries of `data.state` (by SubtaskStateKey) that subtask `subtask` of a vertex running
// `vertex_parallelism` subtasks, in a job running at `parallelism`, restores, under their own
// keys:
//  - operator state: at the checkpoint's parallelism (`data.parallelism`) the subtask's own
//    entries, at another the union of every old subtask's entries; the operators named in
//    `union_operators` (OperatorTraits::union_state) get the union at every parallelism;
//  - keyed state ("@keyed-state/<op>#<k>"): the entries of the old subtasks whose key-group
//    range overlaps this subtask's KeyGroupRangeOf(subtask, vertex_parallelism,
//    data.max_parallelism), the old parallelism being the number of entries of that name (every
//    subtask of a keyed vertex has one). At the same vertex parallelism that is its own entry.
// Requires 0 ≤ subtask < vertex_parallelism ≤ data.max_parallelism.
std::map<std::string, std::string> AssignState(const CheckpointData& data, int parallelism,
                                               int vertex_parallelism, int subtask,
                                               const std::set<std::string>& union_operators = {});

}  // namespace ec
