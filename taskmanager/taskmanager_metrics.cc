// A TaskManager's Prometheus exposition.
#include "taskmanager/taskmanager_metrics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/prometheus_text.h"
#include "runtime/version.h"

namespace ec {
namespace {

int64_t BusyMs(const proto::TaskStatus& s) {
  return std::max<int64_t>(0, s.running_ms() - s.backpressured_ms() - s.idle_ms());
}

// Milliseconds per second of `delta` over `elapsed_ms`, within [0, 1000].
int64_t PerSecond(int64_t delta, int64_t elapsed_ms) {
  if (elapsed_ms <= 0) return 0;
  return std::clamp<int64_t>(delta * 1000 / elapsed_ms, 0, 1000);
}

}  // namespace

TaskManagerMetrics::TimeSample TaskManagerMetrics::Rates(const std::string& key,
                                                         const proto::TaskStatus& status,
                                                         int64_t now_ms) {
  TimeSample next;
  next.at_ms = now_ms;
  next.running_ms = status.running_ms();
  next.busy_ms = BusyMs(status);
  next.idle_ms = status.idle_ms();
  next.backpressured_ms = status.backpressured_ms();
  auto it = samples_.find(key);
  if (it != samples_.end() && now_ms - it->second.at_ms < 1000) return it->second;
  // Against the previous sample, or since the task started.
  const TimeSample base = it != samples_.end() ? it->second : TimeSample{};
  const int64_t elapsed = next.running_ms - base.running_ms;
  next.busy_per_s = PerSecond(next.busy_ms - base.busy_ms, elapsed);
  next.idle_per_s = PerSecond(next.idle_ms - base.idle_ms, elapsed);
  next.backpressured_per_s = PerSecond(next.backpressured_ms - base.backpressured_ms, elapsed);
  samples_[key] = next;
  return next;
}

std::string TaskManagerMetrics::Render(const std::vector<TaskMetricsSnapshot>& tasks, int slots,
                                       int free_slots, int64_t now_ms) {
  Exposition out(prefix_);
  const MetricLabels tm = {{"tm_id", tm_id_}};
  AddProcessMetrics("taskmanager", tm, out);
  out.Add("taskmanager_Status_TaskSlots_Total", "Task slots of this TaskManager.", tm, slots);
  out.Add("taskmanager_Status_TaskSlots_Free", "Free task slots of this TaskManager.", tm,
          free_slots);

  absl::MutexLock lock(&mu_);
  std::map<std::string, TimeSample> live;
  for (const auto& task : tasks) {
    const auto& status = task.status;
    const auto& id = status.task();
    std::vector<std::string> names;
    for (const auto& op : status.operators()) names.push_back(op.name());
    const MetricLabels labels = {{"job_id", id.job_id()},
                                 {"job_name", task.job_name},
                                 {"task_name", absl::StrJoin(names, " -> ")},
                                 {"subtask_index", absl::StrCat(id.subtask())},
                                 {"tm_id", tm_id_}};
    if (status.operators_size() > 0) {
      out.Add("taskmanager_job_task_numBytesIn", "Bytes the task read.", labels,
              static_cast<int64_t>(status.operators(0).bytes_in()));
      out.Add("taskmanager_job_task_numBytesOut", "Bytes the task wrote.", labels,
              static_cast<int64_t>(status.operators(names.size() - 1).bytes_out()));
    }
    out.Add("taskmanager_job_task_accumulatedBusyTime", "Milliseconds the task was busy.", labels,
            BusyMs(status));
    out.Add("taskmanager_job_task_accumulatedIdleTime", "Milliseconds the task waited for input.",
            labels, status.idle_ms());
    out.Add("taskmanager_job_task_accumulatedBackPressuredTime",
            "Milliseconds the task waited for downstream credit.", labels,
            status.backpressured_ms());
    const std::string key = absl::StrCat(id.job_id(), "/", id.vertex(), "/", id.subtask(), "/",
                                         id.attempt());
    const TimeSample rates = Rates(key, status, now_ms);
    live[key] = rates;  // what Rates() keeps for the key
    out.Add("taskmanager_job_task_busyTimeMsPerSecond",
            "Milliseconds per second the task was busy, lately.", labels, rates.busy_per_s);
    out.Add("taskmanager_job_task_idleTimeMsPerSecond",
            "Milliseconds per second the task waited for input, lately.", labels,
            rates.idle_per_s);
    out.Add("taskmanager_job_task_backPressuredTimeMsPerSecond",
            "Milliseconds per second the task waited for downstream credit, lately.", labels,
            rates.backpressured_per_s);

    for (int i = 0; i < status.operators_size(); ++i) {
      const auto& m = status.operators(i);
      MetricLabels op = labels;
      op.insert(op.begin() + 3, {"operator_name", m.name()});
      out.Add("taskmanager_job_task_operator_numRecordsIn", "Records the operator read.", op,
              static_cast<int64_t>(m.records_in()));
      out.Add("taskmanager_job_task_operator_numRecordsOut", "Records the operator emitted.", op,
              static_cast<int64_t>(m.records_out()));
      out.Add("taskmanager_job_task_operator_numRecordsDeadLetter",
              "EventCluster: malformed records sent to the dead-letter output.", op,
              static_cast<int64_t>(m.records_dead_letter()));
      if (static_cast<size_t>(i) >= task.operators.size()) continue;
      const auto& extra = task.operators[i];
      if (extra.watermark != kNoWatermark) {
        out.Add("taskmanager_job_task_operator_currentOutputWatermark",
                "The event time (ms) the operator has passed on.", op, extra.watermark);
      }
      for (const auto& gauge : extra.gauges) {
        MetricLabels gauge_labels = op;
        gauge_labels.insert(gauge_labels.end(), gauge.labels.begin(), gauge.labels.end());
        out.Add("taskmanager_job_task_operator_" + gauge.name, gauge.help, gauge_labels,
                gauge.value);
      }
    }
  }
  samples_.swap(live);  // ended tasks are forgotten
  out.AddUnprefixed("eventcluster_build_info", "EventCluster's version (value 1).",
                    {{"version", kEventClusterVersion}}, 1);
  return out.Text();
}

}  // namespace ec
