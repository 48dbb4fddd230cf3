// The arguments a job is started with, as `ecctl submit` and Flink's REST `programArgsList`
// give them: --KEY VALUE (or --KEY=VALUE) job parameters, and --from-savepoint PATH.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ec {

struct JobArguments {
  std::map<std::string, std::string> parameters;
  std::string from_savepoint;  // empty: none
};

// InvalidArgument naming the argument for anything but --KEY VALUE pairs.
absl::StatusOr<JobArguments> ParseJobArguments(const std::vector<std::string>& args);

}  // namespace ec
