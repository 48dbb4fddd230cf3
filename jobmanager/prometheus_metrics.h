// The cluster's metrics in Prometheus' text exposition format (version 0.0.4), under Flink's
// metric names and labels (as Flink's PrometheusReporter writes them: scope and name joined by
// '_', prefixed flink_), so dashboards built for Flink read EventCluster unchanged.
//
// Flink runs one reporter per process; EventCluster's JobManager serves the whole cluster's at
// GET /metrics (the TaskManagers' counters reach it with their heartbeats), so one scrape target
// is enough. A pure function over the status messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proto/jobmanager.pb.h"

namespace ec {

// `now_ms`: the clock, for uptimes.
std::string PrometheusMetrics(const std::vector<proto::JobStatus>& jobs,
                              const std::vector<proto::TaskManagerInfo>& taskmanagers,
                              int64_t now_ms);

}  // namespace ec
