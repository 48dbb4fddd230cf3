// The Dispatcher: submission, cancellation, savepoint and rescale requests, status, TaskManager
// calls and reports, and the wiring of the components it owns (registry, scheduler, job master,
// checkpoint coordinator) behind its one lock.
#include "jobmanager/dispatcher.h"

#include <algorithm>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "jobmanager/job_state_machine.h"
#include "jobmanager/state_assignment.h"
#include "operators/registry.h"
#include "runtime/logging.h"
#include "runtime/util/confined_path.h"

namespace ec {
namespace {

std::string NewJobId() {
  static std::mt19937_64 rng{std::random_device{}()};
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%016x%016x", rng(), rng());
}

// The options with their derived defaults filled in: the epoch, the savepoint directory.
Dispatcher::Options WithDefaults(Dispatcher::Options options) {
  if (options.epoch == 0) options.epoch = absl::ToUnixMillis(absl::Now());
  if (options.savepoint_dirs.empty()) {
    options.savepoint_dirs.push_back(options.checkpoint_dir + "/savepoints");
  }
  return options;
}

}  // namespace

Dispatcher::Dispatcher(Options options, GatewayFactory gateways)
    : options_(WithDefaults(std::move(options))),
      gateways_(std::move(gateways)),
      coordinator_(options_.checkpoint_dir, options_.checkpoints_retained, options_.epoch,
                   options_.checkpoint_timeout, CoordinatorHooks()),
      scheduler_({options_.epoch, options_.reactive}, taskmanagers_, SchedulerHooks()),
      job_master_(options_.epoch, taskmanagers_, JobMasterHooks()),
      job_store_(options_.jobs_dir) {}

// The hooks run under mu_, taken by the Dispatcher method that called the component.
CheckpointCoordinator::Hooks Dispatcher::CoordinatorHooks() {
  CheckpointCoordinator::Hooks hooks;
  hooks.gateway_of = [this](const std::string& taskmanager_id) {
    mu_.AssertHeld();
    return taskmanagers_.GatewayOf(taskmanager_id);
  };
  hooks.enqueue = [this](std::function<void()> call) {
    mu_.AssertHeld();
    Enqueue(std::move(call));
  };
  hooks.fail_job = [this](Job& job, const std::string& reason) {
    mu_.AssertHeld();
    job_master_.Fail(job, /*retryable=*/true, reason);
  };
  hooks.on_complete = [this](Job& job, int64_t checkpoint_id) {
    mu_.AssertHeld();
    scheduler_.OnCheckpointComplete(job, checkpoint_id);
  };
  hooks.persist = [this](const Job& job) {
    mu_.AssertHeld();
    Persist(job);
  };
  return hooks;
}

JobMaster::Hooks Dispatcher::JobMasterHooks() {
  JobMaster::Hooks hooks;
  hooks.enqueue = [this](std::function<void()> call) {
    mu_.AssertHeld();
    Enqueue(std::move(call));
  };
  hooks.persist = [this](const Job& job) {
    mu_.AssertHeld();
    Persist(job);
  };
  hooks.abort_checkpoint = [this](Job& job, const std::string& reason) {
    mu_.AssertHeld();
    coordinator_.Abort(job, reason, /*checkpoint_failure=*/false);
  };
  hooks.fall_back = [this](Job& job, int64_t lost) {
    mu_.AssertHeld();
    return coordinator_.FallBack(job, lost);
  };
  return hooks;
}

Scheduler::Hooks Dispatcher::SchedulerHooks() {
  Scheduler::Hooks hooks;
  hooks.enqueue = [this](std::function<void()> call) {
    mu_.AssertHeld();
    Enqueue(std::move(call));
  };
  // Off the lock, from the worker thread: OnDeployFailed takes it.
  hooks.deploy_failed = [this](const proto::TaskId& task, const std::string& taskmanager_id,
                               const absl::Status& status) {
    OnDeployFailed(task, taskmanager_id, status);
  };
  hooks.fail_job = [this](Job& job, bool retryable, const std::string& reason) {
    mu_.AssertHeld();
    job_master_.Fail(job, retryable, reason);
  };
  hooks.trigger_checkpoint = [this](Job& job, bool stop) {
    mu_.AssertHeld();
    coordinator_.Trigger(job, "", stop);
  };
  hooks.checkpoint_dir = [this](const std::string& job_id) {
    mu_.AssertHeld();
    return coordinator_.JobDir(job_id);
  };
  hooks.persist = [this](const Job& job) {
    mu_.AssertHeld();
    Persist(job);
  };
  return hooks;
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
    std::optional<Job> job = RecoverJob(stored);
    if (!job) continue;
    const std::string id = job->id;
    jobs_.emplace(id, *std::move(job));
  }
}

void Dispatcher::Persist(const Job& job) {
  if (!job_store_.enabled()) return;
  if (auto s = job_store_.Save(ToStoredJob(job)); !s.ok()) {
    Logger("jobmanager")->error("job={} not persisted: {}", job.id, s.message());
  }
}

void Dispatcher::ForgetEndedJobs() {
  std::vector<const Job*> ended;
  for (const auto& [id, job] : jobs_) {
    if (IsTerminal(job.state)) ended.push_back(&job);
  }
  if (static_cast<int>(ended.size()) <= options_.max_ended_jobs) return;
  // Jobs recovered after a restart have no end time: they count as older, by submission.
  std::sort(ended.begin(), ended.end(), [](const Job* a, const Job* b) {
    return std::tie(a->ended, a->submitted) < std::tie(b->ended, b->submitted);
  });
  const size_t forget = ended.size() - static_cast<size_t>(options_.max_ended_jobs);
  for (size_t i = 0; i < forget; ++i) {
    const std::string id = ended[i]->id;
    Logger("jobmanager")
        ->info("job={} forgotten: more than {} ended jobs are kept (--max-ended-jobs)", id,
               options_.max_ended_jobs);
    if (job_store_.enabled()) {
      if (auto s = job_store_.Remove(id); !s.ok()) {
        Logger("jobmanager")->warn("job={} record not removed: {}", id, s.message());
      }
    }
    jobs_.erase(id);
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
    for (const auto& id : taskmanagers_.Expired(now, options_.heartbeat_timeout)) {
      LoseTaskManager(id,
                      absl::StrCat("no heartbeat for ",
                                   absl::ToInt64Milliseconds(options_.heartbeat_timeout), "ms"));
    }
    job_master_.ExpireCancellations(jobs_, now, options_.cancel_timeout);
    job_master_.RestartDue(jobs_, absl::Now());
    scheduler_.ScheduleJobs(jobs_, absl::Now());
    if (options_.reactive) scheduler_.GrowReactiveJobs(jobs_);
    coordinator_.TriggerDue(jobs_, absl::Now());
    ForgetEndedJobs();
  }
}

absl::Status Dispatcher::RescaleJob(const std::string& job_id, int parallelism) {
  absl::MutexLock lock(&mu_);
  // Looked up again after every wait: an ended job may be forgotten meanwhile.
  auto job = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) -> Job* {
    auto it = jobs_.find(job_id);
    return it == jobs_.end() ? nullptr : &it->second;
  };
  auto gone = [&] { return absl::NotFoundError(absl::StrCat("no job with id ", job_id)); };
  if (!job()) return gone();
  // One checkpoint at a time: wait for a periodic one in flight to end.
  auto idle = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !job() || job()->state != proto::RUNNING || !job()->pending_checkpoint;
  };
  mu_.AwaitWithTimeout(absl::Condition(&idle), options_.checkpoint_timeout);
  if (!job()) return gone();
  auto checkpoint = scheduler_.StartRescale(*job(), parallelism);
  if (!checkpoint.ok()) return checkpoint.status();
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !job() || job()->rescale_to == 0; };
  mu_.AwaitWithTimeout(absl::Condition(&done), options_.checkpoint_timeout + absl::Seconds(5));
  if (!job() || job()->latest_checkpoint.id() < *checkpoint) {
    return absl::AbortedError(
        absl::StrCat("rescale of job ", job_id, ": its checkpoint did not complete"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Dispatcher::TriggerSavepoint(const std::string& job_id,
                                                         const std::string& dir, bool stop) {
  auto base = ConfinedPath(dir.empty() ? options_.savepoint_dirs.front() : dir,
                           options_.savepoint_dirs);
  if (!base.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("savepoint target ", base.status().message(), " (--savepoint-dir)"));
  }
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
  coordinator_.Trigger(job, absl::StrCat(*base, "/savepoint-", job_id.substr(0, 6), "-", id), stop);
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return coordinator_.HasSavepointResult(job_id, id);
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done),
                            options_.checkpoint_timeout + absl::Seconds(5))) {
    return absl::DeadlineExceededError(absl::StrCat("savepoint of job ", job_id, " timed out"));
  }
  return coordinator_.TakeSavepointResult(job_id, id);
}

void Dispatcher::AcknowledgeCheckpoint(const proto::CheckpointAck& ack) {
  absl::MutexLock lock(&mu_);
  if (ack.jobmanager_epoch() != options_.epoch) return;
  auto it = jobs_.find(ack.task().job_id());
  if (it == jobs_.end()) return;
  coordinator_.Acknowledge(it->second, ack);
}

absl::StatusOr<std::string> Dispatcher::SubmitJob(
    const std::string& job_json, const std::map<std::string, std::string>& parameters,
    const std::string& from_savepoint, bool allow_non_restored_state) {
  auto spec = ParseJobSpec(job_json, parameters);
  if (!spec.ok()) return spec.status();
  if (auto s = ValidateJob(*spec); !s.ok()) return s;
  auto graph = BuildJobGraph(*spec, TraitsOf);
  if (!graph.ok()) return graph.status();
  CheckpointData restore;
  if (!from_savepoint.empty()) {
    // A savepoint, or a retained checkpoint (Flink's resume from a retained checkpoint).
    std::vector<std::string> readable = options_.savepoint_dirs;
    readable.push_back(options_.checkpoint_dir);
    auto path = ConfinedPath(from_savepoint, readable);
    if (!path.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--from-savepoint ", path.status().message(), " (--savepoint-dir, --checkpoint-dir)"));
    }
    auto state = CheckpointStore::Read(*path);
    if (!state.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--from-savepoint ", from_savepoint, ": ", state.status().message()));
    }
    restore = *std::move(state);
    if (auto s = CheckStateAssignable(restore, *spec); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--from-savepoint ", from_savepoint, ": ", s.message()));
    }
    const std::vector<std::string> left = NonRestoredStateOperators(restore, *spec, *graph);
    if (!left.empty() && !allow_non_restored_state) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--from-savepoint ", from_savepoint, ": it holds state of ", absl::StrJoin(left, ", "),
          ", which the job does not have (allowNonRestoredState skips it)"));
    }
  }
  absl::MutexLock lock(&mu_);
  const auto unfinished = std::count_if(jobs_.begin(), jobs_.end(), [](const auto& entry) {
    return !IsTerminal(entry.second.state);
  });
  if (unfinished >= options_.max_jobs) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "jobs: ", unfinished, " jobs have not ended and the JobManager runs at most ",
        options_.max_jobs, " (--max-jobs); cancel one or wait for one to end"));
  }
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
  scheduler_.ScheduleJobs(jobs_, absl::Now());
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
  job_master_.Cancel(job);
  return absl::OkStatus();
}

void Dispatcher::OnDeployFailed(const proto::TaskId& task, const std::string& taskmanager_id,
                                const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(task.job_id());
  if (it == jobs_.end()) return;
  job_master_.OnDeployFailed(it->second, task, taskmanager_id, status);
}

proto::RegisterTaskManagerResponse Dispatcher::RegisterTaskManager(
    const proto::RegisterTaskManagerRequest& request) {
  absl::MutexLock lock(&mu_);
  if (taskmanagers_.Contains(request.taskmanager_id())) {
    // Registered again without its stream having ended: treat the old registration as lost.
    LoseTaskManager(request.taskmanager_id(), "registered again");
  }
  taskmanagers_.Register(request, gateways_(request.rpc_address()), absl::Now());
  Logger("jobmanager")
      ->info("TaskManager {} registered from {} with {} slots", request.taskmanager_id(),
             request.rpc_address(), request.slots());
  scheduler_.ScheduleJobs(jobs_, absl::Now());
  proto::RegisterTaskManagerResponse response;
  response.set_jobmanager_epoch(options_.epoch);
  response.set_heartbeat_interval_ms(absl::ToInt64Milliseconds(options_.heartbeat_interval));
  return response;
}

bool Dispatcher::OnHeartbeat(const proto::Heartbeat& heartbeat, int64_t* session) {
  absl::MutexLock lock(&mu_);
  if (heartbeat.jobmanager_epoch() != options_.epoch) return false;
  if (!taskmanagers_.Heartbeat(heartbeat.taskmanager_id(), session, absl::Now())) return false;
  for (const auto& status : heartbeat.tasks()) {
    job_master_.ApplyTaskStatus(jobs_, heartbeat.taskmanager_id(), status);
  }
  return true;
}

void Dispatcher::OnHeartbeatStreamClosed(const std::string& taskmanager_id, int64_t session) {
  absl::MutexLock lock(&mu_);
  // Unknown, or registered again since (a newer session): nothing of this stream is left.
  if (taskmanagers_.SessionOf(taskmanager_id) != session) return;
  LoseTaskManager(taskmanager_id, "its connection closed");
}

void Dispatcher::UpdateTaskState(const proto::TaskStateUpdate& update) {
  absl::MutexLock lock(&mu_);
  if (update.jobmanager_epoch() != options_.epoch) return;
  if (!taskmanagers_.Contains(update.taskmanager_id())) return;
  job_master_.ApplyTaskStatus(jobs_, update.taskmanager_id(), update.status());
}

void Dispatcher::LoseTaskManager(const std::string& id, const std::string& reason) {
  const TaskManagerRegistry::Entry* tm = taskmanagers_.Find(id);
  if (!tm) return;
  const std::string address = tm->info.address();
  Logger("jobmanager")->warn("TaskManager {} ({}) lost: {}", id, address, reason);
  job_master_.OnTaskManagerLost(jobs_, id, address, reason);
  taskmanagers_.Remove(id);
}

absl::StatusOr<proto::JobStatus> Dispatcher::GetJobStatus(const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job with id ", job_id));
  proto::JobStatus status = ToStatus(it->second);
  status.mutable_config()->set_checkpoint_timeout_ms(
      absl::ToInt64Milliseconds(options_.checkpoint_timeout));
  return status;
}

std::vector<proto::JobStatus> Dispatcher::ListJobs() const {
  absl::MutexLock lock(&mu_);
  std::vector<proto::JobStatus> out;
  for (const auto& [id, job] : jobs_) out.push_back(ToStatus(job));
  return out;
}

std::vector<proto::TaskManagerInfo> Dispatcher::ListTaskManagers() const {
  absl::MutexLock lock(&mu_);
  return taskmanagers_.List();
}

absl::StatusOr<std::string> Dispatcher::ReadTaskManagerLog(const std::string& taskmanager_id,
                                                           int64_t max_bytes) const {
  std::shared_ptr<TaskManagerGateway> gateway;
  {
    absl::MutexLock lock(&mu_);
    gateway = taskmanagers_.GatewayOf(taskmanager_id);
  }
  if (!gateway) return absl::NotFoundError(absl::StrCat("no TaskManager ", taskmanager_id));
  return gateway->ReadLog(max_bytes);
}

}  // namespace ec
