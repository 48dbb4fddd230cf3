// Named spdlog loggers, one per module, and the process-wide log set-up.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Debian's abseil has its own string_view (status messages are one): let log lines take it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(absl::string_view s, Context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace ec {

// Returns the logger named `module` ("jobmanager", "task", "kafka-sink", ...), creating it on
// first use. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& module);

// Sets the pattern and level for every logger of this process (level from EC_LOG_LEVEL, default
// info). Call once at the start of main().
void InitLogging(const std::string& process_name);

// From now on every logger of this process also writes to `path` (its directory made, owner
// only), rotated at `max_bytes` keeping `max_files` old files (path.1, path.2, ...), as
// Flink's processes keep log/ files. Unavailable when the file cannot be opened.
absl::Status AddLogFile(const std::string& path, size_t max_bytes = size_t{10} << 20,
                        size_t max_files = 3);

// The last `max_bytes` of the file at `path` (a log's tail), after flushing this process's log
// sinks, so it holds every line logged before the call. NotFound "no log file NAME" when it
// cannot be read.
absl::StatusOr<std::string> ReadFileTail(const std::string& path, size_t max_bytes);

}  // namespace ec
