// The operator interface every built-in operator implements, with defaulted hooks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/event_time.h"
#include "runtime/job_spec.h"
#include "runtime/metrics.h"
#include "runtime/record_batch.h"
#include "runtime/state/keyed_state_backend.h"

namespace ec {

// What an operator may see of the task that runs it. Owned by the task; outlives the operator.
struct OperatorContext {
  const JobSpec* job = nullptr;
  const OperatorSpec* spec = nullptr;
  std::string job_id;
  int subtask = 0;
  int parallelism = 1;    // subtasks of the operator's vertex in this deployment
  std::string task_name;  // "job=<id> task=<operator chain>#<subtask>", for log lines
  OperatorCounters* counters = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  // The task's RocksDB keyed state, for operators whose UsesKeyedState() is true (else null).
  // It is snapshotted with the checkpoint and restored on redeploy by the task itself.
  KeyedStateBackend* keyed_state = nullptr;
  // The newest checkpoint the JobManager said is complete (0: none yet); it may move on while a
  // hook runs, e.g. while a sink's final Flush waits for its last checkpoint to complete.
  const std::atomic<int64_t>* completed_checkpoint = nullptr;
  // Set before the final Flush of a task that ends without being cancelled (its input ended,
  // or it stopped with a savepoint): what the sink holds back for a checkpoint goes out now.
  bool finishing = false;

  int64_t CompletedCheckpoint() const {
    return completed_checkpoint ? completed_checkpoint->load(std::memory_order_acquire) : 0;
  }
  bool IsCancelled() const { return cancelled && cancelled->load(std::memory_order_relaxed); }
};

// Records and their bytes, as the per-operator counters count them.
struct RecordCount {
  uint64_t records = 0;
  uint64_t bytes = 0;
};

// A step of an operator chain. All methods are called from the task's one thread, in the order
// Open, (ProcessBatch | Tick)*, Close; an operator needs no locking of its own. Every hook
// returns a status: a non-OK status fails the task with that message, so messages name the
// operator and the reason and never contain secrets.
class Operator {
 public:
  virtual ~Operator() = default;

  virtual absl::Status Open(OperatorContext& ctx) {
    ctx_ = &ctx;
    return absl::OkStatus();
  }

  // Consumes `in` and appends what it emits to `out` (which the caller cleared). Sinks emit
  // nothing. Counting records in and out is the chain runner's job, not the operator's.
  virtual absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) = 0;

  // Called once per turn of the task loop, with or without data: serve callbacks, check timers.
  virtual absl::Status Tick() { return absl::OkStatus(); }

  // Makes everything emitted so far durable (sinks: delivered and acknowledged). Called before
  // the task reports FINISHED or CANCELED; `deadline` bounds the wait.
  virtual absl::Status Flush(absl::Time deadline) {
    (void)deadline;
    return absl::OkStatus();
  }

  virtual absl::Status Close() { return absl::OkStatus(); }

  // Fusion (set up by CreateChain): an operator whose ProcessBatch also does the work of the
  // FusedSuccessors() operators after it, in one pass over each record, and emits what the last
  // of them would have. The runner then skips their ProcessBatch (every other hook still reaches
  // them) and, after each batch, counts what step k (0: this operator, 1: the next...) passed on
  // to step k + 1 as PassedOn(k), so every operator keeps its own records in and out.
  virtual size_t FusedSuccessors() const { return 0; }
  virtual RecordCount PassedOn(size_t step) const {
    (void)step;
    return {};
  }

  // Checkpoints. SnapshotState is called between two batches, after Flush: what the operator
  // writes to `state` is handed back to RestoreState (called before Open) when the task is
  // redeployed from that checkpoint. A job restored at another parallelism calls RestoreState
  // once per old subtask's state instead (Flink's union redistribution): an operator whose
  // state cannot be merged so must run at parallelism 1. NotifyCheckpointComplete tells it the
  // checkpoint is durable.
  virtual absl::Status SnapshotState(int64_t checkpoint_id, std::string* state) {
    (void)checkpoint_id;
    (void)state;
    return absl::OkStatus();
  }
  virtual absl::Status RestoreState(std::string_view state) {
    (void)state;
    return absl::OkStatus();
  }
  virtual absl::Status NotifyCheckpointComplete(int64_t checkpoint_id) {
    (void)checkpoint_id;
    return absl::OkStatus();
  }

  // Event time. Called once per turn of the task loop (after the turn's batch, if any), in
  // chain order, with the watermark status reaching this operator: from the task's input gate
  // or, further down the chain, from the operator before. The operator sets `out` to what it
  // passes on; the default passes `in` on unchanged. A timestamp assigner replaces it with its
  // own; a window operator fires the windows `in.watermark` closes (or that processing time
  // closes) and appends their results to `emitted` (cleared by the caller), which the task then
  // runs through the operators after it.
  virtual absl::Status AdvanceTime(const WatermarkStatus& in, RecordBatch& emitted,
                                   WatermarkStatus* out) {
    (void)emitted;
    *out = in;
    return absl::OkStatus();
  }

  // True for operators that keep keyed state: the task then opens a RocksDB instance for them.
  virtual bool UsesKeyedState() const { return false; }

 protected:
  OperatorContext* ctx_ = nullptr;
};

// A source produces batches instead of consuming them.
class SourceOperator : public Operator {
 public:
  // Fills `out` (cleared by the caller) with what arrived within `max_wait`; an empty batch
  // means nothing arrived. Returns OutOfRange when a bounded input is exhausted.
  virtual absl::Status PollBatch(RecordBatch& out, absl::Duration max_wait) = 0;

  absl::Status ProcessBatch(const RecordBatch&, RecordBatch&) final {
    return absl::InternalError("a source does not consume batches");
  }
};

}  // namespace ec
