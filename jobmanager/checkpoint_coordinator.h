// CheckpointCoordinator: triggers a job's checkpoints and savepoints at its sources, collects
// every subtask's acknowledgement, completes (writes) or aborts them, and tells the tasks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jobmanager/checkpoint_store.h"
#include "jobmanager/job.h"
#include "jobmanager/taskmanager_gateway.h"
#include "proto/jobmanager.pb.h"

namespace ec {

// Works on the checkpoint fields of a Job (pending_checkpoint, latest_checkpoint, latest_state,
// the counters): at most one checkpoint pending per job; a completed one is written to the
// CheckpointStore it owns (a savepoint to its own directory) and becomes what a restart
// restores. Calls to TaskManagers go out through `Hooks::enqueue`, never directly.
// Not thread-safe: the Dispatcher calls it under its lock, and the hooks run under that lock
// too. Lives as long as the Dispatcher; holds no thread.
class CheckpointCoordinator {
 public:
  struct Hooks {
    // The gateway of a registered TaskManager, or null (its tasks are skipped).
    std::function<std::shared_ptr<TaskManagerGateway>(const std::string& taskmanager_id)>
        gateway_of;
    // Queues a TaskManager call, to be made later off the lock.
    std::function<void(std::function<void()>)> enqueue;
    // More consecutive checkpoints failed than the job tolerates: fail it (retryable).
    std::function<void(Job& job, const std::string& reason)> fail_job;
    // A checkpoint completed and is the job's latest; called before the job is persisted
    // (a rescale waiting for it continues here).
    std::function<void(Job& job, int64_t checkpoint_id)> on_complete;
    // The job's latest checkpoint changed: persist it.
    std::function<void(const Job& job)> persist;
  };

  // `epoch` fences every request; `timeout` is how long a checkpoint may stay pending.
  CheckpointCoordinator(std::string checkpoint_dir, int retained, int64_t epoch,
                        absl::Duration timeout, Hooks hooks);
  CheckpointCoordinator(const CheckpointCoordinator&) = delete;
  CheckpointCoordinator& operator=(const CheckpointCoordinator&) = delete;

  // A restored task found checkpoint `lost_checkpoint_id`'s pre-committed output lost (see
  // LostCheckpointError): retires it and every newer checkpoint, and makes the newest older
  // retained one what the restart restores. FailedPrecondition, naming the checkpoint and what
  // is lost, when none is left.
  absl::Status FallBack(Job& job, int64_t lost_checkpoint_id);

  // The directory of a job's checkpoints, where its tasks write state files.
  std::string JobDir(const std::string& job_id) const { return store_.JobDir(job_id); }

  // For every RUNNING job with a checkpoint interval: aborts a pending checkpoint older than
  // the timeout at `now`, else starts one when the next is due.
  void TriggerDue(std::map<std::string, Job>& jobs, absl::Time now);
  // Starts checkpoint `job.next_checkpoint_id` (taking that id): sends the trigger to every
  // source subtask (vertex 0) whose TaskManager is registered. With `savepoint_dir`, it is a
  // savepoint written there; with `stop`, the sources stop right after it. The caller checked
  // that none is pending.
  void Trigger(Job& job, std::string savepoint_dir, bool stop);
  // Aborts the pending checkpoint, if any: counted as failed, a savepoint's result set to
  // ABORTED, a rescale waiting for it called off. `checkpoint_failure`: the checkpoint itself
  // failed (expired, declined, not written), which counts against tolerable-failed-checkpoints
  // (fail_job beyond it); false when the job's state change ended it.
  void Abort(Job& job, const std::string& reason, bool checkpoint_failure = true);
  // An acknowledgement for `job` (the caller checked the epoch): ignored unless for the
  // pending checkpoint from the current attempt; a decline, or state under another subtask's
  // name, aborts it; the last one completes it.
  void Acknowledge(Job& job, const proto::CheckpointAck& ack);

  // Whether savepoint `checkpoint_id` of the job has ended (completed or aborted).
  bool HasSavepointResult(const std::string& job_id, int64_t checkpoint_id) const;
  // Its path, or why it failed; forgets it. Only after HasSavepointResult.
  absl::StatusOr<std::string> TakeSavepointResult(const std::string& job_id, int64_t checkpoint_id);

 private:
  // Writes the pending checkpoint (aborting it when that fails), makes it the latest and
  // notifies every task.
  void Complete(Job& job);

  CheckpointStore store_;
  const int64_t epoch_;
  const absl::Duration timeout_;
  Hooks hooks_;
  // Outcomes of savepoints, by "<job id>/<checkpoint id>", for TriggerSavepoint to pick up.
  std::map<std::string, absl::StatusOr<std::string>> savepoint_results_;
};

}  // namespace ec
