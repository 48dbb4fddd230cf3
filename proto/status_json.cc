// JSON rendering of status messages.
#include "proto/status_json.h"

#include <algorithm>

#include "runtime/time_format.h"

namespace ec {
namespace {

std::string TaskStateText(proto::TaskState state) {
  std::string name = proto::TaskState_Name(state);
  return name.substr(name.find('_') + 1);
}

}  // namespace

int64_t BusyMs(const proto::SubtaskInfo& subtask) {
  return std::max<int64_t>(
      0, subtask.running_ms() - subtask.backpressured_ms() - subtask.idle_ms());
}

nlohmann::json JobStatusToJson(const proto::JobStatus& status) {
  nlohmann::json out;
  out["id"] = status.id();
  out["name"] = status.name();
  out["state"] = proto::JobState_Name(status.state());
  if (!status.failure().empty()) out["failure"] = status.failure();
  out["restarts"] = status.restarts();
  if (!status.restart_strategy().empty()) out["restart_strategy"] = status.restart_strategy();
  out["checkpoints"] = {{"completed", status.checkpoints_completed()},
                        {"failed", status.checkpoints_failed()}};
  if (status.has_latest_checkpoint()) {
    const auto& c = status.latest_checkpoint();
    out["checkpoints"]["latest"] = {{"id", c.id()},
                                    {"trigger_time", IsoMillis(c.trigger_time_ms())},
                                    {"duration_ms", c.duration_ms()},
                                    {"size_bytes", c.size_bytes()},
                                    {"path", c.path()}};
  }
  out["start_time"] = IsoMillis(status.start_time_ms());
  if (status.end_time_ms() > 0) out["end_time"] = IsoMillis(status.end_time_ms());
  nlohmann::json operators = nlohmann::json::array();
  for (const auto& op : status.operators()) {
    const auto& m = op.metrics();
    nlohmann::json item = {{"name", m.name()},
                           {"records_in", m.records_in()},
                           {"records_out", m.records_out()},
                           {"bytes_in", m.bytes_in()},
                           {"bytes_out", m.bytes_out()},
                           {"records_dead_letter", m.records_dead_letter()}};
    nlohmann::json subtasks = nlohmann::json::array();
    for (const auto& sub : op.subtasks()) {
      const int64_t busy = BusyMs(sub);
      subtasks.push_back({{"subtask", sub.subtask()},
                          {"taskmanager_id", sub.taskmanager_id()},
                          {"state", TaskStateText(sub.state())},
                          {"records_in", sub.metrics().records_in()},
                          {"records_out", sub.metrics().records_out()},
                          {"running_ms", sub.running_ms()},
                          {"busy_ms", busy},
                          {"backpressured_ms", sub.backpressured_ms()},
                          {"idle_ms", sub.idle_ms()}});
      for (const char* side : {"inputs", "outputs"}) {
        const auto& list = side[0] == 'i' ? sub.inputs() : sub.outputs();
        if (list.empty()) continue;
        nlohmann::json channels = nlohmann::json::array();
        for (const auto& c : list) {
          channels.push_back({{"channel", c.channel()},
                              {"records", c.records()},
                              {"bytes", c.bytes()},
                              {"backpressured_ms", c.backpressured_ms()}});
        }
        subtasks.back()[side] = channels;
      }
    }
    item["subtasks"] = subtasks;
    operators.push_back(item);
  }
  out["operators"] = operators;
  return out;
}

nlohmann::json TaskManagerToJson(const proto::TaskManagerInfo& info) {
  return {{"id", info.id()},
          {"address", info.address()},
          {"data_address", info.data_address()},
          {"slots", info.slots()},
          {"free_slots", info.free_slots()},
          {"last_heartbeat", IsoMillis(info.last_heartbeat_ms())}};
}

}  // namespace ec
