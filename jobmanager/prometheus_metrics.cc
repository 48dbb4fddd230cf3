// Prometheus text exposition of the cluster's metrics.
#include "jobmanager/prometheus_metrics.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jobmanager/flink_rest.h"
#include "proto/status_json.h"

namespace ec {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A label value with '\', '"' and newlines escaped, as the format wants.
std::string EscapeLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Metric families in the order first seen, each with its help text and samples.
class Exposition {
 public:
  void Add(const std::string& name, const char* help, const Labels& labels, int64_t value) {
    auto [it, inserted] = index_.try_emplace(name, families_.size());
    if (inserted) families_.push_back({name, help, {}});
    std::string sample = name;
    if (!labels.empty()) {
      sample += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        absl::StrAppend(&sample, i ? "," : "", labels[i].first, "=\"",
                        EscapeLabel(labels[i].second), "\"");
      }
      sample += '}';
    }
    absl::StrAppend(&sample, " ", value, "\n");
    families_[it->second].samples.push_back(std::move(sample));
  }

  std::string Text() const {
    std::string out;
    for (const auto& f : families_) {
      // Flink's reporter exposes counters as gauges too.
      absl::StrAppend(&out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " gauge\n");
      for (const auto& s : f.samples) out += s;
    }
    return out;
  }

 private:
  struct Family {
    std::string name;
    const char* help;
    std::vector<std::string> samples;
  };
  std::vector<Family> families_;
  std::map<std::string, size_t> index_;
};

void AddClusterMetrics(const std::vector<proto::JobStatus>& jobs,
                       const std::vector<proto::TaskManagerInfo>& taskmanagers, Exposition& out) {
  const SlotCount slots = CountSlots(taskmanagers);
  const auto running = std::count_if(jobs.begin(), jobs.end(), [](const proto::JobStatus& j) {
    return j.state() == proto::RUNNING;
  });
  out.Add("flink_jobmanager_numRegisteredTaskManagers", "Registered TaskManagers.", {},
          static_cast<int64_t>(taskmanagers.size()));
  out.Add("flink_jobmanager_taskSlotsTotal", "Task slots of all TaskManagers.", {},
          slots.total);
  out.Add("flink_jobmanager_taskSlotsAvailable", "Free task slots.", {},
          slots.available);
  out.Add("flink_jobmanager_numRunningJobs", "Jobs in state RUNNING.", {},
          running);
}

void AddJobMetrics(const proto::JobStatus& job, int64_t now_ms, Exposition& out) {
  const Labels labels = {{"job_id", job.id()}, {"job_name", job.name()}};
  const bool running = job.state() == proto::RUNNING;
  out.Add("flink_jobmanager_job_uptime", "Milliseconds the job has run (0 when not running).",
          labels, running ? std::max<int64_t>(0, now_ms - job.start_time_ms()) : 0);
  out.Add("flink_jobmanager_job_numRestarts", "Restarts since the job was submitted.", labels,
          job.restarts());
  out.Add("flink_jobmanager_job_numberOfCompletedCheckpoints", "Completed checkpoints.", labels,
          job.checkpoints_completed());
  out.Add("flink_jobmanager_job_numberOfFailedCheckpoints", "Failed checkpoints.", labels,
          job.checkpoints_failed());
  const auto& last = job.latest_checkpoint();
  out.Add("flink_jobmanager_job_lastCheckpointDuration",
          "Milliseconds from trigger to completion of the latest checkpoint.", labels,
          last.duration_ms());
  out.Add("flink_jobmanager_job_lastCheckpointSize", "Bytes of the latest checkpoint.", labels,
          last.size_bytes());
}

// Per subtask: each operator's records (operator scope) and each chain's bytes and time split
// (task scope, Flink's task = our chain).
void AddTaskMetrics(const proto::JobStatus& job, Exposition& out) {
  std::map<int, std::vector<const proto::OperatorStatus*>> chains;
  for (const auto& op : job.operators()) chains[op.vertex()].push_back(&op);
  for (const auto& [vertex, ops] : chains) {
    std::vector<std::string> names;
    for (const auto* op : ops) names.push_back(op->metrics().name());
    const std::string task_name = absl::StrJoin(names, " -> ");
    for (size_t step = 0; step < ops.size(); ++step) {
      const bool first = step == 0, last = step + 1 == ops.size();
      for (const auto& sub : ops[step]->subtasks()) {
        const Labels task = {{"job_id", job.id()},
                             {"job_name", job.name()},
                             {"task_name", task_name},
                             {"subtask_index", absl::StrCat(sub.subtask())},
                             {"tm_id", sub.taskmanager_id()}};
        Labels op_labels = task;
        op_labels.insert(op_labels.begin() + 3, {"operator_name", ops[step]->metrics().name()});
        const auto& m = sub.metrics();
        out.Add("flink_taskmanager_job_task_operator_numRecordsIn", "Records the operator read.",
                op_labels, static_cast<int64_t>(m.records_in()));
        out.Add("flink_taskmanager_job_task_operator_numRecordsOut",
                "Records the operator emitted.", op_labels, static_cast<int64_t>(m.records_out()));
        out.Add("flink_taskmanager_job_task_operator_numRecordsDeadLetter",
                "EventCluster: malformed records sent to the dead-letter output.", op_labels,
                static_cast<int64_t>(m.records_dead_letter()));
        if (first) {
          out.Add("flink_taskmanager_job_task_numBytesIn", "Bytes the task read.", task,
                  static_cast<int64_t>(m.bytes_in()));
          out.Add("flink_taskmanager_job_task_accumulatedBusyTime",
                  "Milliseconds the task was busy.", task, BusyMs(sub));
          out.Add("flink_taskmanager_job_task_accumulatedBackPressuredTime",
                  "Milliseconds the task waited for downstream credit.", task,
                  sub.backpressured_ms());
          out.Add("flink_taskmanager_job_task_accumulatedIdleTime",
                  "Milliseconds the task waited for input.", task,
                  sub.idle_ms());
        }
        if (last) {
          out.Add("flink_taskmanager_job_task_numBytesOut", "Bytes the task wrote.", task,
                  static_cast<int64_t>(m.bytes_out()));
        }
      }
    }
  }
}

}  // namespace

std::string PrometheusMetrics(const std::vector<proto::JobStatus>& jobs,
                              const std::vector<proto::TaskManagerInfo>& taskmanagers,
                              int64_t now_ms) {
  Exposition out;
  AddClusterMetrics(jobs, taskmanagers, out);
  for (const auto& job : jobs) AddJobMetrics(job, now_ms, out);
  for (const auto& job : jobs) AddTaskMetrics(job, out);
  out.Add("eventcluster_build_info", "EventCluster's version (value 1).",
          {{"version", kEventClusterVersion}}, 1);
  return out.Text();
}

}  // namespace ec
