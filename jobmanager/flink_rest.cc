// Flink-shaped REST views.
#include "jobmanager/flink_rest.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/status_json.h"
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
           {{"web-submit", true},
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
                    // EventCluster's: where Prometheus scrapes it (0: nowhere).
                    {"metricsPort", tm.metrics_port()},
                    // Flink's freeMemory and managedMemory are the JVM's: left out.
                    {"hardware",
                     {{"cpuCores", tm.cpu_cores()},
                      {"physicalMemory", tm.physical_memory_bytes()}}}});
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
      {"checkpoint_type", c.savepoint() ? "SAVEPOINT" : "CHECKPOINT"},
      {"trigger_timestamp", c.trigger_time_ms()},
      {"latest_ack_timestamp", c.end_time_ms()},
      {"end_to_end_duration", c.duration_ms()},
      {"state_size", c.size_bytes()},
      {"num_subtasks", c.subtasks()},
      {"num_acknowledged_subtasks", c.acknowledged()}};
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
            {"state_size", PercentilesJson(summary.size_bytes())}}},
          {"latest", latest},
          {"history", history}};
}

nlohmann::json FlinkExceptions(const proto::JobStatus& job) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : job.exceptions()) {
    auto or_null = [](const std::string& v) {
      return v.empty() ? nlohmann::json() : nlohmann::json(v);
    };
    entries.push_back({{"exceptionName", "ec::JobFailure"},
                       {"stacktrace", e.cause()},
                       {"timestamp", e.time_ms()},
                       {"taskName", or_null(e.task())},
                       {"endpoint", or_null(e.endpoint())},
                       {"taskManagerId", or_null(e.taskmanager())}});
  }
  return {{"exceptionHistory", {{"entries", entries}, {"truncated", false}}}};
}

std::string FlinkVertexId(int vertex) { return absl::StrFormat("%032x", vertex + 1); }

int VertexOfFlinkId(const std::string& id) {
  uint64_t value = 0;
  if (id.size() != 32 || !absl::SimpleHexAtoi(id, &value) || value == 0 || value > 1 << 20) {
    return -1;
  }
  return static_cast<int>(value - 1);
}

namespace {

const char* ShipStrategy(proto::Partitioning p) {
  switch (p) {
    case proto::PARTITIONING_REBALANCE: return "REBALANCE";
    case proto::PARTITIONING_HASH: return "HASH";
    case proto::PARTITIONING_BROADCAST: return "BROADCAST";
    default: return "FORWARD";
  }
}

// The subtasks of `vertex`: those of its first operator (every operator of a chain lists the
// same subtasks), with the first and last operator's metrics for the vertex's input and output.
struct VertexView {
  const proto::OperatorStatus* first = nullptr;
  const proto::OperatorStatus* last = nullptr;
};
VertexView ViewOf(const proto::JobStatus& job, int vertex) {
  VertexView view;
  for (const auto& op : job.operators()) {
    if (op.vertex() != vertex) continue;
    if (view.first == nullptr) view.first = &op;
    view.last = &op;
  }
  return view;
}

// Flink's IOMetricsInfo of one subtask (or summed): network input and output only.
nlohmann::json IoMetrics(uint64_t read_records, uint64_t read_bytes, uint64_t write_records,
                         uint64_t write_bytes, int64_t busy_ms, int64_t backpressured_ms,
                         int64_t idle_ms) {
  return {{"read-records", read_records},       {"read-records-complete", true},
          {"read-bytes", read_bytes},           {"read-bytes-complete", true},
          {"write-records", write_records},     {"write-records-complete", true},
          {"write-bytes", write_bytes},         {"write-bytes-complete", true},
          {"accumulated-busy-time", busy_ms},   {"accumulated-backpressured-time", backpressured_ms},
          {"accumulated-idle-time", idle_ms}};
}

nlohmann::json SubtaskIo(const proto::JobStatus& job, const VertexView& view, int index) {
  const int vertex = view.first->vertex();
  const bool has_input = vertex > 0;
  const bool has_output = vertex + 1 < job.vertices_size();
  const proto::SubtaskInfo& in = view.first->subtasks(index);
  const proto::SubtaskInfo& out = view.last->subtasks(index);
  return IoMetrics(has_input ? in.metrics().records_in() : 0,
                   has_input ? in.metrics().bytes_in() : 0,
                   has_output ? out.metrics().records_out() : 0,
                   has_output ? out.metrics().bytes_out() : 0, BusyMs(in), in.backpressured_ms(),
                   in.idle_ms());
}

// The aggregate state of a vertex's subtasks, as Flink's ExecutionJobVertex derives it: any
// failed → FAILED, else any canceling/canceled, else all finished → FINISHED, else any running
// → RUNNING, else the earliest state any subtask is in.
std::string VertexState(const VertexView& view) {
  if (view.first == nullptr || view.first->subtasks_size() == 0) return "CREATED";
  std::set<proto::TaskState> states;
  for (const auto& sub : view.first->subtasks()) states.insert(sub.state());
  for (proto::TaskState s : {proto::TASK_FAILED, proto::TASK_CANCELED}) {
    if (states.count(s)) return TaskStateName(s);
  }
  if (states.size() == 1) return TaskStateName(*states.begin());
  if (states.count(proto::TASK_RUNNING)) return "RUNNING";
  return TaskStateName(*states.begin());
}

}  // namespace

nlohmann::json FlinkJobDetails(const proto::JobStatus& job, int64_t now_ms) {
  const nlohmann::json overview = FlinkJobOverview(job, now_ms);
  nlohmann::json vertices = nlohmann::json::array();
  nlohmann::json nodes = nlohmann::json::array();
  nlohmann::json status_counts;
  for (const char* key : kTaskStateKeys) status_counts[absl::AsciiStrToUpper(key)] = 0;
  for (const proto::VertexInfo& v : job.vertices()) {
    const VertexView view = ViewOf(job, v.id());
    nlohmann::json tasks;
    for (const char* key : kTaskStateKeys) tasks[absl::AsciiStrToUpper(key)] = 0;
    uint64_t read_records = 0, read_bytes = 0, write_records = 0, write_bytes = 0;
    int64_t busy = 0, backpressured = 0, idle = 0;
    if (view.first != nullptr) {
      for (int i = 0; i < view.first->subtasks_size(); ++i) {
        const std::string state = TaskStateName(view.first->subtasks(i).state());
        if (tasks.contains(state)) tasks[state] = tasks[state].get<int>() + 1;
        const nlohmann::json io = SubtaskIo(job, view, i);
        read_records += io["read-records"].get<uint64_t>();
        read_bytes += io["read-bytes"].get<uint64_t>();
        write_records += io["write-records"].get<uint64_t>();
        write_bytes += io["write-bytes"].get<uint64_t>();
        busy += io["accumulated-busy-time"].get<int64_t>();
        backpressured += io["accumulated-backpressured-time"].get<int64_t>();
        idle += io["accumulated-idle-time"].get<int64_t>();
      }
    }
    const std::string state = VertexState(view);
    if (status_counts.contains(state)) status_counts[state] = status_counts[state].get<int>() + 1;
    vertices.push_back({{"id", FlinkVertexId(v.id())},
                        {"name", v.name()},
                        {"maxParallelism", job.max_parallelism()},
                        {"parallelism", v.parallelism()},
                        {"status", state},
                        {"start-time", job.start_time_ms()},
                        {"end-time", overview["end-time"]},
                        {"duration", overview["duration"]},
                        {"tasks", tasks},
                        {"metrics", IoMetrics(read_records, read_bytes, write_records,
                                              write_bytes, busy, backpressured, idle)}});
    nlohmann::json node = {{"id", FlinkVertexId(v.id())},
                           {"parallelism", v.parallelism()},
                           {"description", v.name()}};
    if (v.id() > 0) {
      node["inputs"] = nlohmann::json::array(
          {{{"num", 0},
            {"id", FlinkVertexId(v.id() - 1)},
            {"ship_strategy", ShipStrategy(v.input())},
            {"exchange", "pipelined_bounded"}}});
      if (!v.key_fields().empty()) {
        node["inputs"][0]["key_fields"] =
            std::vector<std::string>(v.key_fields().begin(), v.key_fields().end());
      }
    }
    nodes.push_back(std::move(node));
  }
  nlohmann::json out = overview;
  out["job-type"] = "STREAMING";
  out["maxParallelism"] = job.max_parallelism();
  out["now"] = now_ms;
  out["vertices"] = vertices;
  out["status-counts"] = status_counts;
  out["plan"] = {{"jid", job.id()}, {"name", job.name()}, {"type", "STREAMING"}, {"nodes", nodes}};
  return out;
}

absl::StatusOr<nlohmann::json> FlinkVertexDetails(
    const proto::JobStatus& job, int vertex, const std::vector<proto::TaskManagerInfo>& tms,
    int64_t now_ms) {
  const VertexView view = ViewOf(job, vertex);
  if (vertex < 0 || vertex >= job.vertices_size()) {
    return absl::NotFoundError(absl::StrCat("job ", job.id(), " has no vertex ", vertex));
  }
  const proto::VertexInfo& v = job.vertices(vertex);
  const nlohmann::json overview = FlinkJobOverview(job, now_ms);
  nlohmann::json subtasks = nlohmann::json::array();
  for (int i = 0; view.first != nullptr && i < view.first->subtasks_size(); ++i) {
    const proto::SubtaskInfo& sub = view.first->subtasks(i);
    std::string endpoint;
    for (const auto& tm : tms) {
      if (tm.id() == sub.taskmanager_id()) endpoint = tm.address();
    }
    subtasks.push_back({{"subtask", sub.subtask()},
                        {"status", TaskStateName(sub.state())},
                        {"attempt", job.attempt()},
                        {"endpoint", endpoint},
                        {"taskmanager-id", sub.taskmanager_id()},
                        {"start-time", job.start_time_ms()},
                        {"end-time", overview["end-time"]},
                        {"duration", sub.running_ms()},
                        {"metrics", SubtaskIo(job, view, i)}});
  }
  return nlohmann::json{{"id", FlinkVertexId(vertex)},
                        {"name", v.name()},
                        {"parallelism", v.parallelism()},
                        {"maxParallelism", job.max_parallelism()},
                        {"now", now_ms},
                        {"subtasks", subtasks}};
}

absl::StatusOr<nlohmann::json> FlinkWatermarks(const proto::JobStatus& job, int vertex) {
  if (vertex < 0 || vertex >= job.vertices_size()) {
    return absl::NotFoundError(absl::StrCat("job ", job.id(), " has no vertex ", vertex));
  }
  const VertexView view = ViewOf(job, vertex);
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0; view.last != nullptr && i < view.last->subtasks_size(); ++i) {
    const proto::SubtaskInfo& sub = view.last->subtasks(i);
    if (!sub.metrics().has_watermark()) continue;
    out.push_back({{"id", absl::StrCat(sub.subtask(), ".currentOutputWatermark")},
                   {"value", absl::StrCat(sub.metrics().watermark())}});
  }
  return out;
}

absl::StatusOr<nlohmann::json> FlinkBackPressure(const proto::JobStatus& job, int vertex,
                                                 int64_t now_ms) {
  if (vertex < 0 || vertex >= job.vertices_size()) {
    return absl::NotFoundError(absl::StrCat("job ", job.id(), " has no vertex ", vertex));
  }
  const VertexView view = ViewOf(job, vertex);
  auto level = [](double ratio) { return ratio > 0.5 ? "high" : ratio > 0.1 ? "low" : "ok"; };
  double worst = 0;
  nlohmann::json subtasks = nlohmann::json::array();
  for (int i = 0; view.first != nullptr && i < view.first->subtasks_size(); ++i) {
    const proto::SubtaskInfo& sub = view.first->subtasks(i);
    const double running = static_cast<double>(std::max<int64_t>(sub.running_ms(), 1));
    const double ratio = static_cast<double>(sub.backpressured_ms()) / running;
    worst = std::max(worst, ratio);
    subtasks.push_back({{"subtask", sub.subtask()},
                        {"attemptNumber", job.attempt()},
                        {"backpressureLevel", level(ratio)},
                        {"ratio", ratio},
                        {"busyRatio", static_cast<double>(BusyMs(sub)) / running},
                        {"idleRatio", static_cast<double>(sub.idle_ms()) / running}});
  }
  return nlohmann::json{{"status", "ok"},
                        {"backpressureLevel", level(worst)},
                        {"end-timestamp", now_ms},
                        {"subtasks", subtasks}};
}

nlohmann::json FlinkJobConfig(const proto::JobStatus& job) {
  nlohmann::json user = nlohmann::json::object();
  for (const auto& [name, value] : job.config().parameters()) user[name] = value;
  return {{"jid", job.id()},
          {"name", job.name()},
          {"execution-config",
           {{"execution-mode", "PIPELINED"},
            {"restart-strategy", job.restart_strategy()},
            {"job-parallelism", job.config().parallelism()},
            {"user-config", user}}}};
}

absl::StatusOr<nlohmann::json> FlinkCheckpointConfig(const proto::JobStatus& job) {
  const proto::JobConfig& c = job.config();
  if (c.checkpoint_interval_ms() <= 0) {
    return absl::NotFoundError("Checkpointing is not enabled for this job (" + job.id() + ")");
  }
  return nlohmann::json{
      {"mode", "exactly_once"},  // barriers are always aligned
      {"interval", c.checkpoint_interval_ms()},
      {"timeout", c.checkpoint_timeout_ms()},
      {"max_concurrent", 1},
      {"externalization", {{"enabled", true}, {"delete_on_cancellation", false}}},
      {"state_backend", "EmbeddedRocksDBStateBackend"},
      {"checkpoint_storage", "FileSystemCheckpointStorage"},
      {"unaligned_checkpoints", false},
      {"tolerable_failed_checkpoints",
       c.tolerable_failed_checkpoints() < 0 ? nlohmann::json(INT32_MAX)
                                            : nlohmann::json(c.tolerable_failed_checkpoints())},
      {"checkpoints_after_tasks_finish", true}};
}

nlohmann::json FlinkErrors(const std::string& message) {
  return {{"errors", nlohmann::json::array({message})}};
}

}  // namespace ec
