// JobMaster: drives each job through its lifecycle (job_state_machine) from task reports,
// failures, cancellation and lost TaskManagers, restarting it as its restart strategy allows.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "jobmanager/job.h"
#include "jobmanager/taskmanager_registry.h"
#include "proto/jobmanager.pb.h"

namespace ec {

// Any subtask's failure restarts the whole job (Flink's full restart): its other tasks are
// cancelled, it waits RESTARTING for the delay and for every old task to settle, then goes back
// to CREATED for the scheduler to redeploy. Cancel calls go out through `Hooks::enqueue`; the
// slots of settled executions are given back to the registry.
// Not thread-safe: the Dispatcher calls it under its lock, and the hooks run under that lock
// too. Lives as long as the Dispatcher; holds no thread.
class JobMaster {
 public:
  struct Hooks {
    // Queues a TaskManager call, to be made later off the lock.
    std::function<void(std::function<void()>)> enqueue;
    // The job's state changed: persist it.
    std::function<void(const Job& job)> persist;
    // The job left RUNNING with a checkpoint pending: abort it (not a checkpoint failure).
    std::function<void(Job& job, const std::string& reason)> abort_checkpoint;
    // A task found the output of checkpoint `lost` lost: restore an older one (error: none).
    std::function<absl::Status(Job& job, int64_t lost)> fall_back;
  };

  // `epoch` fences every cancel; `registry` must outlive the job master.
  JobMaster(int64_t epoch, TaskManagerRegistry& registry, Hooks hooks);
  JobMaster(const JobMaster&) = delete;
  JobMaster& operator=(const JobMaster&) = delete;

  // Moves the job to `to` if the state machine allows it (else logs and ignores it), persists
  // it, and schedules its next checkpoint on entering RUNNING or aborts a pending one on
  // leaving it. No-op when the job is in `to` already.
  void Transition(Job& job, proto::JobState to, const std::string& reason = "");
  // A failure: cancels the job's tasks; restarts the job when `retryable` and its restart
  // strategy has attempts left (RESTARTING, redeployed after the delay), else the job ends
  // FAILED with `reason`. A CANCELLING job ends CANCELED; a RESTARTING or ended one stays.
  // `origin` names the task and TaskManager when one failed (the exception history's entry).
  void Fail(Job& job, bool retryable, const std::string& reason,
            const proto::JobException& origin = {});
  // Cancels a job that has not ended and is not CANCELLING: CANCELLING until every task has
  // confirmed (CANCELED at once when none runs).
  void Cancel(Job& job);
  // RESTARTING jobs whose delay is over at `now` and whose old tasks have all settled go back
  // to CREATED, the slot timeout counting from `now`.
  void RestartDue(std::map<std::string, Job>& jobs, absl::Time now);
  // CANCELLING jobs whose tasks did not confirm within `timeout` at `now` end CANCELED, their
  // slots given back.
  void ExpireCancellations(std::map<std::string, Job>& jobs, absl::Time now,
                           absl::Duration timeout);
  // A task's report from `taskmanager_id`: updates its execution and the job. A task no longer
  // wanted (unknown attempt, or its job ended) is told to cancel.
  void ApplyTaskStatus(std::map<std::string, Job>& jobs, const std::string& taskmanager_id,
                       const proto::TaskStatus& status);
  // Deploying `task` to `taskmanager_id` failed: the task counts as failed (retryable).
  void OnDeployFailed(Job& job, const proto::TaskId& task, const std::string& taskmanager_id,
                      const absl::Status& status);
  // The TaskManager (at `address`) is lost: the jobs with tasks there fail over (retryable),
  // or, when CANCELLING, count those tasks as cancelled. Called while it is still registered.
  void OnTaskManagerLost(std::map<std::string, Job>& jobs, const std::string& id,
                         const std::string& address, const std::string& reason);

 private:
  // The exception history's task, TaskManager and its address for a failure of `task`.
  proto::JobException Origin(const Job& job, const proto::TaskId& task,
                             const std::string& taskmanager_id) const;
  // Moves the job on when its tasks allow: RUNNING once all run, FINISHED once all finished
  // (or RESTARTING for a rescale's redeploy), CANCELED once all settled while CANCELLING.
  void MaybeComplete(Job& job);
  void CancelExecutions(Job& job);
  void ReleaseSlot(Execution& execution);

  const int64_t epoch_;
  TaskManagerRegistry& registry_;
  Hooks hooks_;
  std::mt19937_64 random_{std::random_device{}()};  // the restart delays' jitter
};

}  // namespace ec
