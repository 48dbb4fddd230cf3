// The watermark of an input gate: the minimum over its channels that are active.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/event_time.h"

namespace ec {

// Flink's StatusWatermarkValve, simplified: each channel's watermark only rises; the gate's is
// the minimum over channels that are neither idle (sent IDLE, until their next watermark or
// batch) nor ended (sent END_OF_STREAM), and it is reported only when it rises, so it never
// goes back. A channel that becomes active again below the gate's watermark holds the gate
// there until it catches up (no record of it turns late because of the gap). Until every
// active channel has sent a watermark there is none. Pure logic, used from the consumer's
// task thread. Each On* returns the gate's new watermark when it rose.
class WatermarkValve {
 public:
  explicit WatermarkValve(int num_channels);

  std::optional<int64_t> OnWatermark(int channel, int64_t watermark);
  std::optional<int64_t> OnIdle(int channel);
  void OnData(int channel) { channels_[channel].idle = false; }
  std::optional<int64_t> OnEndOfStream(int channel);

  int64_t current() const { return current_; }
  // Every channel idle or ended: downstream should not wait for this gate's watermarks.
  bool idle() const;

 private:
  struct Channel {
    int64_t watermark = kNoWatermark;
    bool idle = false;
    bool ended = false;
  };
  std::optional<int64_t> Advance();

  std::vector<Channel> channels_;
  int64_t current_ = kNoWatermark;
};

}  // namespace ec
