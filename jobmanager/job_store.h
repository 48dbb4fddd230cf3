// JobStore: the JobManager's jobs on disk, so a restarted JobManager recovers them.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ec {

// What survives a JobManager restart for one job. The operator state itself stays in the
// checkpoint directory; only its path is kept here.
struct StoredJob {
  std::string id;
  std::string spec_json;  // the resolved spec, parameters (and so secrets) included
  std::string state;      // JobState name
  std::string failure;
  int64_t submitted_ms = 0;
  int64_t attempt = 0;
  int restarts = 0;
  int64_t latest_checkpoint_id = 0;
  std::string latest_checkpoint_path;
};

// One JSON file per job in <data-dir>/jobs/, written to a temporary name, synced and renamed;
// readable by the JobManager's user only (the spec carries the job's parameters). Not
// thread-safe: the dispatcher calls it under its lock.
class JobStore {
 public:
  explicit JobStore(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Save(const StoredJob& job);
  // Deletes a job's record (an unknown id is not an error).
  absl::Status Remove(const std::string& id);
  // Every job saved before; unreadable files are skipped with a log line.
  std::vector<StoredJob> LoadAll() const;
  bool enabled() const { return !dir_.empty(); }

 private:
  std::string dir_;
};

}  // namespace ec
