// JSON views of job and TaskManager status, shared by ecctl and the JobManager's REST API.
#pragma once

#include <nlohmann/json.hpp>

#include "proto/jobmanager.pb.h"

namespace ec {

// {"id","name","state","failure","start_time","end_time","operators":[{"name","records_in",
//  "records_out","bytes_in","bytes_out","records_dead_letter","subtasks":[{"subtask",
//  "taskmanager_id","state"}]}]}
nlohmann::json JobStatusToJson(const proto::JobStatus& status);
// {"id","address","slots","free_slots","last_heartbeat"}
nlohmann::json TaskManagerToJson(const proto::TaskManagerInfo& info);

// Flink's busy time of a subtask's chain: running - back-pressured - idle (never negative).
int64_t BusyMs(const proto::SubtaskInfo& subtask);

}  // namespace ec
