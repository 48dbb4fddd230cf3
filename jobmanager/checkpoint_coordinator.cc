// Checkpoint coordination: trigger, acknowledge, complete, abort, savepoints, notify.
#include "jobmanager/checkpoint_coordinator.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/logging.h"
#include "runtime/state/subtask_state.h"
#include "runtime/util/fault_point.h"

namespace ec {

CheckpointCoordinator::CheckpointCoordinator(std::string checkpoint_dir, int retained,
                                             int64_t epoch, absl::Duration timeout, Hooks hooks)
    : store_(std::move(checkpoint_dir), retained),
      epoch_(epoch),
      timeout_(timeout),
      hooks_(std::move(hooks)) {}

void CheckpointCoordinator::TriggerDue(std::map<std::string, Job>& jobs, absl::Time now) {
  for (auto& [id, job] : jobs) {
    if (job.state != proto::RUNNING || !job.spec.checkpoint_interval) continue;
    if (job.pending_checkpoint) {
      if (now - job.pending_checkpoint->triggered > timeout_) {
        Abort(job, "expired before every task acknowledged");
      }
      continue;
    }
    if (now < job.next_checkpoint) continue;
    Trigger(job, "", false);
  }
}

void CheckpointCoordinator::Trigger(Job& job, std::string savepoint_dir, bool stop) {
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
    std::shared_ptr<TaskManagerGateway> gateway = hooks_.gateway_of(e.taskmanager_id);
    if (!gateway) continue;
    proto::TriggerCheckpointRequest request;
    request.set_jobmanager_epoch(epoch_);
    *request.mutable_task() = e.id;
    request.set_checkpoint_id(pending.id);
    request.set_stop_after(stop);
    hooks_.enqueue([gateway, request] {
      if (auto s = gateway->TriggerCheckpoint(request); !s.ok()) {
        Logger("jobmanager")
            ->warn("job={} ckpt={} trigger failed: {}", request.task().job_id(),
                   request.checkpoint_id(), s.message());
      }
    });
  }
  job.pending_checkpoint = std::move(pending);
}

void CheckpointCoordinator::Abort(Job& job, const std::string& reason, bool checkpoint_failure) {
  if (!job.pending_checkpoint) return;
  Logger("jobmanager")
      ->warn("job={} ckpt={} aborted: {}", job.id, job.pending_checkpoint->id, reason);
  const bool savepoint = !job.pending_checkpoint->savepoint_dir.empty();
  if (savepoint) {
    savepoint_results_[absl::StrCat(job.id, "/", job.pending_checkpoint->id)] =
        absl::AbortedError(absl::StrCat("savepoint aborted: ", reason));
  }
  if (job.pending_checkpoint->id == job.rescale_checkpoint) job.rescale_to = 0;
  proto::CheckpointStats stats;
  stats.set_id(job.pending_checkpoint->id);
  stats.set_status("FAILED");
  stats.set_savepoint(savepoint);
  stats.set_trigger_time_ms(absl::ToUnixMillis(job.pending_checkpoint->triggered));
  stats.set_end_time_ms(absl::ToUnixMillis(absl::Now()));
  stats.set_duration_ms(stats.end_time_ms() - stats.trigger_time_ms());
  stats.set_failure(reason);
  stats.set_subtasks(static_cast<int32_t>(job.executions.size()));
  stats.set_acknowledged(static_cast<int32_t>(job.pending_checkpoint->acked.size()));
  RecordCheckpoint(job, std::move(stats));
  job.pending_checkpoint.reset();
  ++job.checkpoints_failed;
  if (job.spec.checkpoint_interval)
    job.next_checkpoint = absl::Now() + *job.spec.checkpoint_interval;
  if (!checkpoint_failure || savepoint) return;
  const std::optional<int>& tolerable = job.spec.tolerable_failed_checkpoints;
  if (tolerable && ++job.consecutive_failed_checkpoints > *tolerable) {
    job.consecutive_failed_checkpoints = 0;
    hooks_.fail_job(job, absl::StrCat("more than ", *tolerable,
                                      " consecutive checkpoints failed; last: ", reason));
  }
}

void CheckpointCoordinator::Acknowledge(Job& job, const proto::CheckpointAck& ack) {
  if (!job.pending_checkpoint || job.pending_checkpoint->id != ack.checkpoint_id()) return;
  const int subtask = ack.task().subtask();
  if (!FindExecution(job, ack.task())) return;  // from an attempt that has been replaced
  if (!ack.decline_reason().empty()) {
    Abort(job, absl::StrCat("declined by subtask ", subtask, ": ", ack.decline_reason()));
    return;
  }
  Job::PendingCheckpoint& pending = *job.pending_checkpoint;
  for (const auto& [name, bytes] : ack.state()) {
    // Each subtask writes only its own entries; anything else would overwrite another's state.
    ParsedStateKey key;
    if (!ParseSubtaskStateKey(name, &key) || key.subtask != subtask) {
      Abort(job, absl::StrCat("subtask ", subtask, " acknowledged state '", name,
                              "', not named <operator>#", subtask));
      return;
    }
    pending.data.state[name] = bytes;
  }
  // Every subtask's state files, side by side: a retained checkpoint keeps all of them.
  pending.data.files.insert(ack.state_files().begin(), ack.state_files().end());
  pending.acked.insert({ack.task().vertex(), subtask});
  if (pending.acked.size() >= job.executions.size()) Complete(job);
}

void CheckpointCoordinator::Complete(Job& job) {
  Job::PendingCheckpoint pending = *std::move(job.pending_checkpoint);
  job.pending_checkpoint.reset();
  auto stored =
      pending.savepoint_dir.empty()
          ? store_.Write(job.id, pending.id, absl::ToUnixMillis(pending.triggered), pending.data)
          : CheckpointStore::WriteTo(pending.savepoint_dir, job.id, pending.id,
                                     absl::ToUnixMillis(pending.triggered), pending.data,
                                     store_.JobDir(job.id));
  if (!stored.ok()) {
    job.pending_checkpoint = pending;
    Abort(job, std::string(stored.status().message()));
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
  job.latest_state.base_dir = pending.savepoint_dir.empty() ? store_.JobDir(job.id) : stored->path;
  ++job.checkpoints_completed;
  proto::CheckpointStats stats;
  stats.set_id(pending.id);
  stats.set_status("COMPLETED");
  stats.set_savepoint(!pending.savepoint_dir.empty());
  stats.set_trigger_time_ms(job.latest_checkpoint.trigger_time_ms());
  stats.set_end_time_ms(absl::ToUnixMillis(now));
  stats.set_duration_ms(job.latest_checkpoint.duration_ms());
  stats.set_size_bytes(stored->size_bytes);
  stats.set_path(stored->path);
  stats.set_subtasks(static_cast<int32_t>(pending.acked.size()));
  stats.set_acknowledged(static_cast<int32_t>(pending.acked.size()));
  RecordCheckpoint(job, std::move(stats));
  hooks_.on_complete(job, pending.id);
  hooks_.persist(job);
  if (job.spec.checkpoint_interval) job.next_checkpoint = now + *job.spec.checkpoint_interval;
  if (!pending.savepoint_dir.empty()) {
    savepoint_results_[absl::StrCat(job.id, "/", pending.id)] = stored->path;
    Logger("jobmanager")
        ->info("job={} savepoint {} written to {}", job.id, pending.id, stored->path);
  }
  Logger("jobmanager")
      ->debug("job={} ckpt={} completed in {}ms ({} bytes)", job.id, pending.id,
              job.latest_checkpoint.duration_ms(), stored->size_bytes);
  ReachFaultPoint("after-complete-before-notify");
  for (const auto& e : job.executions) {
    std::shared_ptr<TaskManagerGateway> gateway = hooks_.gateway_of(e.taskmanager_id);
    if (!gateway) continue;
    proto::CheckpointCompleteRequest request;
    request.set_jobmanager_epoch(epoch_);
    *request.mutable_task() = e.id;
    request.set_checkpoint_id(pending.id);
    hooks_.enqueue([gateway, request] { (void)gateway->NotifyCheckpointComplete(request); });
  }
}

absl::Status CheckpointCoordinator::FallBack(Job& job, int64_t lost_checkpoint_id) {
  auto older = store_.RetireFrom(job.id, lost_checkpoint_id);
  if (!older.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint ", lost_checkpoint_id,
        " cannot be restored: its pre-committed output was aborted by the broker, and no older "
        "checkpoint is retained to replay from; the records written before checkpoint ",
        lost_checkpoint_id, " (since the job started or its savepoint) are lost"));
  }
  auto data = CheckpointStore::Read(older->path);
  if (!data.ok()) return data.status();
  job.latest_state = *std::move(data);
  job.latest_state.base_dir = store_.JobDir(job.id);
  const int64_t id = std::stoll(std::filesystem::path(older->path).filename().string().substr(4));
  Logger("jobmanager")
      ->warn(
          "job={} ckpt={} retired (its pre-committed output was aborted by the broker); "
          "restoring ckpt={} and replaying from there",
          job.id, lost_checkpoint_id, id);
  job.latest_checkpoint = proto::CheckpointInfo();
  job.latest_checkpoint.set_id(id);
  job.latest_checkpoint.set_path(older->path);
  hooks_.persist(job);
  return absl::OkStatus();
}

bool CheckpointCoordinator::HasSavepointResult(const std::string& job_id,
                                               int64_t checkpoint_id) const {
  return savepoint_results_.count(absl::StrCat(job_id, "/", checkpoint_id)) > 0;
}

absl::StatusOr<std::string> CheckpointCoordinator::TakeSavepointResult(const std::string& job_id,
                                                                       int64_t checkpoint_id) {
  const std::string key = absl::StrCat(job_id, "/", checkpoint_id);
  absl::StatusOr<std::string> result = savepoint_results_.at(key);
  savepoint_results_.erase(key);
  return result;
}

}  // namespace ec
