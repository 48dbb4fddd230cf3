// TaskManagerRegistry: the registered TaskManagers, their sessions, heartbeats and slots.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "jobmanager/taskmanager_gateway.h"
#include "proto/jobmanager.pb.h"

namespace ec {

// Which TaskManagers are registered, under which session (a new one each registration), when
// each was last heard from, and how many of its slots are in use. It knows nothing of jobs:
// what a lost TaskManager means for the jobs running there is the Dispatcher's business.
// Not thread-safe: the Dispatcher calls it under its lock. Lives as long as the Dispatcher.
class TaskManagerRegistry {
 public:
  struct Entry {
    proto::TaskManagerInfo info;  // id, addresses, slots (free_slots is not kept up to date)
    std::shared_ptr<TaskManagerGateway> gateway;
    absl::Time last_heartbeat;
    int64_t session = 0;
    int used_slots = 0;
  };

  TaskManagerRegistry() = default;
  TaskManagerRegistry(const TaskManagerRegistry&) = delete;
  TaskManagerRegistry& operator=(const TaskManagerRegistry&) = delete;

  // Registers the TaskManager (replacing any entry under its id: all its slots free) as heard
  // from at `now`, and returns its new session, unique over the registry's life.
  int64_t Register(const proto::RegisterTaskManagerRequest& request,
                   std::shared_ptr<TaskManagerGateway> gateway, absl::Time now);
  bool Contains(const std::string& id) const { return entries_.count(id) > 0; }
  // The TaskManager's current session, or 0 when it is not registered.
  int64_t SessionOf(const std::string& id) const;
  // A heartbeat of the stream that carries `*session` (0: the stream's first heartbeat, which
  // picks up the current session). False when the TaskManager is unknown or the session is an
  // older registration's: that stream must register again. True records `now`.
  bool Heartbeat(const std::string& id, int64_t* session, absl::Time now);
  // The TaskManagers not heard from for more than `timeout` at `now`, by id.
  std::vector<std::string> Expired(absl::Time now, absl::Duration timeout) const;
  // Forgets the TaskManager; no-op when it is unknown.
  void Remove(const std::string& id) { entries_.erase(id); }

  // The gateway of a registered TaskManager, or null when it is not (or no longer) registered.
  std::shared_ptr<TaskManagerGateway> GatewayOf(const std::string& id) const;
  // The registered TaskManager, or null.
  const Entry* Find(const std::string& id) const;
  // Every registered TaskManager, by id (placement walks them in this order).
  const std::map<std::string, Entry>& entries() const { return entries_; }
  int size() const { return static_cast<int>(entries_.size()); }

  // Free slots over all TaskManagers.
  int FreeSlots() const;
  // Takes one of the registered TaskManager's slots (the caller checked it has a free one).
  void TakeSlot(const std::string& id);
  // Gives one back; no-op when the TaskManager is unknown or has none in use.
  void ReleaseSlot(const std::string& id);

  // Every TaskManager as clients see it, with its free slots and last heartbeat.
  std::vector<proto::TaskManagerInfo> List() const;

 private:
  std::map<std::string, Entry> entries_;
  int64_t next_session_ = 1;
};

}  // namespace ec
