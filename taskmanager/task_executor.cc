// Slots and task lifecycle of a TaskManager.
#include "taskmanager/task_executor.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "runtime/logging.h"

namespace ec {

TaskExecutor::TaskExecutor(int slots, std::function<void(const proto::TaskStatus&)> on_task_state,
                           Task::CheckpointListener on_checkpoint, std::string state_dir,
                           ChannelRegistry* registry, DataClient* client)
    : slots_(slots),
      on_task_state_(std::move(on_task_state)),
      on_checkpoint_(std::move(on_checkpoint)),
      state_dir_(std::move(state_dir)),
      registry_(registry),
      client_(client) {}

TaskExecutor::~TaskExecutor() { CancelAll(); }

std::string TaskExecutor::Key(const proto::TaskId& id) {
  return absl::StrCat(id.job_id(), "/", id.vertex(), "/", id.subtask(), "/", id.attempt());
}

void TaskExecutor::SetEpoch(int64_t epoch) {
  absl::MutexLock lock(&mu_);
  epoch_ = epoch;
}

int64_t TaskExecutor::epoch() const {
  absl::MutexLock lock(&mu_);
  return epoch_;
}

int TaskExecutor::UsedSlots() const {
  // Slot sharing, as in Flink: one slot runs subtask k of every vertex of a job's attempt.
  std::set<std::string> slots;
  for (const auto& [key, task] : tasks_) {
    if (task->IsTerminal()) continue;
    const proto::TaskId& id = task->id();
    slots.insert(absl::StrCat(id.job_id(), "/", id.attempt(), "/", id.subtask()));
  }
  return static_cast<int>(slots.size());
}

int TaskExecutor::free_slots() const {
  absl::MutexLock lock(&mu_);
  return slots_ - UsedSlots();
}

absl::Status TaskExecutor::Deploy(const proto::DeployTaskRequest& request) {
  auto spec = ParseJobSpec(request.job_spec_json());
  if (!spec.ok()) return spec.status();
  absl::MutexLock lock(&mu_);
  if (request.jobmanager_epoch() != epoch_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stale JobManager epoch ", request.jobmanager_epoch(), " (current ", epoch_, ")"));
  }
  const proto::TaskId& id = request.task();
  bool shares = false;  // a slot of this job's attempt already runs this subtask of a vertex
  for (const auto& [key, task] : tasks_) {
    shares |= !task->IsTerminal() && task->id().job_id() == id.job_id() &&
              task->id().attempt() == id.attempt() && task->id().subtask() == id.subtask();
  }
  if (!shares && UsedSlots() >= slots_) {
    return absl::ResourceExhaustedError(absl::StrCat("all ", slots_, " slots are in use"));
  }
  std::map<std::string, std::string> restore(request.restore_state().begin(),
                                             request.restore_state().end());
  TaskStorage storage;
  if (!state_dir_.empty()) {
    storage.local_state_dir = absl::StrCat(state_dir_, "/", id.job_id(), "-", id.vertex(), "-",
                                           id.subtask(), "-", id.attempt());
  }
  storage.checkpoint_dir = request.checkpoint_dir();
  storage.restore_dir = request.restore_dir();
  storage.parallelism = request.parallelism();
  TaskExchanges exchanges;
  exchanges.chain.assign(request.chain().begin(), request.chain().end());
  exchanges.input_parallelism = request.input_parallelism();
  if (request.has_output()) exchanges.output = request.output();
  exchanges.registry = registry_;
  exchanges.client = client_;
  auto task = Task::Create(request.task(), *std::move(spec), on_task_state_, on_checkpoint_,
                           restore, storage, std::move(exchanges));
  if (!task.ok()) return task.status();
  Logger("taskmanager")
      ->info("job={} deploying {} (vertex {}, subtask {}, attempt {})", request.task().job_id(),
             request.job_name(), request.task().vertex(), request.task().subtask(),
             request.task().attempt());
  (*task)->Start();
  tasks_[Key(request.task())] = *std::move(task);
  return absl::OkStatus();
}

absl::Status TaskExecutor::Cancel(const proto::CancelTaskRequest& request) {
  absl::MutexLock lock(&mu_);
  if (request.jobmanager_epoch() != epoch_) {
    return absl::FailedPreconditionError("stale JobManager epoch");
  }
  auto it = tasks_.find(Key(request.task()));
  if (it == tasks_.end()) return absl::NotFoundError("no such task");
  Logger("taskmanager")
      ->info("job={} cancelling subtask {}", request.task().job_id(), request.task().subtask());
  it->second->Cancel();
  return absl::OkStatus();
}

absl::StatusOr<Task*> TaskExecutor::FindTask(int64_t epoch, const proto::TaskId& id) {
  if (epoch != epoch_) return absl::FailedPreconditionError("stale JobManager epoch");
  auto it = tasks_.find(Key(id));
  if (it == tasks_.end()) return absl::NotFoundError("no such task");
  return it->second.get();
}

absl::Status TaskExecutor::TriggerCheckpoint(const proto::TriggerCheckpointRequest& request) {
  absl::MutexLock lock(&mu_);
  auto task = FindTask(request.jobmanager_epoch(), request.task());
  if (!task.ok()) return task.status();
  (*task)->TriggerCheckpoint(request.checkpoint_id(), request.stop_after());
  return absl::OkStatus();
}

absl::Status TaskExecutor::NotifyCheckpointComplete(
    const proto::CheckpointCompleteRequest& request) {
  absl::MutexLock lock(&mu_);
  auto task = FindTask(request.jobmanager_epoch(), request.task());
  if (!task.ok()) return task.status();
  (*task)->NotifyCheckpointComplete(request.checkpoint_id());
  return absl::OkStatus();
}

void TaskExecutor::CancelAll() {
  std::map<std::string, std::unique_ptr<Task>> tasks;
  {
    absl::MutexLock lock(&mu_);
    tasks.swap(tasks_);
  }
  for (auto& [key, task] : tasks) task->Cancel();
  for (auto& [key, task] : tasks) task->Join();
}

std::vector<proto::TaskStatus> TaskExecutor::CollectStatuses() {
  std::vector<proto::TaskStatus> statuses;
  std::vector<std::unique_ptr<Task>> done;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = tasks_.begin(); it != tasks_.end();) {
      statuses.push_back(it->second->Status());
      if (it->second->IsTerminal()) {
        done.push_back(std::move(it->second));
        it = tasks_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& task : done) task->Join();
  return statuses;
}

std::vector<TaskMetricsSnapshot> TaskExecutor::MetricsSnapshots() const {
  std::vector<TaskMetricsSnapshot> snapshots;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, task] : tasks_) {
    if (!task->IsTerminal()) snapshots.push_back(task->MetricsSnapshot());
  }
  return snapshots;
}

}  // namespace ec
