// Prometheus text exposition of the JobManager's metrics.
#include "jobmanager/prometheus_metrics.h"

#include <algorithm>

#include "jobmanager/flink_rest.h"
#include "runtime/prometheus_text.h"

namespace ec {
namespace {

void AddClusterMetrics(const std::vector<proto::JobStatus>& jobs,
                       const std::vector<proto::TaskManagerInfo>& taskmanagers, Exposition& out) {
  const SlotCount slots = CountSlots(taskmanagers);
  const auto running = std::count_if(jobs.begin(), jobs.end(), [](const proto::JobStatus& j) {
    return j.state() == proto::RUNNING;
  });
  out.Add("jobmanager_numRegisteredTaskManagers", "Registered TaskManagers.", {},
          static_cast<int64_t>(taskmanagers.size()));
  out.Add("jobmanager_taskSlotsTotal", "Task slots of all TaskManagers.", {},
          slots.total);
  out.Add("jobmanager_taskSlotsAvailable", "Free task slots.", {},
          slots.available);
  out.Add("jobmanager_numRunningJobs", "Jobs in state RUNNING.", {},
          running);
}

void AddJobMetrics(const proto::JobStatus& job, int64_t now_ms, Exposition& out) {
  const MetricLabels labels = {{"job_id", job.id()}, {"job_name", job.name()}};
  const bool running = job.state() == proto::RUNNING;
  out.Add("jobmanager_job_uptime", "Milliseconds the job has run (0 when not running).",
          labels, running ? std::max<int64_t>(0, now_ms - job.start_time_ms()) : 0);
  out.Add("jobmanager_job_numRestarts", "Restarts since the job was submitted.", labels,
          job.restarts());
  out.Add("jobmanager_job_numberOfCompletedCheckpoints", "Completed checkpoints.", labels,
          job.checkpoints_completed());
  out.Add("jobmanager_job_numberOfFailedCheckpoints", "Failed checkpoints.", labels,
          job.checkpoints_failed());
  const auto& last = job.latest_checkpoint();
  out.Add("jobmanager_job_lastCheckpointDuration",
          "Milliseconds from trigger to completion of the latest checkpoint.", labels,
          last.duration_ms());
  out.Add("jobmanager_job_lastCheckpointSize", "Bytes of the latest checkpoint.", labels,
          last.size_bytes());
}

}  // namespace

std::string PrometheusMetrics(const std::vector<proto::JobStatus>& jobs,
                              const std::vector<proto::TaskManagerInfo>& taskmanagers,
                              int64_t now_ms, const std::string& prefix) {
  Exposition out(prefix);
  AddClusterMetrics(jobs, taskmanagers, out);
  AddProcessMetrics("jobmanager", {}, out);
  for (const auto& job : jobs) AddJobMetrics(job, now_ms, out);
  out.AddUnprefixed("eventcluster_build_info", "EventCluster's version (value 1).",
          {{"version", kEventClusterVersion}}, 1);
  return out.Text();
}

}  // namespace ec
