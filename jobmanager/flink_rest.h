// Views of the JobManager's state shaped like Flink 2.x's REST API (flink-runtime's
// rest/messages): the same field names (kebab-case where Flink uses it) and the same state names,
// so Flink's scripts and dashboards read them unchanged. Pure functions over status messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

#include "proto/jobmanager.pb.h"
#include "runtime/version.h"  // kEventClusterVersion, reported as `eventcluster-version`

namespace ec {

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

// A job vertex's id as REST names it: 32 hex digits, stable for the job's graph (Flink's are
// hashes; ours encode the vertex index).
std::string FlinkVertexId(int vertex);
// The vertex index of a REST vertex id, or -1.
int VertexOfFlinkId(const std::string& id);

// Flink's JobDetailsInfo fields for GET /jobs/:jid: vertices (id, name, parallelism,
// maxParallelism, status, start-time, end-time, duration, tasks by state, metrics with
// read-/write-records and -bytes as Flink counts them: network input and output only, so a
// source reads none and a sink writes none), status-counts, plan (nodes with their inputs'
// ship_strategy: FORWARD, REBALANCE, HASH, BROADCAST), job-type, maxParallelism.
nlohmann::json FlinkJobDetails(const proto::JobStatus& job, int64_t now_ms);

// GET /jobs/:jid/vertices/:vid (JobVertexDetailsInfo): the vertex's subtasks with status,
// attempt, endpoint (its TaskManager's address), taskmanager-id, duration and metrics.
// NotFound for a vertex the job does not have.
absl::StatusOr<nlohmann::json> FlinkVertexDetails(
    const proto::JobStatus& job, int vertex, const std::vector<proto::TaskManagerInfo>& tms,
    int64_t now_ms);

// GET /jobs/:jid/vertices/:vid/watermarks (Flink's MetricCollectionResponseBody): per subtask
// with a watermark, {"id": "<subtask>.currentOutputWatermark", "value": "<ms>"} of the chain's
// last operator. Flink lists currentInputWatermark, which EventCluster does not keep apart; a
// chain passes its input's watermark on unless an operator of it assigns event time.
absl::StatusOr<nlohmann::json> FlinkWatermarks(const proto::JobStatus& job, int vertex);

// GET /jobs/:jid/vertices/:vid/backpressure (JobVertexBackPressureInfo): per subtask the
// shares of its attempt's running time spent back-pressured (`ratio`), busy and idle, and the
// level Flink derives from the ratio: ok up to 0.10, low up to 0.5, high above; the vertex's is
// its worst subtask's.
absl::StatusOr<nlohmann::json> FlinkBackPressure(const proto::JobStatus& job, int vertex,
                                                 int64_t now_ms);

// GET /jobs/:jid/config (Flink's JobConfigInfo): execution-config with the parallelism, the
// restart strategy and the job parameters as user-config, secrets as "******".
nlohmann::json FlinkJobConfig(const proto::JobStatus& job);
// GET /jobs/:jid/checkpoints/config (CheckpointConfigInfo); NotFound when the job takes no
// checkpoints, as Flink answers.
absl::StatusOr<nlohmann::json> FlinkCheckpointConfig(const proto::JobStatus& job);

// Flink's error body: {"errors": ["..."]}.
nlohmann::json FlinkErrors(const std::string& message);

}  // namespace ec
