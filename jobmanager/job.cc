// Helpers over a Job: finding an execution, naming a task, the status clients see.
#include "jobmanager/job.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "jobmanager/job_state_machine.h"
#include "operators/registry.h"
#include "runtime/logging.h"
#include "runtime/security/listen_policy.h"

namespace ec {

bool IsTerminalTask(proto::TaskState state) {
  return state == proto::TASK_FINISHED || state == proto::TASK_CANCELED ||
         state == proto::TASK_FAILED;
}

Execution* FindExecution(Job& job, const proto::TaskId& task) {
  for (auto& e : job.executions) {
    if (e.id.attempt() == task.attempt() && e.id.vertex() == task.vertex() &&
        e.id.subtask() == task.subtask()) {
      return &e;
    }
  }
  return nullptr;
}

std::string TaskName(const Job& job, const proto::TaskId& task) {
  // A one-chain job's tasks are the job's subtasks; otherwise name the chain.
  const bool one = job.graph.vertices.size() <= 1 ||
                   task.vertex() >= static_cast<int>(job.graph.vertices.size());
  return absl::StrCat(one ? job.spec.name : job.graph.vertices[task.vertex()].name, "#",
                      task.subtask());
}

void RecordCheckpoint(Job& job, proto::CheckpointStats stats) {
  if (stats.status() == "COMPLETED") {
    job.completed_window.emplace_back(stats.duration_ms(), stats.size_bytes());
    if (job.completed_window.size() > kCheckpointSummaryWindow) job.completed_window.pop_front();
  }
  job.checkpoint_history.push_front(std::move(stats));
  if (job.checkpoint_history.size() > kCheckpointHistory) job.checkpoint_history.pop_back();
}

void RecordException(Job& job, proto::JobException exception) {
  job.exceptions.push_front(std::move(exception));
  if (job.exceptions.size() > kExceptionHistory) job.exceptions.pop_back();
}

proto::Percentiles PercentilesOf(std::vector<int64_t> values) {
  proto::Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  const auto rank = [&](double q) {
    const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    return static_cast<double>(values[std::clamp<size_t>(i, 1, values.size()) - 1]);
  };
  p.set_min(values.front());
  p.set_max(values.back());
  p.set_avg(std::accumulate(values.begin(), values.end(), int64_t{0}) /
            static_cast<int64_t>(values.size()));
  p.set_p50(rank(0.5));
  p.set_p90(rank(0.9));
  p.set_p95(rank(0.95));
  p.set_p99(rank(0.99));
  p.set_p999(rank(0.999));
  return p;
}

proto::JobStatus ToStatus(const Job& job) {
  proto::JobStatus status;
  status.set_id(job.id);
  status.set_name(job.spec.name);
  status.set_state(job.state);
  status.set_failure(job.failure.empty() ? job.last_failure : job.failure);
  status.set_restarts(job.restart_history.restarts);
  status.set_restart_strategy(RestartStrategyText(job.spec.restart));
  if (job.latest_checkpoint.id() > 0) *status.mutable_latest_checkpoint() = job.latest_checkpoint;
  status.set_checkpoints_completed(job.checkpoints_completed);
  status.set_checkpoints_failed(job.checkpoints_failed);
  if (job.pending_checkpoint) {
    proto::CheckpointStats* now = status.add_checkpoint_history();
    now->set_id(job.pending_checkpoint->id);
    now->set_status("IN_PROGRESS");
    now->set_savepoint(!job.pending_checkpoint->savepoint_dir.empty());
    now->set_trigger_time_ms(absl::ToUnixMillis(job.pending_checkpoint->triggered));
    now->set_subtasks(static_cast<int32_t>(job.executions.size()));
    now->set_acknowledged(static_cast<int32_t>(job.pending_checkpoint->acked.size()));
  }
  for (const auto& stats : job.checkpoint_history) *status.add_checkpoint_history() = stats;
  std::vector<int64_t> durations, sizes;
  for (const auto& [duration, size] : job.completed_window) {
    durations.push_back(duration);
    sizes.push_back(size);
  }
  *status.mutable_checkpoint_summary()->mutable_duration_ms() = PercentilesOf(std::move(durations));
  *status.mutable_checkpoint_summary()->mutable_size_bytes() = PercentilesOf(std::move(sizes));
  if (!job.restored_checkpoint.status().empty()) {
    *status.mutable_restored_checkpoint() = job.restored_checkpoint;
  }
  for (const auto& e : job.exceptions) *status.add_exceptions() = e;
  status.set_max_parallelism(job.spec.max_parallelism);
  proto::JobConfig* config = status.mutable_config();
  config->set_parallelism(job.spec.parallelism);
  if (job.spec.checkpoint_interval) {
    config->set_checkpoint_interval_ms(absl::ToInt64Milliseconds(*job.spec.checkpoint_interval));
  }
  config->set_tolerable_failed_checkpoints(job.spec.tolerable_failed_checkpoints.value_or(-1));
  for (const auto& [name, value] : job.spec.parameters) {
    (*config->mutable_parameters())[name] =
        IsSecretParameter(name) && !value.empty() ? "******" : value;
  }
  status.set_attempt(job.attempt);
  for (const JobVertex& v : job.graph.vertices) {
    proto::VertexInfo* info = status.add_vertices();
    info->set_id(v.id);
    info->set_name(v.name);
    info->set_parallelism(v.parallelism);
    if (v.id > 0) info->set_input(v.input);
    for (const auto& f : v.key_fields) info->add_key_fields(f);
  }
  status.set_start_time_ms(absl::ToUnixMillis(job.submitted));
  if (job.ended != absl::InfinitePast()) status.set_end_time_ms(absl::ToUnixMillis(job.ended));
  for (const JobVertex& v : job.graph.vertices) {
    for (size_t step = 0; step < v.operators.size(); ++step) {
      proto::OperatorStatus* op = status.add_operators();
      op->set_vertex(v.id);
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

std::optional<Job> RecoverJob(const StoredJob& stored) {
  auto spec = ParseJobSpec(stored.spec_json);
  if (!spec.ok()) {
    Logger("jobmanager")
        ->warn("job={} cannot be recovered: {}", stored.id, spec.status().message());
    return std::nullopt;
  }
  auto graph = BuildJobGraph(*spec, TraitsOf);
  if (!graph.ok()) {
    Logger("jobmanager")
        ->warn("job={} cannot be recovered: {}", stored.id, graph.status().message());
    return std::nullopt;
  }
  Job job;
  job.id = stored.id;
  job.spec = *std::move(spec);
  job.graph = *std::move(graph);
  job.spec_json = stored.spec_json;
  job.failure = stored.failure;
  job.attempt = stored.attempt;
  job.restart_history.restarts = stored.restarts;
  proto::JobState state = proto::CREATED;
  proto::JobState_Parse(stored.state, &state);
  job.submitted = absl::FromUnixMillis(stored.submitted_ms);
  if (IsTerminal(state)) {
    job.state = state;
    job.ended = job.submitted;
    return job;
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
  return job;
}

StoredJob ToStoredJob(const Job& job) {
  StoredJob stored;
  stored.id = job.id;
  stored.spec_json = job.spec_json;
  stored.state = JobStateName(job.state);
  stored.failure = job.failure;
  stored.submitted_ms = absl::ToUnixMillis(job.submitted);
  stored.attempt = job.attempt;
  stored.restarts = job.restart_history.restarts;
  stored.latest_checkpoint_id = job.latest_checkpoint.id();
  stored.latest_checkpoint_path = job.latest_checkpoint.path();
  return stored;
}

}  // namespace ec
