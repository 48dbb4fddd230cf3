// Minimum watermark over active channels.
#include "runtime/network/watermark_valve.h"

#include <algorithm>

namespace ec {

WatermarkValve::WatermarkValve(int num_channels) : channels_(num_channels) {}

std::optional<int64_t> WatermarkValve::OnWatermark(int channel, int64_t watermark) {
  Channel& c = channels_[channel];
  c.idle = false;
  c.watermark = std::max(c.watermark, watermark);
  return Advance();
}

std::optional<int64_t> WatermarkValve::OnIdle(int channel) {
  channels_[channel].idle = true;
  return Advance();
}

std::optional<int64_t> WatermarkValve::OnEndOfStream(int channel) {
  channels_[channel].ended = true;
  return Advance();
}

bool WatermarkValve::idle() const {
  return std::all_of(channels_.begin(), channels_.end(),
                     [](const Channel& c) { return c.idle || c.ended; });
}

std::optional<int64_t> WatermarkValve::Advance() {
  int64_t min = std::numeric_limits<int64_t>::max();
  bool any_active = false;
  for (const Channel& c : channels_) {
    if (c.idle || c.ended) continue;
    any_active = true;
    min = std::min(min, c.watermark);
  }
  // With every channel idle or ended there is nothing to take the minimum of: stay put.
  if (!any_active || min <= current_) return std::nullopt;
  current_ = min;
  return current_;
}

}  // namespace ec
