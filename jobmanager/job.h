// Job and Execution: the JobManager's record of one job and its subtasks' current attempt,
// shared by the Dispatcher and the components it drives (scheduler, checkpoint coordinator).
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "jobmanager/checkpoint_store.h"
#include "jobmanager/job_store.h"
#include "jobmanager/restart_strategy.h"
#include "proto/jobmanager.pb.h"
#include "runtime/job_graph.h"
#include "runtime/job_spec.h"

namespace ec {

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

// A checkpoint of a job that not every subtask has acknowledged yet (outside Job: clang cannot
// default-construct a nested struct with member initializers inside std::optional).
struct PendingCheckpoint {
  int64_t id = 0;
  absl::Time triggered;
  CheckpointData data;
  std::set<std::pair<int, int>> acked;  // (vertex, subtask); complete when every one has
  std::string savepoint_dir;            // set for a savepoint
  bool stop = false;
};

// A plain record: no behaviour, no locking. The Dispatcher owns every Job and guards them with
// its mutex; the components it calls under that lock read and change them.
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
  RestartHistory restart_history;  // restarts so far, what the restart strategy remembers
  absl::Time restart_at = absl::InfinitePast();
  std::string last_failure;           // what caused the latest restart
  std::vector<Execution> executions;  // by subtask; empty while no attempt is deployed
  // Checkpoints: at most one pending; the latest completed one is what a restart restores.
  using PendingCheckpoint = ::ec::PendingCheckpoint;
  std::optional<PendingCheckpoint> pending_checkpoint;
  int64_t next_checkpoint_id = 1;
  absl::Time next_checkpoint = absl::InfiniteFuture();
  proto::CheckpointInfo latest_checkpoint;
  CheckpointData latest_state;  // what a restart restores
  int64_t checkpoints_completed = 0;
  int64_t checkpoints_failed = 0;
  int consecutive_failed_checkpoints = 0;
  // What REST shows of checkpoints and failures (RecordCheckpoint, RecordException): the
  // latest checkpoints newest first, (duration ms, size) of a window of completed ones, what
  // the current attempt restored, and the failures that restarted or failed the job.
  std::deque<proto::CheckpointStats> checkpoint_history;
  std::deque<std::pair<int64_t, int64_t>> completed_window;
  proto::CheckpointStats restored_checkpoint;
  std::deque<proto::JobException> exceptions;
  // A rescale in progress: the parallelism asked for until its checkpoint completes
  // (rescale_checkpoint), then `rescaling` until the redeploy.
  int rescale_to = 0;
  int64_t rescale_checkpoint = 0;
  bool rescaling = false;
};

// FINISHED, CANCELED or FAILED: the task has stopped for good.
bool IsTerminalTask(proto::TaskState state);

// The execution of `task`'s vertex and subtask in the job's current attempt (same attempt
// number), or null.
Execution* FindExecution(Job& job, const proto::TaskId& task);

// "<job name>#<subtask>" for a one-chain job, else "<chain>#<subtask>", for messages.
std::string TaskName(const Job& job, const proto::TaskId& task);

// Flink's web.checkpoints.history and web.exception-history-size defaults; the window the
// checkpoint summary's percentiles are taken over.
inline constexpr size_t kCheckpointHistory = 10;
inline constexpr size_t kExceptionHistory = 16;
inline constexpr size_t kCheckpointSummaryWindow = 1000;

// Records a completed or failed checkpoint (or savepoint) in the job's history, and a completed
// one in the summary's window.
void RecordCheckpoint(Job& job, proto::CheckpointStats stats);
// Records a failure that restarts or fails the job.
void RecordException(Job& job, proto::JobException exception);

// min, max, average and percentiles (nearest rank) of `values`; all 0 when empty.
proto::Percentiles PercentilesOf(std::vector<int64_t> values);

// The job as clients see it (ecctl, REST): state, checkpoints, and per operator the metrics
// summed over its subtasks, with each subtask's own.
proto::JobStatus ToStatus(const Job& job);

// The job as a restarted JobManager finds it: an ended job as it ended; any other CREATED again
// (the slot timeout counting from now), with the state of its latest checkpoint to restore
// (none, logged, when that cannot be read). Null, logged, when its spec no longer parses.
std::optional<Job> RecoverJob(const StoredJob& stored);
// What of the job survives a JobManager restart.
StoredJob ToStoredJob(const Job& job);

}  // namespace ec
