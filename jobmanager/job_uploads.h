// JobUploads: job files uploaded over REST (Flink's "Submit New Job": POST /jars/upload), kept
// until deleted, to be run with arguments later (POST /jars/<id>/run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ec {

struct UploadedJob {
  std::string id;    // "<32 hex digits>.json": the server's name for it, never the client's
  std::string name;  // the client's file name, for display only (its last path component)
  int64_t uploaded_ms = 0;
};

// Files live in `dir` as <id> (mode 0600: a job file may hold a secret parameter) with a
// <id>.name sidecar; nothing else in `dir` is ever read or written, and every id is checked
// against the server's own pattern, so no name a client gives reaches the file system
// (Flink's CVE-2020-17518 wrote an upload to a path taken from its multipart file name).
// Thread-safe.
class JobUploads {
 public:
  static constexpr size_t kMaxUploads = 100;

  explicit JobUploads(std::string dir) : dir_(std::move(dir)) {}

  // Stores `content` (a job file, at most what the REST server accepts) under a new id.
  // ResourceExhausted at kMaxUploads, InvalidArgument when it is not a JSON object.
  absl::StatusOr<UploadedJob> Store(const std::string& client_name, const std::string& content);
  std::vector<UploadedJob> List() const;
  // NotFound for an id that is not an upload (or not of the server's pattern).
  absl::StatusOr<std::string> Read(const std::string& id) const;
  absl::Status Delete(const std::string& id);

  // Whether `id` has the server's pattern: 32 lower-case hex digits and ".json".
  static bool IsUploadId(const std::string& id);

 private:
  const std::string dir_;
  mutable absl::Mutex mu_;
};

}  // namespace ec
