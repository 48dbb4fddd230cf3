// Views of the JobManager's state shaped like Flink 2.x's REST API (flink-runtime's
// rest/messages): the same field names (kebab-case where Flink uses it) and the same state names,
// so Flink's scripts and dashboards read them unchanged. Pure functions over status messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/jobmanager.pb.h"

namespace ec {

// EventCluster's version, reported as `eventcluster-version` beside Flink's fields.
inline constexpr char kEventClusterVersion[] = "0.5.0";
// The Flink REST API version whose shapes these views follow.
inline constexpr char kFlinkApiVersion[] = "2.2";

// A job state as Flink names it (CANCELED, not CANCELLED: Flink's spelling).
std::string FlinkJobState(proto::JobState state);

// Task slots of all TaskManagers, and how many are free.
struct SlotCount {
  int64_t total = 0;
  int64_t available = 0;
};
SlotCount CountSlots(const std::vector<proto::TaskManagerInfo>& taskmanagers);

// GET /config: the dashboard's settings.
nlohmann::json FlinkConfig();

// GET /overview: TaskManagers, slots and jobs by state.
nlohmann::json FlinkOverview(const std::vector<proto::JobStatus>& jobs,
                             const std::vector<proto::TaskManagerInfo>& taskmanagers);

// GET /jobs: {"jobs": [{"id", "status"}]}.
nlohmann::json FlinkJobIds(const std::vector<proto::JobStatus>& jobs);

// One entry of GET /jobs/overview: jid, name, state, start-time, end-time (-1 while running),
// duration, last-modification and the tasks (subtasks) by state. `now_ms`: the clock.
nlohmann::json FlinkJobOverview(const proto::JobStatus& job, int64_t now_ms);

// GET /taskmanagers: {"taskmanagers": [{id, path, dataPort, slotsNumber, freeSlots,
// timeSinceLastHeartbeat, hardware}]}.
nlohmann::json FlinkTaskManagers(const std::vector<proto::TaskManagerInfo>& taskmanagers);

// GET /jobs/:jid/checkpoints (Flink's CheckpointingStatistics): counts, summary (min, max,
// avg, p50...p999 of end_to_end_duration, state_size and checkpointed_size over the recent
// completed checkpoints), latest completed/savepoint/failed/restored, and history.
nlohmann::json FlinkCheckpoints(const proto::JobStatus& job);

// GET /jobs/:jid/exceptions (Flink 2.x's JobExceptionsInfoWithHistory): exceptionHistory with
// one entry per failure that restarted or failed the job, newest first.
nlohmann::json FlinkExceptions(const proto::JobStatus& job);

// Flink's error body: {"errors": ["..."]}.
nlohmann::json FlinkErrors(const std::string& message);

}  // namespace ec
