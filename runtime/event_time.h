// Event time: watermarks as they travel through a chain and between subtasks.
#pragma once

#include <cstdint>
#include <limits>

namespace ec {

// No watermark yet: every event time is still to come.
inline constexpr int64_t kNoWatermark = std::numeric_limits<int64_t>::min();

// What an operator hands on to the next one about event time (Flink's watermark and
// watermark status): no record with a timestamp at or below `watermark` (ms since the epoch)
// is to follow; `idle`: this input has no data for now, so a downstream gate should not wait
// for its watermarks.
struct WatermarkStatus {
  int64_t watermark = kNoWatermark;
  bool idle = false;

  friend bool operator==(const WatermarkStatus&, const WatermarkStatus&) = default;
};

}  // namespace ec
