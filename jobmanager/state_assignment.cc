// State assignment to subtasks on restore.
#include "jobmanager/state_assignment.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "runtime/state/key_groups.h"
#include "runtime/state/subtask_state.h"

namespace ec {
namespace {

// Per keyed-state name, the old subtasks that acknowledged an entry.
std::map<std::string, std::set<int>> KeyedSubtasks(const CheckpointData& data) {
  std::map<std::string, std::set<int>> subtasks;
  ParsedStateKey key;
  for (const auto& [name, bytes] : data.state) {
    if (ParseSubtaskStateKey(name, &key) && IsKeyedStateName(key.op)) {
      subtasks[key.op].insert(key.subtask);
    }
  }
  return subtasks;
}

}  // namespace

absl::Status CheckStateAssignable(const CheckpointData& data, const JobSpec& job) {
  const auto keyed = KeyedSubtasks(data);
  if (keyed.empty()) return absl::OkStatus();
  if (data.max_parallelism != job.max_parallelism) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job file: max-parallelism: expected ", data.max_parallelism,
        ", the max parallelism of the checkpoint's keyed state, got ", job.max_parallelism,
        "; keyed state is laid out by key group and cannot change it"));
  }
  for (const auto& [op, subtasks] : keyed) {
    // The old parallelism is the number of entries: subtasks 0..n-1 must all be there.
    const int last = *subtasks.rbegin();
    if (last + 1 != static_cast<int>(subtasks.size()) || last >= data.max_parallelism) {
      return absl::InvalidArgumentError(
          absl::StrCat(op, ": expected one entry for each of subtasks 0 to ", last, ", got ",
                       subtasks.size(), " (at most max-parallelism ", data.max_parallelism, ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> NonRestoredStateOperators(const CheckpointData& data, const JobSpec& job,
                                                   const JobGraph& graph) {
  std::set<std::string> restorable;
  for (const OperatorSpec& op : job.pipeline) restorable.insert(op.name);
  for (const JobVertex& v : graph.vertices) {
    if (!v.operators.empty()) restorable.insert(KeyedStateName(job.pipeline[v.operators[0]].name));
  }
  std::set<std::string> left;
  ParsedStateKey key;
  for (const auto& [name, bytes] : data.state) {
    if (ParseSubtaskStateKey(name, &key) && !restorable.count(key.op)) left.insert(key.op);
  }
  return {left.begin(), left.end()};
}

std::map<std::string, std::string> AssignState(const CheckpointData& data, int parallelism,
                                               int vertex_parallelism, int subtask,
                                               const std::set<std::string>& union_operators) {
  const bool rescaled = data.parallelism != parallelism;
  const auto keyed = KeyedSubtasks(data);
  const KeyGroupRange ours = KeyGroupRangeOf(subtask, vertex_parallelism, data.max_parallelism);
  std::map<std::string, std::string> assigned;
  ParsedStateKey key;
  for (const auto& [name, bytes] : data.state) {
    if (!ParseSubtaskStateKey(name, &key)) continue;
    if (IsKeyedStateName(key.op)) {
      const int old_parallelism = static_cast<int>(keyed.at(key.op).size());
      if (key.subtask < old_parallelism &&
          KeyGroupRangeOf(key.subtask, old_parallelism, data.max_parallelism).Overlaps(ours)) {
        assigned[name] = bytes;
      }
    } else if (rescaled || key.subtask == subtask || union_operators.count(key.op)) {
      // Rescaled, or union state: every old subtask's entries of the operator.
      assigned[name] = bytes;
    }
  }
  return assigned;
}

}  // namespace ec
