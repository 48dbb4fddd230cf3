// Task: one subtask's operator chain, run in its own thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "operators/operator.h"
#include "proto/jobmanager.pb.h"
#include "proto/taskmanager.pb.h"
#include "runtime/job_spec.h"
#include "runtime/metrics.h"
#include "runtime/network/channel_registry.h"
#include "runtime/network/data_client.h"
#include "runtime/network/input_gate.h"
#include "runtime/network/record_writer.h"
#include "runtime/state/subtask_state.h"

namespace ec {

// Where a task keeps its keyed state and where its snapshots go.
struct TaskStorage {
  std::string local_state_dir;  // this attempt's private RocksDB directory
  std::string checkpoint_dir;   // the job's checkpoint directory, shared with the JobManager
  std::string restore_dir;      // the directory the restored state's files are relative to
  // The number of subtasks of the task's vertex: its keyed state holds the key groups
  // KeyGroupRangeOf(subtask, parallelism, max-parallelism). 0: unknown, all key groups.
  int parallelism = 0;
};

// Which operators a task runs and how it meets the subtasks before and after it.
struct TaskExchanges {
  std::vector<int> chain;  // pipeline operators, in order; empty: the whole pipeline
  // >0: the chain reads an input gate with one channel per subtask of vertex `id.vertex - 1`,
  // instead of starting with a source.
  int input_parallelism = 0;
  // Set: the chain's records go to the next vertex's subtasks instead of into a sink.
  std::optional<proto::ExchangeOutput> output;
  // The TaskManager's data plane (needed when the task has an input or an output).
  ChannelRegistry* registry = nullptr;
  DataClient* client = nullptr;
};

// What a metrics reporter shows of a task: its status, the job's name, and each operator's
// watermark and gauges (in the order of status.operators()).
struct TaskMetricsSnapshot {
  struct Operator {
    int64_t watermark = kNoWatermark;
    std::vector<GaugeSample> gauges;
  };
  proto::TaskStatus status;
  std::string job_name;
  std::vector<Operator> operators;
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
  // RestoreState in subtask order (Flink's union redistribution), and the keyed-state snapshots
  // of the old subtasks whose key groups overlap this one's, of which it keeps its key groups.
  static absl::StatusOr<std::unique_ptr<Task>> Create(
      proto::TaskId id, JobSpec spec, StateListener on_state,
      CheckpointListener on_checkpoint = nullptr,
      const std::map<std::string, std::string>& restore = {}, const TaskStorage& storage = {},
      TaskExchanges exchanges = {});
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  void Start();
  // Asks the task to stop; it flushes its sink and reports CANCELED. Returns at once.
  void Cancel();
  void Join();
  // Asks for checkpoint `id`, taken between the next two batches. Returns at once. Only tasks
  // that start with a source are asked; the others take it when its barrier has come on every
  // input channel.
  void TriggerCheckpoint(int64_t id, bool stop_after = false) {
    if (stop_after) stop_after_checkpoint_.store(id);
    checkpoint_requested_.store(id);
  }
  void NotifyCheckpointComplete(int64_t id) { checkpoint_completed_.store(id); }

  const proto::TaskId& id() const { return id_; }
  proto::TaskStatus Status() const;
  TaskMetricsSnapshot MetricsSnapshot() const;
  bool IsTerminal() const;

 private:
  Task(proto::TaskId id, JobSpec spec, StateListener on_state);
  // The spec of chain step `i`.
  const OperatorSpec& OpSpec(size_t i) const { return spec_.pipeline[exchanges_.chain[i]]; }
  void Run();
  absl::Status OpenKeyedState(const std::map<std::string, std::string>& restore,
                              const TaskStorage& storage);
  // Connects the output channels (the consumers may still be starting).
  absl::Status OpenOutput();
  absl::Status RunChain();
  // Runs `in` through the chain from step `first` on, into the sink or the output.
  absl::Status ProcessFrom(size_t first, const RecordBatch& in);
  // Hands a batch to the output.
  absl::Status Emit(const RecordBatch& batch);
  // Passes the input's watermark status down the chain (running what windows emit) and on to
  // the output when it changed.
  absl::Status AdvanceTime(const WatermarkStatus& input);
  void SetState(proto::TaskState state, const absl::Status& failure = absl::OkStatus());
  // Takes a requested checkpoint or forwards a completion, if any; errors fail the task.
  absl::Status ServeCheckpoints();
  // Snapshots every operator (and keyed state), acknowledges to the JobManager and sends the
  // barrier on downstream. False when the snapshot was declined.
  absl::StatusOr<bool> TakeCheckpoint(int64_t id);
  void Decline(int64_t id, const absl::Status& reason);

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
  std::vector<RecordBatch> batches_;       // per step, reused
  std::vector<RecordBatch> time_batches_;  // per step: what AdvanceTime emitted
  RecordBatch gate_batch_;
  TaskExchanges exchanges_;
  std::unique_ptr<InputGate> gate_;  // reset under writer_mu_ (Status() reads its counters)
  WatermarkStatus sent_;             // what the output last got
  std::atomic<int64_t> running_since_ns_{0};
  std::atomic<int64_t> idle_ns_{0};
  std::atomic<bool> cancelled_{false};
  mutable absl::Mutex writer_mu_;
  std::unique_ptr<RecordWriter> writer_ ABSL_GUARDED_BY(writer_mu_);
  RecordWriter* output_ = nullptr;  // writer_, for the task thread (which alone resets it)
  std::thread thread_;

  mutable absl::Mutex mu_;
  proto::TaskState state_ ABSL_GUARDED_BY(mu_) = proto::TASK_DEPLOYING;
  proto::TaskFailure failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
