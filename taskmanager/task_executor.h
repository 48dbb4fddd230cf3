// TaskExecutor: the TaskManager's slots and the tasks running in them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "proto/taskmanager.pb.h"
#include "taskmanager/task.h"

namespace ec {

// Accepts deployments into a fixed number of slots, cancels tasks, and reports their status.
// Thread-safe: called from gRPC handler threads and the heartbeat thread.
class TaskExecutor {
 public:
  // `state_dir`: where tasks keep their local RocksDB state, one subdirectory per attempt.
  // `registry` and `client`: the TaskManager's data plane (its DataServer's registry and its
  // DataClient), which tasks with a data exchange use; they must outlive the executor.
  TaskExecutor(int slots, std::function<void(const proto::TaskStatus&)> on_task_state,
               Task::CheckpointListener on_checkpoint = nullptr, std::string state_dir = {},
               ChannelRegistry* registry = nullptr, DataClient* client = nullptr);
  ~TaskExecutor();

  // Starts the task described by `request`. Errors: FAILED_PRECONDITION for a stale JobManager
  // epoch, RESOURCE_EXHAUSTED when no slot is free, INVALID_ARGUMENT for a bad job spec.
  absl::Status Deploy(const proto::DeployTaskRequest& request);
  absl::Status Cancel(const proto::CancelTaskRequest& request);
  absl::Status TriggerCheckpoint(const proto::TriggerCheckpointRequest& request);
  absl::Status NotifyCheckpointComplete(const proto::CheckpointCompleteRequest& request);
  // Cancels every task (the JobManager that deployed them is gone) and waits for them.
  void CancelAll();

  // The current JobManager epoch; deploys and cancels from other epochs are rejected.
  void SetEpoch(int64_t epoch);
  int64_t epoch() const;

  // Statuses of all tasks; terminal ones are dropped after being reported here once.
  std::vector<proto::TaskStatus> CollectStatuses();
  // What the metrics reporter shows of the tasks still running (nothing is dropped).
  std::vector<TaskMetricsSnapshot> MetricsSnapshots() const;
  int free_slots() const;
  int slots() const { return slots_; }

 private:
  static std::string Key(const proto::TaskId& id);
  int UsedSlots() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int slots_;
  std::function<void(const proto::TaskStatus&)> on_task_state_;
  Task::CheckpointListener on_checkpoint_;
  const std::string state_dir_;
  ChannelRegistry* const registry_;
  DataClient* const client_;
  // The live task of `id` under the current epoch, or an error naming why there is none.
  absl::StatusOr<Task*> FindTask(int64_t epoch, const proto::TaskId& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mutable absl::Mutex mu_;
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::unique_ptr<Task>> tasks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
