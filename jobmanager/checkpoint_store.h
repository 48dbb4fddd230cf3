// CheckpointStore: completed checkpoints on disk, one directory each, the last N kept.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace ec {

struct StoredCheckpoint {
  std::string path;  // the checkpoint's directory
  int64_t size_bytes = 0;
};

// Layout: <root>/<job id>/chk-<id>/_metadata, a JSON file with the job id, the checkpoint id
// and every operator's state (base64). Written to a temporary name, synced, then renamed, so a
// crash never leaves a half-written checkpoint that looks complete. Not thread-safe: the
// dispatcher calls it under its lock.
class CheckpointStore {
 public:
  CheckpointStore(std::string root, int retained) : root_(std::move(root)), retained_(retained) {}

  absl::StatusOr<StoredCheckpoint> Write(const std::string& job_id, int64_t checkpoint_id,
                                         int64_t trigger_time_ms,
                                         const std::map<std::string, std::string>& state);
  // Writes a savepoint (never dropped) into `dir`.
  static absl::StatusOr<StoredCheckpoint> WriteTo(const std::string& dir, const std::string& job_id,
                                                  int64_t checkpoint_id, int64_t trigger_time_ms,
                                                  const std::map<std::string, std::string>& state);
  // Reads the operator state of a checkpoint directory written by Write (for savepoints and
  // recovery).
  static absl::StatusOr<std::map<std::string, std::string>> Read(const std::string& path);

 private:
  void DropOld(const std::string& job_dir);

  std::string root_;
  int retained_;
};

}  // namespace ec
