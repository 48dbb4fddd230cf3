// Parses durations as job files write them: "500ms", "1s", "2m", "1h"; a bare number is ms.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ec {

absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);

}  // namespace ec
