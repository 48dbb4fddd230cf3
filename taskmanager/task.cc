// The chain runner: batches flow source → transforms → sink in one thread.
#include "taskmanager/task.h"

#include "absl/strings/str_cat.h"
#include "operators/registry.h"
#include "runtime/logging.h"
#include "runtime/state/subtask_state.h"
#include "runtime/status.h"

namespace ec {
namespace {

constexpr absl::Duration kPollWait = absl::Milliseconds(50);
// How long a finishing or cancelled task waits for its sink's acknowledgements.
constexpr absl::Duration kFlushTimeout = absl::Seconds(30);

// The entries of `restore` that belong to operator `op`, in subtask order.
std::vector<std::string_view> EntriesOf(const std::map<std::string, std::string>& restore,
                                        const std::string& op) {
  std::map<int, std::string_view> by_subtask;
  ParsedStateKey key;
  for (const auto& [name, bytes] : restore) {
    if (ParseSubtaskStateKey(name, &key) && key.op == op) by_subtask[key.subtask] = bytes;
  }
  std::vector<std::string_view> entries;
  for (const auto& [subtask, bytes] : by_subtask) entries.push_back(bytes);
  return entries;
}

}  // namespace

Task::Task(proto::TaskId id, JobSpec spec, StateListener on_state)
    : id_(std::move(id)), spec_(std::move(spec)), on_state_(std::move(on_state)) {}

Task::~Task() {
  Cancel();
  Join();
}

absl::StatusOr<std::unique_ptr<Task>> Task::Create(
    proto::TaskId id, JobSpec spec, StateListener on_state, CheckpointListener on_checkpoint,
    const std::map<std::string, std::string>& restore, const TaskStorage& storage) {
  std::unique_ptr<Task> task(new Task(std::move(id), std::move(spec), std::move(on_state)));
  task->on_checkpoint_ = std::move(on_checkpoint);
  auto chain = CreateChain(task->spec_);
  if (!chain.ok()) return chain.status();
  task->chain_ = *std::move(chain);
  if (auto s = task->OpenKeyedState(restore, storage); !s.ok()) return s;
  for (size_t i = 0; i < task->chain_.size(); ++i) {
    for (std::string_view state : EntriesOf(restore, task->spec_.pipeline[i].name)) {
      if (auto s = task->chain_[i]->RestoreState(state); !s.ok()) return s;
    }
  }
  const std::string task_name =
      absl::StrCat("job=", task->id_.job_id(), " task=", task->spec_.name, "#", task->id_.subtask(),
                   " attempt=", task->id_.attempt());
  task->contexts_.resize(task->chain_.size());
  for (size_t i = 0; i < task->chain_.size(); ++i) {
    task->counters_.push_back(std::make_unique<OperatorCounters>(task->spec_.pipeline[i].name));
    OperatorContext& ctx = task->contexts_[i];
    ctx.job = &task->spec_;
    ctx.spec = &task->spec_.pipeline[i];
    ctx.job_id = task->id_.job_id();
    ctx.subtask = task->id_.subtask();
    ctx.task_name = task_name;
    ctx.counters = task->counters_[i].get();
    ctx.cancelled = &task->cancelled_;
    ctx.keyed_state = task->keyed_state_.get();
  }
  return task;
}

absl::Status Task::OpenKeyedState(const std::map<std::string, std::string>& restore,
                                  const TaskStorage& storage) {
  const Operator* user = nullptr;
  for (size_t i = 0; i < chain_.size() && !user; ++i) {
    if (chain_[i]->UsesKeyedState()) user = chain_[i].get();
  }
  if (!user) return absl::OkStatus();
  if (storage.local_state_dir.empty() || storage.checkpoint_dir.empty()) {
    return absl::FailedPreconditionError(
        "keyed state needs the TaskManager's --data-dir and the JobManager's checkpoint directory");
  }
  StateBackendOptions options;
  options.local_dir = storage.local_state_dir;
  options.checkpoint_dir = storage.checkpoint_dir;
  options.max_parallelism = spec_.max_parallelism;
  const std::vector<std::string_view> handles = EntriesOf(restore, kKeyedStateName);
  if (handles.size() > 1) {
    // The JobManager refuses such a restore at submit; this guards the task all the same.
    return absl::FailedPreconditionError(
        "keyed state of several subtasks cannot be merged into one: rescaling keyed state is "
        "not supported yet");
  }
  auto backend = KeyedStateBackend::Open(
      std::move(options), handles.empty() ? std::string_view() : handles[0], storage.restore_dir);
  if (!backend.ok()) return backend.status();
  keyed_state_ = *std::move(backend);
  return absl::OkStatus();
}

void Task::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Task::Join() {
  if (thread_.joinable()) thread_.join();
}

proto::TaskStatus Task::Status() const {
  proto::TaskStatus status;
  *status.mutable_task() = id_;
  {
    absl::MutexLock lock(&mu_);
    status.set_state(state_);
    if (state_ == proto::TASK_FAILED) *status.mutable_failure() = failure_;
  }
  for (const auto& c : counters_) {
    proto::OperatorMetrics* m = status.add_operators();
    m->set_name(c->name());
    m->set_records_in(c->records_in());
    m->set_records_out(c->records_out());
    m->set_bytes_in(c->bytes_in());
    m->set_bytes_out(c->bytes_out());
    m->set_records_dead_letter(c->dead_letter());
  }
  return status;
}

bool Task::IsTerminal() const {
  absl::MutexLock lock(&mu_);
  return state_ == proto::TASK_FINISHED || state_ == proto::TASK_CANCELED ||
         state_ == proto::TASK_FAILED;
}

void Task::SetState(proto::TaskState state, const absl::Status& failure) {
  {
    absl::MutexLock lock(&mu_);
    state_ = state;
    if (!failure.ok()) failure_ = ToTaskFailure(failure);
  }
  if (on_state_) on_state_(Status());
}

void Task::Run() {
  auto log = Logger("task");
  const std::string& name = contexts_.empty() ? spec_.name : contexts_[0].task_name;
  absl::Status status;
  size_t opened = 0;
  for (; opened < chain_.size() && status.ok(); ++opened) {
    status = chain_[opened]->Open(contexts_[opened]);
  }
  if (status.ok()) {
    log->info("{} running {} operators", name, chain_.size());
    SetState(proto::TASK_RUNNING);
    status = RunChain();
  }
  const bool finished = status.code() == absl::StatusCode::kOutOfRange;
  if (finished) status = absl::OkStatus();
  if (status.ok()) {
    // At-least-once: nothing is reported done before every record is acknowledged.
    const absl::Time deadline = absl::Now() + kFlushTimeout;
    for (size_t i = 0; i < opened && status.ok(); ++i) status = chain_[i]->Flush(deadline);
  }
  for (size_t i = 0; i < opened; ++i) {
    if (auto s = chain_[i]->Close(); !s.ok() && status.ok()) status = s;
  }
  if (!status.ok()) {
    log->error("{} failed: {}", name, status.message());
    SetState(proto::TASK_FAILED, status);
  } else if (finished) {
    log->info("{} finished", name);
    SetState(proto::TASK_FINISHED);
  } else {
    log->info("{} canceled", name);
    SetState(proto::TASK_CANCELED);
  }
}

absl::Status Task::RunChain() {
  auto* source = static_cast<SourceOperator*>(chain_[0].get());
  std::vector<RecordBatch> batches(chain_.size());
  const size_t last = chain_.size() - 1;
  while (!cancelled_.load(std::memory_order_relaxed)) {
    batches[0].Clear();
    if (auto s = source->PollBatch(batches[0], kPollWait); !s.ok()) return s;
    const RecordBatch* current = &batches[0];
    counters_[0]->AddOut(current->size(), current->bytes());
    for (size_t i = 1; i <= last && !current->empty(); ++i) {
      RecordBatch& next = batches[i];
      next.Clear();
      counters_[i]->AddIn(current->size(), current->bytes());
      if (auto s = chain_[i]->ProcessBatch(*current, next); !s.ok()) return s;
      // A fused operator did the work of the next ones too: count what passed between them.
      const size_t fused = chain_[i]->FusedSuccessors();
      for (size_t k = 0; k < fused; ++k) {
        const RecordCount passed = chain_[i]->PassedOn(k);
        counters_[i + k]->AddOut(passed.records, passed.bytes);
        counters_[i + k + 1]->AddIn(passed.records, passed.bytes);
      }
      i += fused;
      if (i < last) counters_[i]->AddOut(next.size(), next.bytes());
      current = &next;
    }
    for (auto& op : chain_) {
      if (auto s = op->Tick(); !s.ok()) return s;
    }
    if (auto s = ServeCheckpoints(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Task::ServeCheckpoints() {
  const int64_t requested = checkpoint_requested_.load();
  if (requested > checkpoint_taken_) {
    checkpoint_taken_ = requested;
    const absl::Time started = absl::Now();
    proto::CheckpointAck ack;
    *ack.mutable_task() = id_;
    ack.set_checkpoint_id(requested);
    // Between two batches nothing is in flight inside the chain: flushing the sink and
    // snapshotting every operator in order gives a consistent cut (the barrier of one thread).
    absl::Status status;
    const absl::Time deadline = started + kFlushTimeout;
    for (size_t i = 0; i < chain_.size() && status.ok(); ++i) {
      status = chain_[i]->Flush(deadline);
      std::string state;
      if (status.ok()) status = chain_[i]->SnapshotState(requested, &state);
      if (status.ok() && !state.empty()) {
        (*ack.mutable_state())[SubtaskStateKey(spec_.pipeline[i].name, id_.subtask())] = state;
      }
    }
    if (status.ok() && keyed_state_) {
      auto snapshot = keyed_state_->Snapshot(requested);
      status = snapshot.status();
      if (status.ok()) {
        (*ack.mutable_state())[SubtaskStateKey(kKeyedStateName, id_.subtask())] = snapshot->handle;
        for (auto& file : snapshot->files) ack.add_state_files(std::move(file));
      }
    }
    if (!status.ok()) {
      ack.clear_state();
      ack.set_decline_reason(std::string(status.message()));
      Logger("task")->warn("{} ckpt={} declined: {}", contexts_[0].task_name, requested,
                           status.message());
    }
    if (on_checkpoint_) on_checkpoint_(ack);
    if (status.ok() && stop_after_checkpoint_.load() == requested) {
      // Stop with savepoint: nothing after the snapshot is processed; the task finishes.
      Logger("task")->info("{} ckpt={} stopping after savepoint", contexts_[0].task_name,
                           requested);
      return absl::OutOfRangeError("stopped with a savepoint");
    }
  }
  const int64_t completed = checkpoint_completed_.load();
  if (completed > checkpoint_notified_) {
    checkpoint_notified_ = completed;
    for (auto& op : chain_) {
      if (auto s = op->NotifyCheckpointComplete(completed); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace ec
