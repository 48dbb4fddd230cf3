// Job scheduling, lifecycle and TaskManager liveness.
#include "jobmanager/dispatcher.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "jobmanager/job_state_machine.h"
#include "jobmanager/state_assignment.h"
#include "operators/registry.h"
#include "runtime/logging.h"
#include "runtime/state/subtask_state.h"

namespace ec {
namespace {

std::string NewJobId() {
  static std::mt19937_64 rng{std::random_device{}()};
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%016x%016x", rng(), rng());
}

bool IsTerminalTask(proto::TaskState state) {
  return state == proto::TASK_FINISHED || state == proto::TASK_CANCELED ||
         state == proto::TASK_FAILED;
}

std::string DescribeFailure(const proto::TaskFailure& failure) {
  const char* domain = failure.domain() == proto::USER       ? "user"
                       : failure.domain() == proto::EXTERNAL ? "external"
                                                             : "internal";
  return absl::StrCat(failure.message(), " [", domain, " error, ",
                      failure.retryable() ? "retryable" : "not retryable", "]");
}

}  // namespace

Dispatcher::Dispatcher(Options options, GatewayFactory gateways)
    : options_(options),
      gateways_(std::move(gateways)),
      checkpoints_(options_.checkpoint_dir, options_.checkpoints_retained),
      job_store_(options_.jobs_dir) {
  if (options_.epoch == 0) options_.epoch = absl::ToUnixMillis(absl::Now());
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  Recover();
  timer_ = std::thread([this] { TimerLoop(); });
  worker_ = std::thread([this] { WorkerLoop(); });
}

void Dispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (timer_.joinable()) timer_.join();
  if (worker_.joinable()) worker_.join();
}

void Dispatcher::Recover() {
  absl::MutexLock lock(&mu_);
  for (const StoredJob& stored : job_store_.LoadAll()) {
    auto spec = ParseJobSpec(stored.spec_json);
    if (!spec.ok()) {
      Logger("jobmanager")
          ->warn("job={} cannot be recovered: {}", stored.id, spec.status().message());
      continue;
    }
    auto graph = BuildJobGraph(*spec, TraitsOf);
    if (!graph.ok()) {
      Logger("jobmanager")
          ->warn("job={} cannot be recovered: {}", stored.id, graph.status().message());
      continue;
    }
    Job job;
    job.id = stored.id;
    job.spec = *std::move(spec);
    job.graph = *std::move(graph);
    job.spec_json = stored.spec_json;
    job.failure = stored.failure;
    job.attempt = stored.attempt;
    job.restarts = stored.restarts;
    proto::JobState state = proto::CREATED;
    proto::JobState_Parse(stored.state, &state);
    job.submitted = absl::FromUnixMillis(stored.submitted_ms);
    if (IsTerminal(state)) {
      job.state = state;
      job.ended = job.submitted;
      jobs_.emplace(job.id, std::move(job));
      continue;
    }
    job.state = proto::CREATED;
    job.submitted = absl::Now();  // the slot timeout counts from the recovery
    if (stored.latest_checkpoint_id > 0) {
      auto state_bytes = CheckpointStore::Read(stored.latest_checkpoint_path);
      if (state_bytes.ok()) {
        job.latest_state = *std::move(state_bytes);
        job.latest_checkpoint.set_id(stored.latest_checkpoint_id);
        job.latest_checkpoint.set_path(stored.latest_checkpoint_path);
        job.next_checkpoint_id = stored.latest_checkpoint_id + 1;
      } else {
        Logger("jobmanager")
            ->error("job={} checkpoint {} unreadable ({}); starting without state", job.id,
                    stored.latest_checkpoint_path, state_bytes.status().message());
      }
    }
    Logger("jobmanager")
        ->info("job={} recovered ({} before the restart); restoring from ckpt={}", job.id,
               stored.state, job.latest_checkpoint.id());
    jobs_.emplace(job.id, std::move(job));
  }
}

void Dispatcher::Persist(const Job& job) {
  if (!job_store_.enabled()) return;
  StoredJob stored;
  stored.id = job.id;
  stored.spec_json = job.spec_json;
  stored.state = JobStateName(job.state);
  stored.failure = job.failure;
  stored.submitted_ms = absl::ToUnixMillis(job.submitted);
  stored.attempt = job.attempt;
  stored.restarts = job.restarts;
  stored.latest_checkpoint_id = job.latest_checkpoint.id();
  stored.latest_checkpoint_path = job.latest_checkpoint.path();
  if (auto s = job_store_.Save(stored); !s.ok()) {
    Logger("jobmanager")->error("job={} not persisted: {}", job.id, s.message());
  }
}

void Dispatcher::Enqueue(std::function<void()> call) { calls_.push_back(std::move(call)); }

void Dispatcher::WorkerLoop() {
  while (true) {
    std::function<void()> call;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !calls_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (calls_.empty()) return;
      call = std::move(calls_.front());
      calls_.pop_front();
    }
    call();
  }
}

void Dispatcher::TimerLoop() {
  while (true) {
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Milliseconds(100))) return;
    const absl::Time now = absl::Now();
    std::vector<std::string> lost;
    for (const auto& [id, tm] : taskmanagers_) {
      if (now - tm.last_heartbeat > options_.heartbeat_timeout) lost.push_back(id);
    }
    for (const auto& id : lost) {
      LoseTaskManager(id,
                      absl::StrCat("no heartbeat for ",
                                   absl::ToInt64Milliseconds(options_.heartbeat_timeout), "ms"));
    }
    for (auto& [id, job] : jobs_) {
      if (job.state == proto::CANCELLING && now - job.cancel_started > options_.cancel_timeout) {
        Logger("jobmanager")
            ->warn("job={} tasks did not confirm cancellation within {}s", id,
                   absl::ToInt64Seconds(options_.cancel_timeout));
        for (auto& e : job.executions) ReleaseSlot(e);
        Transition(job, proto::CANCELED);
      }
    }
    RestartDueJobs();
    ScheduleJobs();
    if (options_.reactive) GrowReactiveJobs();
    TriggerCheckpoints();
  }
}

absl::Status Dispatcher::SetParallelism(Job& job, int parallelism) {
  JobSpec spec = job.spec;
  spec.parallelism = parallelism;
  auto graph = BuildJobGraph(spec, TraitsOf);
  if (!graph.ok()) return graph.status();
  job.spec = std::move(spec);
  job.graph = *std::move(graph);
  job.spec_json = job.spec.ToJson().dump();
  Persist(job);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Dispatcher::StartRescale(Job& job, int parallelism) {
  if (parallelism < 1 || parallelism > job.spec.max_parallelism) {
    return absl::InvalidArgumentError(absl::StrCat("parallelism: expected 1 to max-parallelism (",
                                                   job.spec.max_parallelism, "), got ",
                                                   parallelism));
  }
  if (job.state != proto::RUNNING) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job.id, " is ", JobStateName(job.state), "; rescaling needs RUNNING"));
  }
  if (job.rescale_to || job.rescaling) {
    return absl::FailedPreconditionError(absl::StrCat("job ", job.id, " is already rescaling"));
  }
  if (job.pending_checkpoint) return absl::UnavailableError("a checkpoint is in flight");
  // Checked now, so that the stop below is never for a graph that cannot be built.
  JobSpec probe = job.spec;
  probe.parallelism = parallelism;
  if (auto graph = BuildJobGraph(probe, TraitsOf); !graph.ok()) return graph.status();
  Logger("jobmanager")
      ->info("job={} rescaling from parallelism {} to {}", job.id, job.spec.parallelism,
             parallelism);
  job.rescale_to = parallelism;
  job.rescale_checkpoint = job.next_checkpoint_id;
  // Like stop-with-savepoint: the sources stop after the checkpoint, everything downstream
  // finishes after its barrier, so nothing after the checkpoint is processed twice.
  StartCheckpoint(job, "", /*stop=*/true);
  return job.rescale_checkpoint;
}

absl::Status Dispatcher::RescaleJob(const std::string& job_id, int parallelism) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job with id ", job_id));
  // One checkpoint at a time: wait for a periodic one in flight to end.
  auto idle = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return it->second.state != proto::RUNNING || !it->second.pending_checkpoint;
  };
  mu_.AwaitWithTimeout(absl::Condition(&idle), options_.checkpoint_timeout);
  auto checkpoint = StartRescale(it->second, parallelism);
  if (!checkpoint.ok()) return checkpoint.status();
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return it->second.rescale_to == 0; };
  mu_.AwaitWithTimeout(absl::Condition(&done), options_.checkpoint_timeout + absl::Seconds(5));
  if (it->second.latest_checkpoint.id() < *checkpoint) {
    return absl::AbortedError(
        absl::StrCat("rescale of job ", job_id, ": its checkpoint did not complete"));
  }
  return absl::OkStatus();
}

void Dispatcher::GrowReactiveJobs() {
  for (auto& [id, job] : jobs_) {
    const int free = FreeSlots();
    if (free <= 0) return;
    if (job.state != proto::RUNNING || job.rescale_to || job.rescaling) continue;
    const int target = std::min(job.spec.max_parallelism, job.spec.parallelism + free);
    if (target <= job.spec.parallelism || job.pending_checkpoint) continue;
    if (auto s = StartRescale(job, target); !s.ok()) {
      Logger("jobmanager")
          ->warn("job={} reactive rescale to {}: {}", id, target, s.status().message());
    }
  }
}

void Dispatcher::TriggerCheckpoints() {
  const absl::Time now = absl::Now();
  for (auto& [id, job] : jobs_) {
    if (job.state != proto::RUNNING || !job.spec.checkpoint_interval) continue;
    if (job.pending_checkpoint) {
      if (now - job.pending_checkpoint->triggered > options_.checkpoint_timeout) {
        AbortCheckpoint(job, "expired before every task acknowledged");
      }
      continue;
    }
    if (now < job.next_checkpoint) continue;
    StartCheckpoint(job, "", false);
  }
}

void Dispatcher::StartCheckpoint(Job& job, std::string savepoint_dir, bool stop) {
  Job::PendingCheckpoint pending;
  pending.id = job.next_checkpoint_id++;
  pending.triggered = absl::Now();
  pending.savepoint_dir = std::move(savepoint_dir);
  pending.stop = stop;
  pending.data.parallelism = job.spec.parallelism;
  pending.data.max_parallelism = job.spec.max_parallelism;
  for (const auto& e : job.executions) {
    // Barriers start at the sources and flow through every channel; the other tasks snapshot
    // when theirs have aligned.
    if (e.id.vertex() != 0) continue;
    std::shared_ptr<TaskManagerGateway> gateway = GatewayOf(e.taskmanager_id);
    if (!gateway) continue;
    proto::TriggerCheckpointRequest request;
    request.set_jobmanager_epoch(options_.epoch);
    *request.mutable_task() = e.id;
    request.set_checkpoint_id(pending.id);
    request.set_stop_after(stop);
    Enqueue([gateway, request] {
      if (auto s = gateway->TriggerCheckpoint(request); !s.ok()) {
        Logger("jobmanager")
            ->warn("job={} ckpt={} trigger failed: {}", request.task().job_id(),
                   request.checkpoint_id(), s.message());
      }
    });
  }
  job.pending_checkpoint = std::move(pending);
}

absl::StatusOr<std::string> Dispatcher::TriggerSavepoint(const std::string& job_id,
                                                         const std::string& dir, bool stop) {
  absl::MutexLock lock(&mu_);
  auto running = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = jobs_.find(job_id);
    return it != jobs_.end() && it->second.state == proto::RUNNING;
  };
  if (jobs_.count(job_id) == 0) return absl::NotFoundError(absl::StrCat("no job with id ", job_id));
  if (!running()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", job_id, " is ", JobStateName(jobs_.at(job_id).state), "; savepoints need RUNNING"));
  }
  // One checkpoint at a time: wait for a periodic one in flight to end.
  auto idle = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !running() || !jobs_.at(job_id).pending_checkpoint;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&idle), options_.checkpoint_timeout) || !running()) {
    return absl::UnavailableError(
        absl::StrCat("job ", job_id, " did not become ready for a savepoint"));
  }
  Job& job = jobs_.at(job_id);
  const int64_t id = job.next_checkpoint_id;
  const std::string base = dir.empty() ? options_.checkpoint_dir + "/savepoints" : dir;
  StartCheckpoint(job, absl::StrCat(base, "/savepoint-", job_id.substr(0, 6), "-", id), stop);
  const std::string key = absl::StrCat(job_id, "/", id);
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return savepoint_results_.count(key) > 0; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done),
                            options_.checkpoint_timeout + absl::Seconds(5))) {
    return absl::DeadlineExceededError(absl::StrCat("savepoint of job ", job_id, " timed out"));
  }
  absl::StatusOr<std::string> result = savepoint_results_.at(key);
  savepoint_results_.erase(key);
  return result;
}

void Dispatcher::AbortCheckpoint(Job& job, const std::string& reason, bool checkpoint_failure) {
  if (!job.pending_checkpoint) return;
  Logger("jobmanager")
      ->warn("job={} ckpt={} aborted: {}", job.id, job.pending_checkpoint->id, reason);
  const bool savepoint = !job.pending_checkpoint->savepoint_dir.empty();
  if (savepoint) {
    savepoint_results_[absl::StrCat(job.id, "/", job.pending_checkpoint->id)] =
        absl::AbortedError(absl::StrCat("savepoint aborted: ", reason));
  }
  if (job.pending_checkpoint->id == job.rescale_checkpoint) job.rescale_to = 0;
  job.pending_checkpoint.reset();
  ++job.checkpoints_failed;
  if (job.spec.checkpoint_interval)
    job.next_checkpoint = absl::Now() + *job.spec.checkpoint_interval;
  if (!checkpoint_failure || savepoint) return;
  const std::optional<int>& tolerable = job.spec.tolerable_failed_checkpoints;
  if (tolerable && ++job.consecutive_failed_checkpoints > *tolerable) {
    job.consecutive_failed_checkpoints = 0;
    FailJob(
        job, /*retryable=*/true,
        absl::StrCat("more than ", *tolerable, " consecutive checkpoints failed; last: ", reason));
  }
}

void Dispatcher::AcknowledgeCheckpoint(const proto::CheckpointAck& ack) {
  absl::MutexLock lock(&mu_);
  if (ack.jobmanager_epoch() != options_.epoch) return;
  auto it = jobs_.find(ack.task().job_id());
  if (it == jobs_.end()) return;
  Job& job = it->second;
  if (!job.pending_checkpoint || job.pending_checkpoint->id != ack.checkpoint_id()) return;
  const int subtask = ack.task().subtask();
  if (!FindExecution(job, ack.task())) return;  // from an attempt that has been replaced
  if (!ack.decline_reason().empty()) {
    AbortCheckpoint(job, absl::StrCat("declined by subtask ", subtask, ": ", ack.decline_reason()));
    return;
  }
  Job::PendingCheckpoint& pending = *job.pending_checkpoint;
  for (const auto& [name, bytes] : ack.state()) {
    // Each subtask writes only its own entries; anything else would overwrite another's state.
    ParsedStateKey key;
    if (!ParseSubtaskStateKey(name, &key) || key.subtask != subtask) {
      AbortCheckpoint(job, absl::StrCat("subtask ", subtask, " acknowledged state '", name,
                                        "', not named <operator>#", subtask));
      return;
    }
    pending.data.state[name] = bytes;
  }
  // Every subtask's state files, side by side: a retained checkpoint keeps all of them.
  pending.data.files.insert(ack.state_files().begin(), ack.state_files().end());
  pending.acked.insert({ack.task().vertex(), subtask});
  if (pending.acked.size() >= job.executions.size()) CompleteCheckpoint(job);
}

void Dispatcher::CompleteCheckpoint(Job& job) {
  Job::PendingCheckpoint pending = *std::move(job.pending_checkpoint);
  job.pending_checkpoint.reset();
  auto stored = pending.savepoint_dir.empty()
                    ? checkpoints_.Write(job.id, pending.id, absl::ToUnixMillis(pending.triggered),
                                         pending.data)
                    : CheckpointStore::WriteTo(pending.savepoint_dir, job.id, pending.id,
                                               absl::ToUnixMillis(pending.triggered), pending.data,
                                               checkpoints_.JobDir(job.id));
  if (!stored.ok()) {
    job.pending_checkpoint = pending;
    AbortCheckpoint(job, std::string(stored.status().message()));
    return;
  }
  const absl::Time now = absl::Now();
  job.latest_checkpoint.set_id(pending.id);
  job.latest_checkpoint.set_trigger_time_ms(absl::ToUnixMillis(pending.triggered));
  job.latest_checkpoint.set_duration_ms(absl::ToInt64Milliseconds(now - pending.triggered));
  job.latest_checkpoint.set_size_bytes(stored->size_bytes);
  job.latest_checkpoint.set_path(stored->path);
  if (pending.savepoint_dir.empty()) job.consecutive_failed_checkpoints = 0;
  job.latest_state = std::move(pending.data);
  job.latest_state.base_dir =
      pending.savepoint_dir.empty() ? checkpoints_.JobDir(job.id) : stored->path;
  ++job.checkpoints_completed;
  if (pending.id == job.rescale_checkpoint && job.rescale_to) {
    // The tasks finish now; once all have, the job is redeployed at the new parallelism.
    if (auto s = SetParallelism(job, job.rescale_to); !s.ok()) {
      Logger("jobmanager")->error("job={} rescale failed: {}", job.id, s.message());
    }
    job.rescale_to = 0;
    job.rescaling = true;
  }
  Persist(job);
  if (job.spec.checkpoint_interval) job.next_checkpoint = now + *job.spec.checkpoint_interval;
  if (!pending.savepoint_dir.empty()) {
    savepoint_results_[absl::StrCat(job.id, "/", pending.id)] = stored->path;
    Logger("jobmanager")
        ->info("job={} savepoint {} written to {}", job.id, pending.id, stored->path);
  }
  Logger("jobmanager")
      ->debug("job={} ckpt={} completed in {}ms ({} bytes)", job.id, pending.id,
              job.latest_checkpoint.duration_ms(), stored->size_bytes);
  for (const auto& e : job.executions) {
    std::shared_ptr<TaskManagerGateway> gateway = GatewayOf(e.taskmanager_id);
    if (!gateway) continue;
    proto::CheckpointCompleteRequest request;
    request.set_jobmanager_epoch(options_.epoch);
    *request.mutable_task() = e.id;
    request.set_checkpoint_id(pending.id);
    Enqueue([gateway, request] { (void)gateway->NotifyCheckpointComplete(request); });
  }
}

absl::StatusOr<std::string> Dispatcher::SubmitJob(
    const std::string& job_json, const std::map<std::string, std::string>& parameters,
    const std::string& from_savepoint) {
  auto spec = ParseJobSpec(job_json, parameters);
  if (!spec.ok()) return spec.status();
  if (auto s = ValidateJob(*spec); !s.ok()) return s;
  CheckpointData restore;
  if (!from_savepoint.empty()) {
    auto state = CheckpointStore::Read(from_savepoint);
    if (!state.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--from-savepoint ", from_savepoint, ": ", state.status().message()));
    }
    restore = *std::move(state);
    if (auto s = CheckStateAssignable(restore, *spec); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--from-savepoint ", from_savepoint, ": ", s.message()));
    }
  }
  absl::MutexLock lock(&mu_);
  auto graph = BuildJobGraph(*spec, TraitsOf);
  if (!graph.ok()) return graph.status();
  Job job;
  job.latest_state = std::move(restore);
  job.id = NewJobId();
  job.spec = *std::move(spec);
  job.graph = *std::move(graph);
  job.spec_json = job.spec.ToJson().dump();
  job.submitted = absl::Now();
  std::vector<std::string> chains;
  for (const JobVertex& v : job.graph.vertices) {
    chains.push_back(absl::StrCat(v.id ? absl::StrCat("=", PartitioningName(v.input), "=> ") : "",
                                  "[", v.name, "] x", v.parallelism));
  }
  Logger("jobmanager")
      ->info("job={} submitted: '{}', {} operators in {} chain(s): {}", job.id, job.spec.name,
             job.spec.pipeline.size(), job.graph.vertices.size(), absl::StrJoin(chains, " "));
  const std::string id = job.id;
  Persist(job);
  jobs_.emplace(id, std::move(job));
  ScheduleJobs();
  return id;
}

absl::Status Dispatcher::CancelJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job with id ", job_id));
  Job& job = it->second;
  if (IsTerminal(job.state)) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job_id, " has already ended (", JobStateName(job.state), ")"));
  }
  if (job.state == proto::CANCELLING) return absl::OkStatus();
  Transition(job, proto::CANCELLING);
  job.cancel_started = absl::Now();
  CancelExecutions(job);
  MaybeCompleteJob(job);
  return absl::OkStatus();
}

void Dispatcher::CancelExecutions(Job& job) {
  for (auto& e : job.executions) {
    if (IsTerminalTask(e.state)) continue;
    std::shared_ptr<TaskManagerGateway> gateway = GatewayOf(e.taskmanager_id);
    if (!gateway) {
      e.state = proto::TASK_CANCELED;
      continue;
    }
    proto::CancelTaskRequest request;
    request.set_jobmanager_epoch(options_.epoch);
    *request.mutable_task() = e.id;
    Enqueue([gateway, request] {
      if (auto s = gateway->CancelTask(request); !s.ok()) {
        Logger("jobmanager")
            ->warn("job={} cancel of subtask {} failed: {}", request.task().job_id(),
                   request.task().subtask(), s.message());
      }
    });
  }
}

void Dispatcher::ScheduleJobs() {
  const absl::Time now = absl::Now();
  for (auto& [id, job] : jobs_) {
    if (job.state != proto::CREATED || !job.executions.empty()) continue;
    if (TryDeploy(job)) continue;
    if (now - job.submitted > job.spec.slot_timeout) {
      const int needed = job.graph.max_vertex_parallelism();
      FailJob(job, /*retryable=*/false,
              absl::StrCat(
                  needed == 1 ? std::string("no free slot")
                              : absl::StrCat("not ", needed, " free slots (one a subtask)"),
                  " within slot-timeout ", absl::FormatDuration(job.spec.slot_timeout), " (",
                  taskmanagers_.size(), " TaskManagers registered, ", FreeSlots(), " slots free)"));
    }
  }
}

int Dispatcher::FreeSlots() const {
  int free = 0;
  for (const auto& [tm_id, tm] : taskmanagers_) free += tm.info.slots() - tm.used_slots;
  return free;
}

bool Dispatcher::TryDeploy(Job& job) {
  if (options_.reactive) {
    // As many subtasks as there are free slots, up to the max parallelism.
    const int target = std::min(job.spec.max_parallelism, FreeSlots());
    if (target < 1) return false;
    if (target != job.spec.parallelism) {
      if (auto s = SetParallelism(job, target); !s.ok()) {
        Logger("jobmanager")
            ->warn("job={} reactive parallelism {}: {}", job.id, target, s.message());
      }
    }
  }
  // All subtasks or none: a job missing a subtask makes no progress and takes checkpoints never.
  const int slots = job.graph.max_vertex_parallelism();
  if (FreeSlots() < slots) return false;
  ++job.attempt;
  job.rescaling = false;
  const int parallelism = job.spec.parallelism;
  const bool restore = !job.latest_state.state.empty();
  if (restore) {
    Logger("jobmanager")
        ->info("job={} restoring from ckpt={} (0: a savepoint given at submit){}", job.id,
               job.latest_checkpoint.id(),
               job.latest_state.parallelism == parallelism
                   ? ""
                   : absl::StrCat(
                         ", taken at parallelism ", job.latest_state.parallelism,
                         ": operator state is unioned, keyed state split by key-group ranges"));
  }
  // Slot k runs subtask k of every vertex (Flink's slot sharing); slots are spread out, like
  // Flink's cluster.evenly-spread-out-slots: each goes to the TaskManager with the most free
  // slots at that moment; among equals, to the one with the fewest of this job's slots so far.
  std::vector<TaskManagerEntry*> slot_tm;
  std::map<std::string, int> placed;
  for (int k = 0; k < slots; ++k) {
    TaskManagerEntry* best = nullptr;
    for (auto& [tm_id, tm] : taskmanagers_) {
      const int free = tm.info.slots() - tm.used_slots;
      if (free <= 0) continue;
      const int best_free = best ? best->info.slots() - best->used_slots : 0;
      if (!best || free > best_free ||
          (free == best_free && placed[tm_id] < placed[best->info.id()])) {
        best = &tm;
      }
    }
    placed[best->info.id()]++;
    best->used_slots++;
    slot_tm.push_back(best);
  }
  int widest = 0;  // the vertex whose executions hold the slots
  for (const JobVertex& v : job.graph.vertices) {
    if (v.parallelism > job.graph.vertices[widest].parallelism) widest = v.id;
  }
  job.executions.clear();
  std::vector<std::string> placement;
  for (const JobVertex& v : job.graph.vertices) {
    std::set<std::string> names;
    for (int op : v.operators) names.insert(job.spec.pipeline[op].name);
    const std::string keyed = KeyedStateName(job.spec.pipeline[v.operators[0]].name);
    const bool last = v.id + 1 == static_cast<int>(job.graph.vertices.size());
    for (int subtask = 0; subtask < v.parallelism; ++subtask) {
      TaskManagerEntry* tm = slot_tm[subtask];
      Execution e;
      e.id.set_job_id(job.id);
      e.id.set_vertex(v.id);
      e.id.set_subtask(subtask);
      e.id.set_attempt(job.attempt);
      e.taskmanager_id = tm->info.id();
      e.holds_slot = v.id == widest;
      proto::DeployTaskRequest request;
      request.set_jobmanager_epoch(options_.epoch);
      *request.mutable_task() = e.id;
      request.set_job_name(job.spec.name);
      request.set_job_spec_json(job.spec_json);
      for (int op : v.operators) request.add_chain(op);
      request.set_parallelism(v.parallelism);
      if (v.id > 0) request.set_input_parallelism(job.graph.vertices[v.id - 1].parallelism);
      if (!last) {
        const JobVertex& next = job.graph.vertices[v.id + 1];
        proto::ExchangeOutput* out = request.mutable_output();
        out->set_partitioning(ToProto(next.input));
        for (const auto& f : next.key_fields) out->add_key_fields(f);
        for (int c = 0; c < next.parallelism; ++c) {
          out->add_consumer_addresses(slot_tm[c]->info.data_address());
        }
      }
      request.set_checkpoint_dir(checkpoints_.JobDir(job.id));
      if (restore) {
        request.set_restore_checkpoint_id(job.latest_checkpoint.id());
        ParsedStateKey key;
        for (auto& [name, bytes] :
             AssignState(job.latest_state, parallelism, v.parallelism, subtask)) {
          // Only this chain's entries: its operators' and its keyed state.
          if (!ParseSubtaskStateKey(name, &key) || (!names.count(key.op) && key.op != keyed)) {
            continue;
          }
          (*request.mutable_restore_state())[name] = std::move(bytes);
        }
        request.set_restore_dir(job.latest_state.base_dir);
      }
      placement.push_back(absl::StrCat(v.id, ".", subtask, "->", tm->info.id()));
      std::shared_ptr<TaskManagerGateway> gateway = tm->gateway;
      const std::string tm_id = tm->info.id();
      Enqueue([this, gateway, request, tm_id] {
        if (auto s = gateway->DeployTask(request); !s.ok()) {
          OnDeployFailed(request.task(), tm_id, s);
        }
      });
      job.executions.push_back(std::move(e));
    }
  }
  Logger("jobmanager")
      ->info("job={} deploying attempt {}: {} task(s) in {} slot(s): {}", job.id, job.attempt,
             job.executions.size(), slots, absl::StrJoin(placement, ", "));
  return true;
}

std::string Dispatcher::TaskName(const Job& job, const proto::TaskId& task) {
  // A one-chain job's tasks are the job's subtasks; otherwise name the chain.
  const bool one = job.graph.vertices.size() <= 1 ||
                   task.vertex() >= static_cast<int>(job.graph.vertices.size());
  return absl::StrCat(one ? job.spec.name : job.graph.vertices[task.vertex()].name, "#",
                      task.subtask());
}

Dispatcher::Execution* Dispatcher::FindExecution(Job& job, const proto::TaskId& task) {
  for (auto& e : job.executions) {
    if (e.id.attempt() == task.attempt() && e.id.vertex() == task.vertex() &&
        e.id.subtask() == task.subtask()) {
      return &e;
    }
  }
  return nullptr;
}

void Dispatcher::OnDeployFailed(const proto::TaskId& task, const std::string& taskmanager_id,
                                const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(task.job_id());
  if (it == jobs_.end()) return;
  Job& job = it->second;
  // Only this task: the others were deployed and hold their slots until they are cancelled,
  // as the failover below does.
  Execution* e = FindExecution(job, task);
  if (e && !IsTerminalTask(e->state)) {
    e->state = proto::TASK_FAILED;
    ReleaseSlot(*e);
  }
  if (job.state == proto::CANCELLING) {
    MaybeCompleteJob(job);
  } else if (!IsTerminal(job.state)) {
    FailJob(job, /*retryable=*/true,
            absl::StrCat("deploying ", TaskName(job, task), " to TaskManager ", taskmanager_id,
                         " failed: ", status.message()));
  }
}

std::shared_ptr<TaskManagerGateway> Dispatcher::GatewayOf(const std::string& taskmanager_id) const {
  auto tm = taskmanagers_.find(taskmanager_id);
  return tm == taskmanagers_.end() ? nullptr : tm->second.gateway;
}

void Dispatcher::ReleaseSlot(Execution& e) {
  if (e.taskmanager_id.empty()) return;
  auto tm = taskmanagers_.find(e.taskmanager_id);
  if (e.holds_slot && tm != taskmanagers_.end() && tm->second.used_slots > 0) {
    tm->second.used_slots--;
  }
  e.taskmanager_id.clear();
}

void Dispatcher::Transition(Job& job, proto::JobState to, const std::string& reason) {
  if (job.state == to) return;
  if (!CanTransition(job.state, to)) {
    Logger("jobmanager")
        ->error("job={} illegal transition {} -> {} ignored", job.id, JobStateName(job.state),
                JobStateName(to));
    return;
  }
  Logger("jobmanager")
      ->info("job={} {} -> {}{}{}", job.id, JobStateName(job.state), JobStateName(to),
             reason.empty() ? "" : ": ", reason);
  job.state = to;
  if (IsTerminal(to)) job.ended = absl::Now();
  Persist(job);
  if (to == proto::RUNNING && job.spec.checkpoint_interval) {
    job.next_checkpoint = absl::Now() + *job.spec.checkpoint_interval;
  } else if (to != proto::RUNNING && job.pending_checkpoint) {
    AbortCheckpoint(job, absl::StrCat("job is ", JobStateName(to)), /*checkpoint_failure=*/false);
  }
}

void Dispatcher::FailJob(Job& job, bool retryable, const std::string& reason) {
  if (IsTerminal(job.state)) return;
  CancelExecutions(job);
  for (auto& e : job.executions) {
    if (taskmanagers_.count(e.taskmanager_id) == 0) ReleaseSlot(e);
  }
  if (job.state == proto::CANCELLING) {
    Transition(job, proto::CANCELED);
    return;
  }
  if (job.state == proto::RESTARTING) return;  // already restarting: one restart per failure
  const RestartSpec& restart = job.spec.restart;
  const absl::Time now = absl::Now();
  const bool failure_rate = restart.strategy == "failure-rate";
  if (failure_rate) {
    // Flink's failure-rate strategy: restart unless more than `attempts` failures happened
    // within the interval.
    job.failures.push_back(now);
    while (now - job.failures.front() > restart.failure_rate_interval) job.failures.pop_front();
  }
  const bool allowed = failure_rate ? static_cast<int>(job.failures.size()) <= restart.attempts
                                    : job.restarts < restart.attempts;
  if (retryable && restart.strategy != "none" && allowed) {
    absl::Duration delay = restart.delay;
    if (restart.strategy == "exponential-delay")
      delay = delay * (int64_t{1} << std::min(job.restarts, 20));
    ++job.restarts;
    job.restart_at = now + delay;
    job.last_failure = reason;
    const std::string budget =
        failure_rate
            ? absl::StrCat("failure ", job.failures.size(), " of at most ", restart.attempts,
                           " per ", absl::FormatDuration(restart.failure_rate_interval))
            : absl::StrCat("restart ", job.restarts, " of ", restart.attempts);
    Transition(job, proto::RESTARTING,
               absl::StrCat(reason, " (", budget, "; restarting in ",
                            absl::ToInt64Milliseconds(delay), "ms)"));
    return;
  }
  if (!retryable || restart.strategy == "none") {
    job.failure = reason;
  } else if (failure_rate) {
    job.failure = absl::StrCat(reason, " (more than ", restart.attempts, " failures within ",
                               absl::FormatDuration(restart.failure_rate_interval), ")");
  } else {
    job.failure = absl::StrCat(reason, " (no restart left after ", job.restarts, ")");
  }
  Transition(job, proto::FAILED, reason);
}

void Dispatcher::RestartDueJobs() {
  const absl::Time now = absl::Now();
  for (auto& [id, job] : jobs_) {
    if (job.state != proto::RESTARTING || now < job.restart_at) continue;
    bool settled = true;
    for (const auto& e : job.executions) settled &= IsTerminalTask(e.state);
    if (!settled) continue;  // wait until the old attempt's tasks have stopped
    job.executions.clear();
    job.submitted = now;  // the slot timeout counts from the restart
    Transition(job, proto::CREATED);
  }
}

void Dispatcher::MaybeCompleteJob(Job& job) {
  bool all_terminal = !job.executions.empty();
  bool all_finished = !job.executions.empty();
  bool all_running = !job.executions.empty();
  for (const auto& e : job.executions) {
    all_terminal &= IsTerminalTask(e.state);
    all_finished &= e.state == proto::TASK_FINISHED;
    all_running &= e.state == proto::TASK_RUNNING;
  }
  if (job.state == proto::CANCELLING && (all_terminal || job.executions.empty())) {
    Transition(job, proto::CANCELED);
  } else if (job.state == proto::CREATED && all_running) {
    Transition(job, proto::RUNNING);
  } else if (job.state == proto::RUNNING && all_finished && job.rescaling) {
    // Every task stopped after the rescale's checkpoint: redeploy at the new parallelism.
    job.restart_at = absl::Now();
    Transition(job, proto::RESTARTING,
               absl::StrCat("rescaling to parallelism ", job.spec.parallelism));
  } else if ((job.state == proto::RUNNING || job.state == proto::CREATED) && all_finished) {
    Transition(job, proto::RUNNING);
    Transition(job, proto::FINISHED);
  }
}

void Dispatcher::ApplyTaskStatus(const std::string& taskmanager_id,
                                 const proto::TaskStatus& status) {
  auto it = jobs_.find(status.task().job_id());
  Execution* execution = it == jobs_.end() ? nullptr : FindExecution(it->second, status.task());
  const bool zombie =
      !execution || (IsTerminal(it->second.state) && !IsTerminalTask(status.state()));
  if (zombie) {
    // A task this JobManager no longer wants (its job ended, or an older attempt): stop it.
    std::shared_ptr<TaskManagerGateway> gateway = GatewayOf(taskmanager_id);
    if (gateway && !IsTerminalTask(status.state())) {
      proto::CancelTaskRequest request;
      request.set_jobmanager_epoch(options_.epoch);
      *request.mutable_task() = status.task();
      Enqueue([gateway, request] { (void)gateway->CancelTask(request); });
    }
    if (!execution) return;
  }
  Job& job = it->second;
  execution->status = status;
  if (IsTerminalTask(execution->state)) return;  // late report of a task already settled
  execution->state = status.state();
  if (!IsTerminalTask(status.state())) {
    MaybeCompleteJob(job);
    return;
  }
  ReleaseSlot(*execution);
  if (status.state() == proto::TASK_CANCELED &&
      (job.state == proto::RUNNING || job.state == proto::CREATED)) {
    // Nobody asked for this: its TaskManager is shutting down (SIGTERM). Run it elsewhere.
    FailJob(job, /*retryable=*/true,
            absl::StrCat("task ", TaskName(job, status.task()), " was canceled by TaskManager ",
                         taskmanager_id, " (shutting down)"));
    return;
  }
  if (status.state() == proto::TASK_FAILED && job.state != proto::CANCELLING) {
    FailJob(job, status.failure().retryable(),
            absl::StrCat("task ", TaskName(job, status.task()),
                         " failed: ", DescribeFailure(status.failure())));
    return;
  }
  MaybeCompleteJob(job);
}

proto::RegisterTaskManagerResponse Dispatcher::RegisterTaskManager(
    const proto::RegisterTaskManagerRequest& request) {
  absl::MutexLock lock(&mu_);
  auto existing = taskmanagers_.find(request.taskmanager_id());
  if (existing != taskmanagers_.end()) {
    // Registered again without its stream having ended: treat the old registration as lost.
    LoseTaskManager(request.taskmanager_id(), "registered again");
  }
  TaskManagerEntry& tm = taskmanagers_[request.taskmanager_id()];
  tm.info.set_id(request.taskmanager_id());
  tm.info.set_address(request.rpc_address());
  tm.info.set_slots(request.slots());
  tm.info.set_data_address(request.data_address());
  tm.gateway = gateways_(request.rpc_address());
  tm.last_heartbeat = absl::Now();
  tm.session = next_session_++;
  Logger("jobmanager")
      ->info("TaskManager {} registered from {} with {} slots", request.taskmanager_id(),
             request.rpc_address(), request.slots());
  ScheduleJobs();
  proto::RegisterTaskManagerResponse response;
  response.set_jobmanager_epoch(options_.epoch);
  response.set_heartbeat_interval_ms(absl::ToInt64Milliseconds(options_.heartbeat_interval));
  return response;
}

bool Dispatcher::OnHeartbeat(const proto::Heartbeat& heartbeat, int64_t* session) {
  absl::MutexLock lock(&mu_);
  auto it = taskmanagers_.find(heartbeat.taskmanager_id());
  if (it == taskmanagers_.end() || heartbeat.jobmanager_epoch() != options_.epoch) return false;
  if (*session == 0) *session = it->second.session;
  if (*session != it->second.session) return false;
  it->second.last_heartbeat = absl::Now();
  for (const auto& status : heartbeat.tasks()) ApplyTaskStatus(heartbeat.taskmanager_id(), status);
  return true;
}

void Dispatcher::OnHeartbeatStreamClosed(const std::string& taskmanager_id, int64_t session) {
  absl::MutexLock lock(&mu_);
  auto it = taskmanagers_.find(taskmanager_id);
  if (it == taskmanagers_.end() || it->second.session != session) return;
  LoseTaskManager(taskmanager_id, "its connection closed");
}

void Dispatcher::UpdateTaskState(const proto::TaskStateUpdate& update) {
  absl::MutexLock lock(&mu_);
  if (update.jobmanager_epoch() != options_.epoch) return;
  if (taskmanagers_.count(update.taskmanager_id()) == 0) return;
  ApplyTaskStatus(update.taskmanager_id(), update.status());
}

void Dispatcher::LoseTaskManager(const std::string& id, const std::string& reason) {
  auto it = taskmanagers_.find(id);
  if (it == taskmanagers_.end()) return;
  const std::string address = it->second.info.address();
  Logger("jobmanager")->warn("TaskManager {} ({}) lost: {}", id, address, reason);
  for (auto& [job_id, job] : jobs_) {
    bool affected = false;
    for (auto& e : job.executions) {
      if (e.taskmanager_id != id || IsTerminalTask(e.state)) continue;
      affected = true;
      e.state = job.state == proto::CANCELLING ? proto::TASK_CANCELED : proto::TASK_FAILED;
      e.taskmanager_id.clear();
    }
    if (!affected) continue;
    if (job.state == proto::CANCELLING) {
      MaybeCompleteJob(job);
    } else {
      FailJob(job, /*retryable=*/true,
              absl::StrCat("TaskManager ", id, " (", address, ") lost: ", reason));
    }
  }
  taskmanagers_.erase(it);
}

proto::JobStatus Dispatcher::ToStatus(const Job& job) const {
  proto::JobStatus status;
  status.set_id(job.id);
  status.set_name(job.spec.name);
  status.set_state(job.state);
  status.set_failure(job.failure.empty() ? job.last_failure : job.failure);
  status.set_restarts(job.restarts);
  if (job.latest_checkpoint.id() > 0) *status.mutable_latest_checkpoint() = job.latest_checkpoint;
  status.set_checkpoints_completed(job.checkpoints_completed);
  status.set_checkpoints_failed(job.checkpoints_failed);
  status.set_start_time_ms(absl::ToUnixMillis(job.submitted));
  if (job.ended != absl::InfinitePast()) status.set_end_time_ms(absl::ToUnixMillis(job.ended));
  for (const JobVertex& v : job.graph.vertices) {
    for (size_t step = 0; step < v.operators.size(); ++step) {
      proto::OperatorStatus* op = status.add_operators();
      auto* sum = op->mutable_metrics();
      sum->set_name(job.spec.pipeline[v.operators[step]].name);
      for (const auto& e : job.executions) {
        if (e.id.vertex() != v.id) continue;
        proto::SubtaskInfo* sub = op->add_subtasks();
        sub->set_subtask(e.id.subtask());
        sub->set_taskmanager_id(e.taskmanager_id);
        sub->set_state(e.state);
        sub->set_running_ms(e.status.running_ms());
        sub->set_backpressured_ms(e.status.backpressured_ms());
        sub->set_idle_ms(e.status.idle_ms());
        if (step == 0) *sub->mutable_inputs() = e.status.inputs();
        if (step + 1 == v.operators.size()) *sub->mutable_outputs() = e.status.outputs();
        if (static_cast<int>(step) >= e.status.operators_size()) continue;
        const auto& m = e.status.operators(static_cast<int>(step));
        *sub->mutable_metrics() = m;
        sum->set_records_in(sum->records_in() + m.records_in());
        sum->set_records_out(sum->records_out() + m.records_out());
        sum->set_bytes_in(sum->bytes_in() + m.bytes_in());
        sum->set_bytes_out(sum->bytes_out() + m.bytes_out());
        sum->set_records_dead_letter(sum->records_dead_letter() + m.records_dead_letter());
      }
    }
  }
  return status;
}

absl::StatusOr<proto::JobStatus> Dispatcher::GetJobStatus(const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job with id ", job_id));
  return ToStatus(it->second);
}

std::vector<proto::JobStatus> Dispatcher::ListJobs() const {
  absl::MutexLock lock(&mu_);
  std::vector<proto::JobStatus> out;
  for (const auto& [id, job] : jobs_) out.push_back(ToStatus(job));
  return out;
}

std::vector<proto::TaskManagerInfo> Dispatcher::ListTaskManagers() const {
  absl::MutexLock lock(&mu_);
  std::vector<proto::TaskManagerInfo> out;
  for (const auto& [id, tm] : taskmanagers_) {
    proto::TaskManagerInfo info = tm.info;
    info.set_free_slots(tm.info.slots() - tm.used_slots);
    info.set_last_heartbeat_ms(absl::ToUnixMillis(tm.last_heartbeat));
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace ec
