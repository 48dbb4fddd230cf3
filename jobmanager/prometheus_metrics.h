// The JobManager's metrics in Prometheus' text exposition format (runtime/prometheus_text.h),
// under Flink's metric names and labels for its JobManager scope: registered TaskManagers,
// slots, running jobs, this process's CPU and memory, and per job (job_id, job_name) uptime,
// restarts and checkpoints.
//
// As in Flink, each process reports its own scope: the tasks' and operators' metrics are served
// by each TaskManager on its --metrics-port (taskmanager/taskmanager_metrics.h), so that summing
// over every scrape target counts each record once. A pure function over the status messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/jobmanager.pb.h"

namespace ec {

// `now_ms`: the clock, for uptimes; `prefix`: --metrics-prefix.
std::string PrometheusMetrics(const std::vector<proto::JobStatus>& jobs,
                              const std::vector<proto::TaskManagerInfo>& taskmanagers,
                              int64_t now_ms, const std::string& prefix);

}  // namespace ec
