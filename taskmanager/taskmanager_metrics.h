// A TaskManager's metrics in Prometheus' text format (runtime/prometheus_text.h), as Flink's
// PrometheusReporter shows a TaskManager's: the process (`<prefix>_taskmanager_...`, label
// tm_id), each task (`..._job_task_...`: bytes, busy/idle/back-pressured time) and each operator
// of its chain (`..._job_task_operator_...`: records, dead letters, watermark and the gauges the
// operator registered, e.g. a Kafka partition's lag).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "taskmanager/task.h"

namespace ec {

class TaskManagerMetrics {
 public:
  TaskManagerMetrics(std::string prefix, std::string tm_id)
      : prefix_(std::move(prefix)), tm_id_(std::move(tm_id)) {}

  // The exposition of `tasks` at `now_ms`. Busy, idle and back-pressured time per second are
  // rates over the time since the previous call at least a second ago (since the task started
  // on the first), as Flink's busyTimeMsPerSecond and friends.
  std::string Render(const std::vector<TaskMetricsSnapshot>& tasks, int slots, int free_slots,
                     int64_t now_ms);

 private:
  // The time split of one task when last sampled, and the rates derived then.
  struct TimeSample {
    int64_t at_ms = 0;
    int64_t running_ms = 0, busy_ms = 0, idle_ms = 0, backpressured_ms = 0;
    int64_t busy_per_s = 0, idle_per_s = 0, backpressured_per_s = 0;
  };
  TimeSample Rates(const std::string& key, const proto::TaskStatus& status, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string prefix_;
  const std::string tm_id_;
  absl::Mutex mu_;
  std::map<std::string, TimeSample> samples_ ABSL_GUARDED_BY(mu_);  // by task and attempt
};

}  // namespace ec
