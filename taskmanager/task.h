// Task: one subtask's operator chain, run in its own thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "operators/operator.h"
#include "proto/jobmanager.pb.h"
#include "runtime/job_spec.h"
#include "runtime/metrics.h"
#include "runtime/state/subtask_state.h"

namespace ec {

// Where a task keeps its keyed state and where its snapshots go.
struct TaskStorage {
  std::string local_state_dir;  // this attempt's private RocksDB directory
  std::string checkpoint_dir;   // the job's checkpoint directory, shared with the JobManager
  std::string restore_dir;      // the directory the restored state's files are relative to
};

// Runs the operators of one chain in one thread: the source polls a batch, each operator turns
// it into the next batch, the sink writes it. Lifecycle: Create → Start → (Cancel) → Join; the
// owner is told of every state change through `on_state` (called from the task's thread).
// Status() may be called from any thread.
class Task {
 public:
  using StateListener = std::function<void(const proto::TaskStatus&)>;
  // Receives the task's acknowledgement (or decline) of a checkpoint, from the task's thread.
  using CheckpointListener = std::function<void(const proto::CheckpointAck&)>;

  // `restore` holds the state to start from, by SubtaskStateKey: normally this subtask's own
  // entries; after a rescale, every old subtask's entries of an operator, each handed to its
  // RestoreState in subtask order (Flink's union redistribution).
  static absl::StatusOr<std::unique_ptr<Task>> Create(
      proto::TaskId id, JobSpec spec, StateListener on_state,
      CheckpointListener on_checkpoint = nullptr,
      const std::map<std::string, std::string>& restore = {}, const TaskStorage& storage = {});
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  void Start();
  // Asks the task to stop; it flushes its sink and reports CANCELED. Returns at once.
  void Cancel() { cancelled_.store(true); }
  void Join();
  // Asks for checkpoint `id`, taken between the next two batches. Returns at once.
  void TriggerCheckpoint(int64_t id, bool stop_after = false) {
    if (stop_after) stop_after_checkpoint_.store(id);
    checkpoint_requested_.store(id);
  }
  void NotifyCheckpointComplete(int64_t id) { checkpoint_completed_.store(id); }

  const proto::TaskId& id() const { return id_; }
  proto::TaskStatus Status() const;
  bool IsTerminal() const;

 private:
  Task(proto::TaskId id, JobSpec spec, StateListener on_state);
  void Run();
  absl::Status OpenKeyedState(const std::map<std::string, std::string>& restore,
                              const TaskStorage& storage);
  absl::Status RunChain();
  void SetState(proto::TaskState state, const absl::Status& failure = absl::OkStatus());
  // Takes a requested checkpoint or forwards a completion, if any; errors fail the task.
  absl::Status ServeCheckpoints();

  proto::TaskId id_;
  JobSpec spec_;
  StateListener on_state_;
  CheckpointListener on_checkpoint_;
  std::atomic<int64_t> checkpoint_requested_{0};
  std::atomic<int64_t> checkpoint_completed_{0};
  std::atomic<int64_t> stop_after_checkpoint_{0};
  int64_t checkpoint_taken_ = 0;     // task thread only
  int64_t checkpoint_notified_ = 0;  // task thread only
  // Declared before the chain: operators hold handles into it, so it must outlive them.
  std::unique_ptr<KeyedStateBackend> keyed_state_;
  std::vector<std::unique_ptr<Operator>> chain_;
  std::vector<std::unique_ptr<OperatorCounters>> counters_;
  std::vector<OperatorContext> contexts_;
  std::atomic<bool> cancelled_{false};
  std::thread thread_;

  mutable absl::Mutex mu_;
  proto::TaskState state_ ABSL_GUARDED_BY(mu_) = proto::TASK_DEPLOYING;
  proto::TaskFailure failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
