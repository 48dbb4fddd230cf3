// The chain runner: batches flow source → transforms → sink in one thread.
#include "taskmanager/task.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"
#include "operators/registry.h"
#include "runtime/job_graph.h"  // PartitioningName
#include "runtime/logging.h"
#include "runtime/network/partitioner.h"
#include "runtime/state/subtask_state.h"
#include "runtime/status.h"
#include "runtime/util/fault_point.h"

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

// The channel from subtask `producer_subtask` of vertex `producer_vertex` to subtask
// `consumer_subtask` of the next vertex, in `task`'s job and attempt.
ChannelId ExchangeChannel(const proto::TaskId& task, int producer_vertex, int producer_subtask,
                          int consumer_subtask) {
  ChannelId c;
  c.job_id = task.job_id();
  c.attempt = task.attempt();
  c.producer_vertex = producer_vertex;
  c.producer_subtask = producer_subtask;
  c.consumer_vertex = producer_vertex + 1;
  c.consumer_subtask = consumer_subtask;
  return c;
}

std::string ChannelName(const ChannelId& c) {
  return absl::StrCat(c.producer_vertex, ".", c.producer_subtask, "->", c.consumer_vertex, ".",
                      c.consumer_subtask);
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
    const std::map<std::string, std::string>& restore, const TaskStorage& storage,
    TaskExchanges exchanges) {
  std::unique_ptr<Task> task(new Task(std::move(id), std::move(spec), std::move(on_state)));
  task->on_checkpoint_ = std::move(on_checkpoint);
  if (exchanges.chain.empty()) {
    for (size_t i = 0; i < task->spec_.pipeline.size(); ++i)
      exchanges.chain.push_back(static_cast<int>(i));
  }
  task->exchanges_ = std::move(exchanges);
  const TaskExchanges& io = task->exchanges_;
  auto chain = CreateChain(task->spec_, {.operators = io.chain});
  if (!chain.ok()) return chain.status();
  task->chain_ = *std::move(chain);
  const bool starts_with_source = dynamic_cast<SourceOperator*>(task->chain_[0].get()) != nullptr;
  if (starts_with_source != (io.input_parallelism == 0)) {
    return absl::InvalidArgumentError(absl::StrCat("task of vertex ", task->id_.vertex(),
                                                   ": a chain reads either a source or an input"));
  }
  if ((io.input_parallelism > 0 || io.output) && (!io.registry || !io.client)) {
    return absl::FailedPreconditionError("a task with a data exchange needs the data plane");
  }
  if (io.input_parallelism > 0) {
    std::vector<ChannelId> channels;
    const proto::TaskId& id = task->id_;
    for (int p = 0; p < io.input_parallelism; ++p) {
      channels.push_back(ExchangeChannel(id, id.vertex() - 1, p, id.subtask()));
    }
    auto gate = InputGate::Create(*io.registry, std::move(channels));
    if (!gate.ok()) return gate.status();
    task->gate_ = *std::move(gate);
  }
  if (auto s = task->OpenKeyedState(restore, storage); !s.ok()) return s;
  for (size_t i = 0; i < task->chain_.size(); ++i) {
    for (std::string_view state : EntriesOf(restore, task->OpSpec(i).name)) {
      if (auto s = task->chain_[i]->RestoreState(state); !s.ok()) return s;
    }
  }
  std::string chain_name;
  for (size_t i = 0; i < task->chain_.size(); ++i) {
    absl::StrAppend(&chain_name, i ? "->" : "", task->OpSpec(i).name);
  }
  const std::string task_name = absl::StrCat("job=", task->id_.job_id(), " task=", chain_name, "#",
                                             task->id_.subtask(), " attempt=", task->id_.attempt());
  task->contexts_.resize(task->chain_.size());
  for (size_t i = 0; i < task->chain_.size(); ++i) {
    task->counters_.push_back(std::make_unique<OperatorCounters>(task->OpSpec(i).name));
    OperatorContext& ctx = task->contexts_[i];
    ctx.job = &task->spec_;
    ctx.spec = &task->OpSpec(i);
    ctx.job_id = task->id_.job_id();
    ctx.subtask = task->id_.subtask();
    ctx.parallelism = std::max(storage.parallelism, 1);
    ctx.completed_checkpoint = &task->checkpoint_completed_;
    ctx.task_name = task_name;
    ctx.counters = task->counters_[i].get();
    ctx.cancelled = &task->cancelled_;
    ctx.keyed_state = task->keyed_state_.get();
  }
  task->batches_.resize(task->chain_.size());
  task->time_batches_.resize(task->chain_.size());
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
  if (storage.parallelism > 0) {
    options.key_groups = KeyGroupRangeOf(id_.subtask(), storage.parallelism, spec_.max_parallelism);
  }
  // After a rescale, every old subtask's snapshot whose key groups overlap ours.
  auto backend = KeyedStateBackend::Open(
      std::move(options), EntriesOf(restore, KeyedStateName(OpSpec(0).name)), storage.restore_dir);
  if (!backend.ok()) return backend.status();
  keyed_state_ = *std::move(backend);
  return absl::OkStatus();
}

void Task::Start() {
  thread_ = std::thread([this] {
    // "ec-task 1.0" (vertex.subtask) in top, perf and gdb, instead of the gRPC thread's name it
    // would inherit; Linux keeps 15 characters.
    const std::string name = absl::StrCat("ec-task ", id_.vertex(), ".", id_.subtask());
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    Run();
  });
}

void Task::Join() {
  if (thread_.joinable()) thread_.join();
}

TaskMetricsSnapshot Task::MetricsSnapshot() const {
  TaskMetricsSnapshot snapshot;
  snapshot.status = Status();
  snapshot.job_name = spec_.name;
  for (const auto& c : counters_) snapshot.operators.push_back({c->watermark(), c->Gauges()});
  return snapshot;
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
    if (c->watermark() != kNoWatermark) m->set_watermark(c->watermark());
  }
  const int64_t since = running_since_ns_.load();
  if (since > 0) {
    status.set_running_ms((absl::GetCurrentTimeNanos() - since) / 1000000);
    status.set_idle_ms(idle_ns_.load() / 1000000);
    absl::MutexLock lock(&writer_mu_);
    if (writer_) {
      // The writer's channels wait in turn, never at once: their waits add up.
      int64_t ns = 0;
      for (int c = 0; c < writer_->num_channels(); ++c) {
        const OutputChannel& channel = writer_->channel(c);
        const ChannelCounters& counters = channel.counters();
        ns += counters.backpressure_ns();
        proto::ChannelMetrics* m = status.add_outputs();
        m->set_channel(ChannelName(channel.id()));
        m->set_records(counters.records());
        m->set_bytes(counters.bytes());
        m->set_backpressured_ms(counters.backpressure_ns() / 1000000);
      }
      status.set_backpressured_ms(ns / 1000000);
    }
    if (gate_) {
      for (int c = 0; c < gate_->num_channels(); ++c) {
        const ChannelCounters& counters = gate_->counters(c);
        proto::ChannelMetrics* m = status.add_inputs();
        m->set_channel(ChannelName(ExchangeChannel(id_, id_.vertex() - 1, c, id_.subtask())));
        m->set_records(counters.records());
        m->set_bytes(counters.bytes());
      }
    }
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

void Task::Cancel() {
  cancelled_.store(true);
  absl::MutexLock lock(&writer_mu_);
  if (writer_) writer_->Cancel();
}

absl::Status Task::OpenOutput() {
  if (!exchanges_.output) return absl::OkStatus();
  const proto::ExchangeOutput& out = *exchanges_.output;
  const int consumers = out.consumer_addresses_size();
  auto partitioner =
      MakePartitioner(out.partitioning(), consumers, id_.subtask(), spec_.max_parallelism,
                      std::vector<std::string>(out.key_fields().begin(), out.key_fields().end()));
  if (!partitioner.ok()) return partitioner.status();
  std::vector<int> targets;  // consumer subtasks, one output channel each
  if (out.partitioning() == proto::PARTITIONING_FORWARD) {
    if (id_.subtask() >= consumers) {
      return absl::InvalidArgumentError(absl::StrCat("forward output of subtask ", id_.subtask(),
                                                     " to ", consumers, " consumers"));
    }
    targets.push_back(id_.subtask());
  } else {
    for (int c = 0; c < consumers; ++c) targets.push_back(c);
  }
  std::vector<std::unique_ptr<OutputChannel>> channels;
  for (int c : targets) {
    auto opened = exchanges_.client->Open(out.consumer_addresses(c),
                                          ExchangeChannel(id_, id_.vertex(), id_.subtask(), c));
    if (!opened.ok()) return opened.status();
    channels.push_back(*std::move(opened));
    if (cancelled_.load()) return absl::OkStatus();
  }
  auto writer = std::make_unique<RecordWriter>(std::move(channels), *std::move(partitioner));
  absl::MutexLock lock(&writer_mu_);
  writer_ = std::move(writer);
  output_ = writer_.get();
  if (cancelled_.load()) writer_->Cancel();
  return absl::OkStatus();
}

void Task::Run() {
  auto log = Logger("task");
  const std::string& name = contexts_.empty() ? spec_.name : contexts_[0].task_name;
  absl::Status status = OpenOutput();
  size_t opened = 0;
  for (; opened < chain_.size() && status.ok(); ++opened) {
    status = chain_[opened]->Open(contexts_[opened]);
  }
  if (status.ok()) {
    log->info("{} running {} operators{}{}", name, chain_.size(),
              gate_ ? absl::StrCat(", reading ", gate_->num_channels(), " channels") : "",
              output_ ? absl::StrCat(", writing ", output_->num_channels(), " channels (",
                                     PartitioningName(exchanges_.output->partitioning()), ")")
                      : "");
    running_since_ns_.store(absl::GetCurrentTimeNanos());
    SetState(proto::TASK_RUNNING);
    status = RunChain();
  }
  const bool finished = status.code() == absl::StatusCode::kOutOfRange;
  if (finished) status = absl::OkStatus();
  if (status.ok()) {
    // At-least-once: nothing is reported done before every record is acknowledged.
    const absl::Time deadline = absl::Now() + kFlushTimeout;
    for (size_t i = 0; i < opened; ++i) contexts_[i].finishing = finished;
    for (size_t i = 0; i < opened && status.ok(); ++i) status = chain_[i]->Flush(deadline);
  }
  // The consumers finish after what came before the end of stream; without it (cancelled,
  // failed) dropping the channels tells them their input is incomplete.
  if (status.ok() && finished && output_) status = output_->EndOfStream();
  for (size_t i = 0; i < opened; ++i) {
    if (auto s = chain_[i]->Close(); !s.ok() && status.ok()) status = s;
  }
  {
    absl::MutexLock lock(&writer_mu_);
    output_ = nullptr;
    writer_.reset();
  }
  {
    absl::MutexLock lock(&writer_mu_);
    gate_.reset();
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

absl::Status Task::ProcessFrom(size_t first, const RecordBatch& in) {
  const size_t last = chain_.size() - 1;
  const RecordBatch* current = &in;
  for (size_t i = first; i <= last && !current->empty(); ++i) {
    RecordBatch& next = batches_[i];
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
    if (i < last || output_) counters_[i]->AddOut(next.size(), next.bytes());
    current = &next;
  }
  if (output_ && !current->empty()) return Emit(*current);
  return absl::OkStatus();
}

absl::Status Task::Emit(const RecordBatch& batch) {
  // A batch makes the channels active again at the consumers' gates (see WatermarkValve).
  sent_.idle = false;
  return output_->Emit(batch);
}

absl::Status Task::AdvanceTime(const WatermarkStatus& input) {
  WatermarkStatus status = input;
  for (size_t i = 0; i < chain_.size(); ++i) {
    RecordBatch& emitted = time_batches_[i];
    emitted.Clear();
    WatermarkStatus next;
    if (auto s = chain_[i]->AdvanceTime(status, emitted, &next); !s.ok()) return s;
    if (next.watermark != counters_[i]->watermark()) counters_[i]->SetWatermark(next.watermark);
    if (!emitted.empty()) {
      counters_[i]->AddOut(emitted.size(), emitted.bytes());
      if (i + 1 < chain_.size()) {
        if (auto s = ProcessFrom(i + 1, emitted); !s.ok()) return s;
      } else if (output_) {
        if (auto s = Emit(emitted); !s.ok()) return s;
      }
    }
    status = next;
  }
  if (!output_ || status == sent_) return absl::OkStatus();
  if (status.idle && !sent_.idle) {
    if (auto s = output_->BroadcastIdle(); !s.ok()) return s;
    sent_.idle = true;
  }
  if (!status.idle && status.watermark > sent_.watermark) {
    if (auto s = output_->BroadcastWatermark(status.watermark); !s.ok()) return s;
    sent_ = status;
  }
  return absl::OkStatus();
}

absl::Status Task::RunChain() {
  auto* source = gate_ ? nullptr : static_cast<SourceOperator*>(chain_[0].get());
  RecordBatch& head = batches_[0];
  while (!cancelled_.load(std::memory_order_relaxed)) {
    // Idle is the time spent waiting for input: inside the source's or the gate's poll.
    const int64_t poll_started = absl::GetCurrentTimeNanos();
    if (source) {
      head.Clear();
      absl::Status polled = source->PollBatch(head, kPollWait);
      idle_ns_.fetch_add(absl::GetCurrentTimeNanos() - poll_started);
      if (!polled.ok()) return polled;
      counters_[0]->AddOut(head.size(), head.bytes());
      if (!head.empty()) {
        if (auto s = ProcessFrom(1, head); !s.ok()) return s;
      }
    } else {
      RecordBatch& in = gate_batch_;  // the gate swaps its batch in
      auto event = gate_->Poll(in, kPollWait);
      idle_ns_.fetch_add(absl::GetCurrentTimeNanos() - poll_started);
      if (!event.ok()) return event.status();
      switch (event->kind) {
        case GateEvent::Kind::kData:
          if (auto s = ProcessFrom(0, in); !s.ok()) return s;
          break;
        case GateEvent::Kind::kBarrier: {
          auto taken = TakeCheckpoint(event->value);
          if (!taken.ok()) return taken.status();
          break;
        }
        case GateEvent::Kind::kCheckpointAborted:
          Decline(event->value, absl::AbortedError("a newer barrier came before this one aligned"));
          break;
        case GateEvent::Kind::kEndOfInput:
          return absl::OutOfRangeError("every input ended");
        case GateEvent::Kind::kWatermark:
        case GateEvent::Kind::kNone:
          break;
      }
    }
    const WatermarkStatus input =
        gate_ ? WatermarkStatus{gate_->watermark(), gate_->idle()} : WatermarkStatus{};
    if (auto s = AdvanceTime(input); !s.ok()) return s;
    for (auto& op : chain_) {
      if (auto s = op->Tick(); !s.ok()) return s;
    }
    if (auto s = ServeCheckpoints(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void Task::Decline(int64_t id, const absl::Status& reason) {
  Logger("task")->warn("{} ckpt={} declined: {}", contexts_[0].task_name, id, reason.message());
  proto::CheckpointAck ack;
  *ack.mutable_task() = id_;
  ack.set_checkpoint_id(id);
  ack.set_decline_reason(std::string(reason.message()));
  if (on_checkpoint_) on_checkpoint_(ack);
}

absl::StatusOr<bool> Task::TakeCheckpoint(int64_t id) {
  // The barrier goes on first: downstream can align while this task snapshots.
  if (output_) {
    if (auto s = output_->BroadcastBarrier(id); !s.ok()) return s;
  }
  proto::CheckpointAck ack;
  *ack.mutable_task() = id_;
  ack.set_checkpoint_id(id);
  // Between two batches nothing is in flight inside the chain: flushing the sink and
  // snapshotting every operator in order gives a consistent cut.
  absl::Status status;
  const absl::Time deadline = absl::Now() + kFlushTimeout;
  for (size_t i = 0; i < chain_.size() && status.ok(); ++i) {
    status = chain_[i]->Flush(deadline);
    std::string state;
    if (status.ok()) status = chain_[i]->SnapshotState(id, &state);
    if (status.ok() && !state.empty()) {
      (*ack.mutable_state())[SubtaskStateKey(OpSpec(i).name, id_.subtask())] = state;
    }
  }
  if (status.ok() && keyed_state_) {
    auto snapshot = keyed_state_->Snapshot(id);
    status = snapshot.status();
    if (status.ok()) {
      (*ack.mutable_state())[SubtaskStateKey(KeyedStateName(OpSpec(0).name), id_.subtask())] =
          snapshot->handle;
      for (auto& file : snapshot->files) ack.add_state_files(std::move(file));
    }
  }
  if (!status.ok()) {
    Decline(id, status);
    return false;
  }
  ReachFaultPoint("after-snapshot-before-ack");
  if (on_checkpoint_) on_checkpoint_(ack);
  return true;
}

absl::Status Task::ServeCheckpoints() {
  const int64_t requested = checkpoint_requested_.load();
  if (requested > checkpoint_taken_) {
    checkpoint_taken_ = requested;
    auto taken = TakeCheckpoint(requested);
    if (!taken.ok()) return taken.status();
    if (*taken && stop_after_checkpoint_.load() == requested) {
      // Stop with savepoint: nothing after the snapshot is processed; the task finishes (and
      // its end of stream finishes the tasks downstream, after the barrier).
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
