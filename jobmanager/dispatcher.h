// Dispatcher: accepts jobs, schedules them onto TaskManager slots, tracks their lifecycle.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jobmanager/checkpoint_store.h"
#include "jobmanager/job_store.h"
#include "jobmanager/taskmanager_gateway.h"
#include "proto/jobmanager.pb.h"
#include "runtime/job_graph.h"
#include "runtime/job_spec.h"

namespace ec {

// The JobManager's core. All state sits behind one mutex; calls to TaskManagers (deploy,
// cancel) are queued and made from a worker thread so no RPC is made under the lock, and a timer
// thread checks heartbeats and slot timeouts. Thread-safe; Start() before use, Stop() is
// idempotent and joins both threads.
class Dispatcher {
 public:
  using GatewayFactory = std::function<std::unique_ptr<TaskManagerGateway>(const std::string&)>;

  struct Options {
    absl::Duration heartbeat_interval = absl::Milliseconds(500);
    absl::Duration heartbeat_timeout = absl::Seconds(5);
    absl::Duration cancel_timeout = absl::Seconds(40);
    std::string checkpoint_dir = "/tmp/ec-checkpoints";
    absl::Duration checkpoint_timeout = absl::Seconds(60);
    int checkpoints_retained = 3;
    // Where jobs are persisted for recovery after a JobManager restart ("" = not persisted).
    std::string jobs_dir;
    int64_t epoch = 0;  // 0: derived from the start time
    // Flink's reactive scheduler mode: every job runs at the parallelism the free slots allow
    // (up to its max parallelism), rescaled when TaskManagers join or leave.
    bool reactive = false;
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
  // Validates and accepts a job; returns its id. INVALID_ARGUMENT names the bad field.
  // `from_savepoint`, when set, is a savepoint or checkpoint directory whose state the job
  // starts from (INVALID_ARGUMENT if it cannot be read).
  absl::StatusOr<std::string> SubmitJob(const std::string& job_json,
                                        const std::map<std::string, std::string>& parameters,
                                        const std::string& from_savepoint = "");
  // Takes a savepoint of a RUNNING job under `dir` (default <checkpoint-dir>/savepoints) and
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
  struct TaskManagerEntry {
    proto::TaskManagerInfo info;
    std::shared_ptr<TaskManagerGateway> gateway;
    absl::Time last_heartbeat;
    int64_t session = 0;
    int used_slots = 0;
  };
  // One subtask's current attempt. All subtasks of a job share the attempt number: a job is
  // restarted as a whole (Flink's full restart), never one subtask alone. Slots are shared as
  // in Flink's default slot sharing group: slot k runs subtask k of every vertex, and the
  // execution of the widest vertex is the one that holds (and releases) it.
  struct Execution {
    proto::TaskId id;
    std::string taskmanager_id;  // where it runs; cleared when it has settled
    bool holds_slot = false;
    proto::TaskState state = proto::TASK_DEPLOYING;
    proto::TaskStatus status;  // the latest report: metrics and time split
  };
  struct Job {
    std::string id;
    JobSpec spec;
    JobGraph graph;
    std::string spec_json;
    proto::JobState state = proto::CREATED;
    std::string failure;
    absl::Time submitted;
    absl::Time ended = absl::InfinitePast();
    absl::Time cancel_started = absl::InfinitePast();
    int64_t attempt = 0;
    int restarts = 0;
    absl::Time restart_at = absl::InfinitePast();
    std::string last_failure;           // what caused the latest restart
    std::vector<Execution> executions;  // by subtask; empty while no attempt is deployed
    // Checkpoints: at most one pending; the latest completed one is what a restart restores.
    struct PendingCheckpoint {
      int64_t id = 0;
      absl::Time triggered;
      CheckpointData data;
      std::set<std::pair<int, int>> acked;  // (vertex, subtask); complete when every one has
      std::string savepoint_dir;            // set for a savepoint
      bool stop = false;
    };
    std::optional<PendingCheckpoint> pending_checkpoint;
    int64_t next_checkpoint_id = 1;
    absl::Time next_checkpoint = absl::InfiniteFuture();
    proto::CheckpointInfo latest_checkpoint;
    CheckpointData latest_state;  // what a restart restores
    int64_t checkpoints_completed = 0;
    int64_t checkpoints_failed = 0;
    int consecutive_failed_checkpoints = 0;
    std::deque<absl::Time> failures;  // recent failures, for the failure-rate strategy
    // A rescale in progress: the parallelism asked for until its checkpoint completes
    // (rescale_checkpoint), then `rescaling` until the redeploy.
    int rescale_to = 0;
    int64_t rescale_checkpoint = 0;
    bool rescaling = false;
  };

  void TimerLoop();
  void Recover();
  void Persist(const Job& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TriggerCheckpoints() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartCheckpoint(Job& job, std::string savepoint_dir, bool stop)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `checkpoint_failure`: the checkpoint itself failed (expired, declined, not written), which
  // counts against tolerable-failed-checkpoints; false when the job's state change ended it.
  void AbortCheckpoint(Job& job, const std::string& reason, bool checkpoint_failure = true)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleteCheckpoint(Job& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts a rescale of a RUNNING job (see RescaleJob); returns the checkpoint's id.
  absl::StatusOr<int64_t> StartRescale(Job& job, int parallelism)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets the job's parallelism and rebuilds its graph; an error (the graph's) leaves it as it was.
  absl::Status SetParallelism(Job& job, int parallelism) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reactive mode: rescales running jobs up to the slots free now.
  void GrowReactiveJobs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WorkerLoop();
  void Enqueue(std::function<void()> call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void ScheduleJobs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deploys every subtask of the job as a new attempt once there is a free slot for each, spread
  // over TaskManagers; false (nothing deployed) while there are fewer.
  bool TryDeploy(Job& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int FreeSlots() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyTaskStatus(const std::string& taskmanager_id, const proto::TaskStatus& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Transition(Job& job, proto::JobState to, const std::string& reason = "")
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A failure: restarts the job when `retryable` and its restart strategy has attempts left
  // (RESTARTING, redeployed after the delay), else the job ends FAILED with `reason`.
  void FailJob(Job& job, bool retryable, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RestartDueJobs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelExecutions(Job& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseSlot(Execution& execution) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The gateway of a registered TaskManager, or null when it is not (or no longer) registered.
  std::shared_ptr<TaskManagerGateway> GatewayOf(const std::string& taskmanager_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoseTaskManager(const std::string& id, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeCompleteJob(Job& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  proto::JobStatus ToStatus(const Job& job) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnDeployFailed(const proto::TaskId& task, const std::string& taskmanager_id,
                      const absl::Status& status);
  // The execution of `task`'s vertex and subtask in the job's current attempt, or null.
  static Execution* FindExecution(Job& job, const proto::TaskId& task);
  // "<job name>#<subtask>" for a one-chain job, else "<chain>#<subtask>", for messages.
  static std::string TaskName(const Job& job, const proto::TaskId& task);

  Options options_;
  GatewayFactory gateways_;

  mutable absl::Mutex mu_;
  std::map<std::string, TaskManagerEntry> taskmanagers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  CheckpointStore checkpoints_ ABSL_GUARDED_BY(mu_);
  JobStore job_store_ ABSL_GUARDED_BY(mu_);
  // Outcomes of savepoints, by "<job id>/<checkpoint id>", for TriggerSavepoint to pick up.
  std::map<std::string, absl::StatusOr<std::string>> savepoint_results_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> calls_ ABSL_GUARDED_BY(mu_);
  int64_t next_session_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread timer_;
  std::thread worker_;
};

}  // namespace ec
