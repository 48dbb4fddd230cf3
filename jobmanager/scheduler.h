// Scheduler: places a job's subtasks on free TaskManager slots and deploys them; rescaling, and
// the reactive mode that sizes jobs to the free slots.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jobmanager/job.h"
#include "jobmanager/taskmanager_registry.h"
#include "proto/common.pb.h"

namespace ec {

// Deploys a CREATED job as a new attempt once there is a free slot for each subtask of its
// widest chain (all or nothing). Slot k runs subtask k of every chain (Flink's slot sharing);
// slots are spread over the registry's TaskManagers. Deploys go out through `Hooks::enqueue`.
// A rescale stops the job after a checkpoint (through `Hooks::trigger_checkpoint`) and, once
// that checkpoint completes (OnCheckpointComplete), sets the new parallelism for the redeploy.
// Not thread-safe: the Dispatcher calls it under its lock, and the hooks, except
// `deploy_failed`, run under that lock too. Lives as long as the Dispatcher; holds no thread.
class Scheduler {
 public:
  struct Options {
    int64_t epoch = 0;  // fences every deploy
    // Flink's reactive scheduler mode: a job runs at the parallelism the free slots allow (up to
    // its max parallelism), grown when slots are free.
    bool reactive = false;
  };
  struct Hooks {
    // Queues a TaskManager call, to be made later off the lock.
    std::function<void(std::function<void()>)> enqueue;
    // A deploy failed. Called from the queued call, off the lock.
    std::function<void(const proto::TaskId& task, const std::string& taskmanager_id,
                       const absl::Status& status)>
        deploy_failed;
    // Fails the job (not within its slot timeout).
    std::function<void(Job& job, bool retryable, const std::string& reason)> fail_job;
    // Starts a checkpoint of the job after which, with `stop`, its tasks finish.
    std::function<void(Job& job, bool stop)> trigger_checkpoint;
    // The directory of the job's checkpoints, sent with each deploy.
    std::function<std::string(const std::string& job_id)> checkpoint_dir;
    // The job's spec changed: persist it.
    std::function<void(const Job& job)> persist;
  };

  // `registry` must outlive the scheduler; it takes and counts slots there.
  Scheduler(Options options, TaskManagerRegistry& registry, Hooks hooks);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Deploys every CREATED job with no attempt deployed that the free slots allow; one still
  // waiting past its slot timeout (counted from `job.submitted` to `now`) fails, not retryable.
  void ScheduleJobs(std::map<std::string, Job>& jobs, absl::Time now);
  // Deploys every subtask of the job as a new attempt once there is a free slot for each, spread
  // over TaskManagers; false (nothing deployed) while there are fewer. In reactive mode the job
  // is first set to the parallelism the free slots allow.
  bool TryDeploy(Job& job);

  // Starts a rescale of a RUNNING job: a stopping checkpoint, after which the job is redeployed
  // at `parallelism`; returns the checkpoint's id. INVALID_ARGUMENT for a parallelism out of
  // [1, max-parallelism] or one the graph cannot be built at, FAILED_PRECONDITION for a job not
  // RUNNING or already rescaling, UNAVAILABLE while a checkpoint is in flight.
  absl::StatusOr<int64_t> StartRescale(Job& job, int parallelism);
  // Checkpoint `checkpoint_id` of the job completed: when a rescale waited for it, the job gets
  // its new parallelism and is `rescaling` until every task has finished and it is redeployed.
  void OnCheckpointComplete(Job& job, int64_t checkpoint_id);
  // Reactive mode: rescales running jobs up to the slots free now.
  void GrowReactiveJobs(std::map<std::string, Job>& jobs);
  // Sets the job's parallelism and rebuilds its graph; an error (the graph's) leaves it as it was.
  absl::Status SetParallelism(Job& job, int parallelism);

 private:
  // Takes a slot for each of `slots` subtasks (the caller checked they are free), spread out like
  // Flink's cluster.evenly-spread-out-slots; entry k is where slot k (subtask k of every chain)
  // runs.
  std::vector<const TaskManagerRegistry::Entry*> TakeSlots(int slots);
  // The deploy of `task` of chain `v`: its chain, its input and output (the data address of each
  // downstream subtask's TaskManager) and, when the job has a checkpoint, the state it restores.
  proto::DeployTaskRequest DeployRequest(
      const Job& job, const JobVertex& v, const proto::TaskId& task,
      const std::vector<const TaskManagerRegistry::Entry*>& slot_tm) const;

  const Options options_;
  TaskManagerRegistry& registry_;
  Hooks hooks_;
};

}  // namespace ec
