// TaskManager registrations, sessions, heartbeats and slot accounting.
#include "jobmanager/taskmanager_registry.h"

namespace ec {

int64_t TaskManagerRegistry::Register(const proto::RegisterTaskManagerRequest& request,
                                      std::shared_ptr<TaskManagerGateway> gateway, absl::Time now) {
  Entry tm;
  tm.info.set_id(request.taskmanager_id());
  tm.info.set_address(request.rpc_address());
  tm.info.set_slots(request.slots());
  tm.info.set_data_address(request.data_address());
  tm.info.set_metrics_port(request.metrics_port());
  tm.info.set_cpu_cores(request.cpu_cores());
  tm.info.set_physical_memory_bytes(request.physical_memory_bytes());
  tm.gateway = std::move(gateway);
  tm.last_heartbeat = now;
  tm.session = next_session_++;
  const int64_t session = tm.session;
  entries_[request.taskmanager_id()] = std::move(tm);
  return session;
}

int64_t TaskManagerRegistry::SessionOf(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.session;
}

bool TaskManagerRegistry::Heartbeat(const std::string& id, int64_t* session, absl::Time now) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  if (*session == 0) *session = it->second.session;
  if (*session != it->second.session) return false;
  it->second.last_heartbeat = now;
  return true;
}

std::vector<std::string> TaskManagerRegistry::Expired(absl::Time now,
                                                      absl::Duration timeout) const {
  std::vector<std::string> lost;
  for (const auto& [id, tm] : entries_) {
    if (now - tm.last_heartbeat > timeout) lost.push_back(id);
  }
  return lost;
}

std::shared_ptr<TaskManagerGateway> TaskManagerRegistry::GatewayOf(const std::string& id) const {
  auto tm = entries_.find(id);
  return tm == entries_.end() ? nullptr : tm->second.gateway;
}

const TaskManagerRegistry::Entry* TaskManagerRegistry::Find(const std::string& id) const {
  auto tm = entries_.find(id);
  return tm == entries_.end() ? nullptr : &tm->second;
}

int TaskManagerRegistry::FreeSlots() const {
  int free = 0;
  for (const auto& [tm_id, tm] : entries_) free += tm.info.slots() - tm.used_slots;
  return free;
}

void TaskManagerRegistry::TakeSlot(const std::string& id) {
  auto tm = entries_.find(id);
  if (tm != entries_.end()) tm->second.used_slots++;
}

void TaskManagerRegistry::ReleaseSlot(const std::string& id) {
  auto tm = entries_.find(id);
  if (tm != entries_.end() && tm->second.used_slots > 0) tm->second.used_slots--;
}

std::vector<proto::TaskManagerInfo> TaskManagerRegistry::List() const {
  std::vector<proto::TaskManagerInfo> out;
  for (const auto& [id, tm] : entries_) {
    proto::TaskManagerInfo info = tm.info;
    info.set_free_slots(tm.info.slots() - tm.used_slots);
    info.set_last_heartbeat_ms(absl::ToUnixMillis(tm.last_heartbeat));
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace ec
