// Dispatcher: accepts jobs and TaskManagers, and drives each job's lifecycle.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jobmanager/checkpoint_coordinator.h"
#include "jobmanager/job.h"
#include "jobmanager/job_master.h"
#include "jobmanager/job_store.h"
#include "jobmanager/scheduler.h"
#include "jobmanager/taskmanager_gateway.h"
#include "jobmanager/taskmanager_registry.h"
#include "proto/jobmanager.pb.h"
#include "runtime/job_graph.h"
#include "runtime/job_spec.h"

namespace ec {

// The JobManager's core and its thread-safe facade. All state sits behind one mutex: the jobs,
// and the single-threaded components that work on them under it: TaskManagerRegistry
// (registrations, heartbeats), Scheduler (slot placement, deploys, rescaling, reactive mode),
// JobMaster (the lifecycle and restarts) and CheckpointCoordinator (checkpoints, savepoints).
// The Dispatcher owns them, wires them together through their hooks and persists jobs. Calls to
// TaskManagers (deploy, cancel, checkpoints) are queued and made from a worker thread so no RPC is
// made under the lock, and a timer thread checks heartbeats, cancel and slot timeouts, restarts and
// checkpoint triggers. Thread-safe; Start() before use, Stop() is idempotent and joins both
// threads.
class Dispatcher {
 public:
  using GatewayFactory = std::function<std::unique_ptr<TaskManagerGateway>(const std::string&)>;

  struct Options {
    absl::Duration heartbeat_interval = absl::Milliseconds(500);
    absl::Duration heartbeat_timeout = absl::Seconds(5);
    absl::Duration cancel_timeout = absl::Seconds(40);
    std::string checkpoint_dir = "/tmp/ec-checkpoints";
    // Where savepoints may be written (the first is the default target; a relative target is
    // under it) and read from at submit, besides checkpoint_dir (Flink's state.savepoints.dir;
    // empty: <checkpoint_dir>/savepoints). A path outside them is refused, INVALID_ARGUMENT.
    std::vector<std::string> savepoint_dirs;
    absl::Duration checkpoint_timeout = absl::Seconds(60);
    int checkpoints_retained = 3;
    // Where jobs are persisted for recovery after a JobManager restart ("" = not persisted).
    std::string jobs_dir;
    int64_t epoch = 0;  // 0: derived from the start time
    // Flink's reactive scheduler mode: every job runs at the parallelism the free slots allow
    // (up to its max parallelism), rescaled when TaskManagers join or leave.
    bool reactive = false;
    // Jobs that have not ended; one more is refused (RESOURCE_EXHAUSTED) until one ends.
    int max_jobs = 100;
    // Ended jobs kept for status and REST (Flink's jobstore.max-capacity); past it, the one
    // that ended first is forgotten, its stored record included (its checkpoints stay).
    int max_ended_jobs = 1000;
  };

  Dispatcher(Options options, GatewayFactory gateways);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Recovers persisted jobs (unfinished ones restart from their latest checkpoint once slots
  // are offered), then starts the threads.
  void Start();
  void Stop();
  int64_t epoch() const { return options_.epoch; }

  // ---- clients (ecctl) ----
  // Validates and accepts a job; returns its id. INVALID_ARGUMENT names the bad field,
  // RESOURCE_EXHAUSTED says that max_jobs jobs have not ended.
  // `from_savepoint`, when set, is a savepoint or checkpoint directory whose state the job
  // starts from (INVALID_ARGUMENT if it cannot be read). It may hold state the job would not
  // restore (of operators it does not have) only with `allow_non_restored_state` (Flink's
  // allowNonRestoredState; INVALID_ARGUMENT naming them otherwise). ecctl, which has no such
  // flag, always allows it.
  absl::StatusOr<std::string> SubmitJob(const std::string& job_json,
                                        const std::map<std::string, std::string>& parameters,
                                        const std::string& from_savepoint = "",
                                        bool allow_non_restored_state = true);
  // Takes a savepoint of a RUNNING job under `dir` (default: the first savepoint dir) and
  // returns its path; with `stop`, the job's tasks finish right after it (the job ends
  // FINISHED). Blocks until the savepoint is complete, failed or timed out.
  absl::StatusOr<std::string> TriggerSavepoint(const std::string& job_id, const std::string& dir,
                                               bool stop);
  // Rescales a RUNNING job to `parallelism`: its sources stop after a checkpoint, every task
  // finishes after it, and the job is redeployed at the new parallelism from that checkpoint,
  // keyed state redistributed by key group (Flink's rescale through a savepoint). Blocks until
  // the checkpoint is complete. INVALID_ARGUMENT for a parallelism out of [1, max-parallelism],
  // FAILED_PRECONDITION for a job not RUNNING, ABORTED when the checkpoint failed.
  absl::Status RescaleJob(const std::string& job_id, int parallelism);
  // NOT_FOUND for an unknown id, FAILED_PRECONDITION for a job already ended.
  absl::Status CancelJob(const std::string& job_id);
  absl::StatusOr<proto::JobStatus> GetJobStatus(const std::string& job_id) const;
  std::vector<proto::JobStatus> ListJobs() const;
  std::vector<proto::TaskManagerInfo> ListTaskManagers() const;
  // The last `max_bytes` of a registered TaskManager's log file, read from it over RPC (not
  // under the Dispatcher's lock). NOT_FOUND for an unknown TaskManager; the call's error else.
  absl::StatusOr<std::string> ReadTaskManagerLog(const std::string& taskmanager_id,
                                                 int64_t max_bytes) const;

  // ---- TaskManagers ----
  proto::RegisterTaskManagerResponse RegisterTaskManager(
      const proto::RegisterTaskManagerRequest& request);
  // Returns false when the TaskManager is unknown and must register again. `session` is set on
  // the first heartbeat of a stream and passed back on later ones.
  bool OnHeartbeat(const proto::Heartbeat& heartbeat, int64_t* session);
  // The heartbeat stream of `taskmanager_id` ended: the TaskManager is gone (unless it has
  // registered again since, under a newer session).
  void OnHeartbeatStreamClosed(const std::string& taskmanager_id, int64_t session);
  void UpdateTaskState(const proto::TaskStateUpdate& update);
  void AcknowledgeCheckpoint(const proto::CheckpointAck& ack);

 private:
  void TimerLoop();
  void Recover();
  void Persist(const Job& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets the ended jobs that ended first until max_ended_jobs are left.
  void ForgetEndedJobs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WorkerLoop();
  void Enqueue(std::function<void()> call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What the components call back into, each hook run under mu_ (but deploy_failed).
  CheckpointCoordinator::Hooks CoordinatorHooks();
  Scheduler::Hooks SchedulerHooks();
  JobMaster::Hooks JobMasterHooks();

  void LoseTaskManager(const std::string& id, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnDeployFailed(const proto::TaskId& task, const std::string& taskmanager_id,
                      const absl::Status& status);

  Options options_;  // epoch set
  GatewayFactory gateways_;

  mutable absl::Mutex mu_;
  TaskManagerRegistry taskmanagers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  CheckpointCoordinator coordinator_ ABSL_GUARDED_BY(mu_);
  Scheduler scheduler_ ABSL_GUARDED_BY(mu_);
  JobMaster job_master_ ABSL_GUARDED_BY(mu_);
  JobStore job_store_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> calls_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread timer_;
  std::thread worker_;
};

}  // namespace ec
