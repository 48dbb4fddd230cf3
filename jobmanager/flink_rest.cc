// Flink-shaped REST views.
#include "jobmanager/flink_rest.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "jobmanager/job_state_machine.h"

namespace ec {
namespace {

// Flink's ExecutionState names, lower-cased as /jobs/overview's `tasks` keys them.
const char* const kTaskStateKeys[] = {"created",  "scheduled", "deploying",    "running",
                                      "finished", "canceling", "canceled",     "failed",
                                      "reconciling", "initializing"};

// A task state as /jobs/overview's `tasks` keys it: Flink's ExecutionState, lower-cased.
std::string TaskStateKey(proto::TaskState state) {
  if (state == proto::TASK_STATE_UNSPECIFIED) return "created";
  return absl::AsciiStrToLower(TaskStateName(state));
}

}  // namespace

std::string FlinkJobState(proto::JobState state) {
  // Our job states carry Flink's names; a job not yet given one is Flink's INITIALIZING.
  return state == proto::JOB_STATE_UNSPECIFIED ? "INITIALIZING" : JobStateName(state);
}

nlohmann::json FlinkConfig() {
  return {{"refresh-interval", 3000},
          {"timezone-name", "Coordinated Universal Time"},
          {"timezone-offset", 0},
          {"flink-version", kFlinkApiVersion},
          {"flink-revision", "eventcluster"},
          {"eventcluster-version", kEventClusterVersion},
          {"features",
           {{"web-submit", false},
            {"web-cancel", true},
            {"web-rescale", false},
            {"web-history", false}}}};
}

SlotCount CountSlots(const std::vector<proto::TaskManagerInfo>& taskmanagers) {
  SlotCount count;
  for (const auto& tm : taskmanagers) {
    count.total += tm.slots();
    count.available += tm.free_slots();
  }
  return count;
}

nlohmann::json FlinkOverview(const std::vector<proto::JobStatus>& jobs,
                             const std::vector<proto::TaskManagerInfo>& taskmanagers) {
  const SlotCount slots = CountSlots(taskmanagers);
  int running = 0, finished = 0, cancelled = 0, failed = 0;
  for (const auto& job : jobs) {
    switch (job.state()) {
      case proto::FINISHED: ++finished; break;
      case proto::CANCELED: ++cancelled; break;
      case proto::FAILED: ++failed; break;
      default: ++running; break;  // Flink counts created and restarting jobs as running
    }
  }
  return {{"taskmanagers", taskmanagers.size()},
          {"slots-total", slots.total},
          {"slots-available", slots.available},
          {"jobs-running", running},
          {"jobs-finished", finished},
          {"jobs-cancelled", cancelled},
          {"jobs-failed", failed},
          {"flink-version", kFlinkApiVersion},
          {"flink-commit", "eventcluster"},
          {"eventcluster-version", kEventClusterVersion}};
}

nlohmann::json FlinkJobIds(const std::vector<proto::JobStatus>& jobs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& job : jobs) {
    list.push_back({{"id", job.id()}, {"status", FlinkJobState(job.state())}});
  }
  return {{"jobs", list}};
}

nlohmann::json FlinkJobOverview(const proto::JobStatus& job, int64_t now_ms) {
  nlohmann::json tasks;
  for (const char* key : kTaskStateKeys) tasks[key] = 0;
  int total = 0;
  // Operators of one chain share its subtasks: count each chain's subtasks once.
  std::set<int> counted;
  for (const auto& op : job.operators()) {
    if (!counted.insert(op.vertex()).second) continue;
    for (const auto& sub : op.subtasks()) {
      auto& count = tasks[TaskStateKey(sub.state())];
      count = count.get<int>() + 1;
      ++total;
    }
  }
  tasks["total"] = total;
  const bool ended = IsTerminal(job.state()) && job.end_time_ms() > 0;
  const int64_t end = ended ? job.end_time_ms() : -1;
  const int64_t duration = std::max<int64_t>(0, (ended ? end : now_ms) - job.start_time_ms());
  return {{"jid", job.id()},
          {"name", job.name()},
          {"state", FlinkJobState(job.state())},
          {"start-time", job.start_time_ms()},
          {"end-time", end},
          {"duration", duration},
          {"last-modification", ended ? end : job.start_time_ms()},
          {"tasks", tasks}};
}

nlohmann::json FlinkTaskManagers(const std::vector<proto::TaskManagerInfo>& taskmanagers) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& tm : taskmanagers) {
    int data_port = -1;
    if (auto colon = tm.data_address().rfind(':'); colon != std::string::npos) {
      if (!absl::SimpleAtoi(tm.data_address().substr(colon + 1), &data_port)) data_port = -1;
    }
    list.push_back({{"id", tm.id()},
                    {"path", tm.address()},
                    {"dataPort", data_port},
                    {"slotsNumber", tm.slots()},
                    {"freeSlots", tm.free_slots()},
                    {"timeSinceLastHeartbeat", tm.last_heartbeat_ms()},
                    {"hardware", nlohmann::json::object()}});
  }
  return {{"taskmanagers", list}};
}

namespace {

nlohmann::json PercentilesJson(const proto::Percentiles& p) {
  return {{"min", p.min()}, {"max", p.max()}, {"avg", p.avg()},   {"p50", p.p50()},
          {"p90", p.p90()}, {"p95", p.p95()}, {"p99", p.p99()}, {"p999", p.p999()}};
}

nlohmann::json CheckpointJson(const proto::CheckpointStats& c) {
  const bool completed = c.status() == "COMPLETED";
  const bool failed = c.status() == "FAILED";
  nlohmann::json out = {
      {"className", completed ? ".CompletedCheckpointStatistics"
                    : failed  ? ".FailedCheckpointStatistics"
                              : ".PendingCheckpointStatistics"},
      {"id", c.id()},
      {"status", c.status()},
      {"is_savepoint", c.savepoint()},
      {"savepointFormat", c.savepoint() ? nlohmann::json("CANONICAL") : nlohmann::json()},
      {"checkpoint_type", c.savepoint() ? "SAVEPOINT" : "CHECKPOINT"},
      {"trigger_timestamp", c.trigger_time_ms()},
      {"latest_ack_timestamp", c.end_time_ms()},
      {"end_to_end_duration", c.duration_ms()},
      {"state_size", c.size_bytes()},
      {"checkpointed_size", c.size_bytes()},
      {"alignment_buffered", 0},
      {"processed_data", 0},
      {"persisted_data", 0},
      {"num_subtasks", c.subtasks()},
      {"num_acknowledged_subtasks", c.acknowledged()},
      {"tasks", nlohmann::json::object()}};
  if (completed) {
    out["external_path"] = c.path();
    out["discarded"] = false;
  }
  if (failed) {
    out["failure_timestamp"] = c.end_time_ms();
    out["failure_message"] = c.failure();
  }
  return out;
}

}  // namespace

nlohmann::json FlinkCheckpoints(const proto::JobStatus& job) {
  nlohmann::json history = nlohmann::json::array();
  nlohmann::json latest = {{"completed", nullptr},
                           {"savepoint", nullptr},
                           {"failed", nullptr},
                           {"restored", nullptr}};
  int64_t in_progress = 0;
  for (const auto& c : job.checkpoint_history()) {
    history.push_back(CheckpointJson(c));
    if (c.status() == "IN_PROGRESS") ++in_progress;
    const char* slot = c.status() == "FAILED"  ? "failed"
                       : c.status() != "COMPLETED" ? nullptr
                       : c.savepoint()             ? "savepoint"
                                                   : "completed";
    if (slot != nullptr && latest[slot].is_null()) latest[slot] = history.back();
  }
  if (job.has_restored_checkpoint()) {
    const auto& r = job.restored_checkpoint();
    latest["restored"] = {{"id", r.id()},
                          {"restore_timestamp", r.end_time_ms()},
                          {"is_savepoint", r.savepoint()},
                          {"external_path", r.path()}};
  }
  const auto& summary = job.checkpoint_summary();
  return {{"counts",
           {{"restored", job.has_restored_checkpoint() ? 1 : 0},
            {"total", job.checkpoints_completed() + job.checkpoints_failed() + in_progress},
            {"in_progress", in_progress},
            {"completed", job.checkpoints_completed()},
            {"failed", job.checkpoints_failed()}}},
          {"summary",
           {{"end_to_end_duration", PercentilesJson(summary.duration_ms())},
            {"state_size", PercentilesJson(summary.size_bytes())},
            {"checkpointed_size", PercentilesJson(summary.size_bytes())},
            {"alignment_buffered", PercentilesJson({})},
            {"processed_data", PercentilesJson({})},
            {"persisted_data", PercentilesJson({})}}},
          {"latest", latest},
          {"history", history}};
}

nlohmann::json FlinkExceptions(const proto::JobStatus& job) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : job.exceptions()) {
    entries.push_back({{"exceptionName", "ec::JobFailure"},
                       {"stacktrace", e.cause()},
                       {"timestamp", e.time_ms()},
                       {"taskName", e.task().empty() ? nlohmann::json() : nlohmann::json(e.task())},
                       {"endpoint", e.endpoint().empty() ? nlohmann::json() : nlohmann::json(e.endpoint())},
                       {"taskManagerId", e.taskmanager().empty() ? nlohmann::json()
                                                                 : nlohmann::json(e.taskmanager())},
                       {"failureLabels", nlohmann::json::object()},
                       {"concurrentExceptions", nlohmann::json::array()}});
  }
  return {{"exceptionHistory", {{"entries", entries}, {"truncated", false}}}};
}

nlohmann::json FlinkErrors(const std::string& message) {
  return {{"errors", nlohmann::json::array({message})}};
}

}  // namespace ec
