// State assignment to subtasks on restore.
#include "jobmanager/state_assignment.h"

#include "absl/strings/str_cat.h"
#include "runtime/state/subtask_state.h"

namespace ec {

absl::Status CheckStateAssignable(const CheckpointData& data, const JobSpec& job) {
  bool keyed = false;
  ParsedStateKey key;
  for (const auto& [name, bytes] : data.state) {
    keyed |= ParseSubtaskStateKey(name, &key) && IsKeyedStateName(key.op);
  }
  if (!keyed) return absl::OkStatus();
  if (data.parallelism != job.parallelism) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: parallelism: expected ", data.parallelism,
                     ", the parallelism the checkpoint was taken at, got ", job.parallelism,
                     "; its keyed state cannot be rescaled yet"));
  }
  if (data.max_parallelism != job.max_parallelism) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job file: max-parallelism: expected ", data.max_parallelism,
        ", the max parallelism of the checkpoint's keyed state, got ", job.max_parallelism,
        "; keyed state is laid out by key group and cannot change it"));
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> AssignState(const CheckpointData& data, int parallelism,
                                               int subtask) {
  const bool rescaled = data.parallelism != parallelism;
  std::map<std::string, std::string> assigned;
  ParsedStateKey key;
  for (const auto& [name, bytes] : data.state) {
    if (!ParseSubtaskStateKey(name, &key)) continue;
    // Rescaled: the union of every old subtask's operator state (keyed state was refused).
    if (rescaled ? !IsKeyedStateName(key.op) : key.subtask == subtask) assigned[name] = bytes;
  }
  return assigned;
}

}  // namespace ec
