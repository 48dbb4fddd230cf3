// CheckpointStore: completed checkpoints on disk, one directory each, the last N kept.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"

namespace ec {

struct StoredCheckpoint {
  std::string path;  // the checkpoint's directory
  int64_t size_bytes = 0;
};

// What a checkpoint holds: small operator state inline, keyed state as files.
struct CheckpointData {
  // By SubtaskStateKey, "<operator>#<subtask>": every subtask's entries side by side.
  std::map<std::string, std::string> state;
  std::set<std::string> files;  // relative to `base_dir` ("shared/...")
  std::string base_dir;         // set by Read: where `files` are
  // The job's parallelism and max parallelism when the checkpoint was taken: a job restored at
  // another parallelism must redistribute the state (see Dispatcher::SubmitJob).
  int parallelism = 1;
  int max_parallelism = 128;
};

// Layout: <root>/<job id>/chk-<id>/_metadata, a JSON file with the job id, the checkpoint id,
// the parallelism, every subtask's operator state (base64) and the state files it refers to, which
// live in <root>/<job id>/shared and are shared between checkpoints (incremental snapshots).
// Metadata is written to a temporary name, synced, then renamed, so a crash never leaves a
// half-written checkpoint that looks complete. When old checkpoints are dropped, shared files that
// no retained checkpoint refers to are deleted. A savepoint is self-contained: its directory holds
// copies of its files. Not thread-safe: the dispatcher calls it under its lock.
class CheckpointStore {
 public:
  CheckpointStore(std::string root, int retained) : root_(std::move(root)), retained_(retained) {}

  // The directory of a job's checkpoints, where its tasks write state files.
  std::string JobDir(const std::string& job_id) const;

  absl::StatusOr<StoredCheckpoint> Write(const std::string& job_id, int64_t checkpoint_id,
                                         int64_t trigger_time_ms, const CheckpointData& data);
  // Writes a savepoint (never dropped) into `dir`, copying the state files from `files_from`.
  static absl::StatusOr<StoredCheckpoint> WriteTo(const std::string& dir, const std::string& job_id,
                                                  int64_t checkpoint_id, int64_t trigger_time_ms,
                                                  const CheckpointData& data,
                                                  const std::string& files_from);
  // Reads a checkpoint or savepoint directory written by Write or WriteTo. Metadata from before
  // parallel jobs (no "parallelism", state by plain operator name) reads as parallelism 1 with
  // every entry belonging to subtask 0.
  static absl::StatusOr<CheckpointData> Read(const std::string& path);

  // Retires a job's checkpoints from `checkpoint_id` on (their directories are deleted: they
  // are never restored again) and returns the newest one left, or NotFound when none is.
  absl::StatusOr<StoredCheckpoint> RetireFrom(const std::string& job_id, int64_t checkpoint_id);

 private:
  // `files_base`: where the files are, relative to the metadata's directory.
  static absl::StatusOr<StoredCheckpoint> WriteMetadata(
      const std::string& dir, const std::string& job_id, int64_t checkpoint_id,
      int64_t trigger_time_ms, const CheckpointData& data, const std::string& files_base);
  void DropOld(const std::string& job_dir);

  std::string root_;
  int retained_;
};

}  // namespace ec
