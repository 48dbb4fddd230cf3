// Rate pacing anchored at the stream's start.
#include "client/producer/send_pacer.h"

#include <algorithm>

namespace ec::producer {

SendPacer::SendPacer(double rate_per_s, Clock::time_point start)
    : rate_(rate_per_s),
      max_backlog_(static_cast<uint64_t>(std::max(1.0, rate_per_s))),
      start_(start) {}

uint64_t SendPacer::DueSinceStart(Clock::time_point now) const {
  if (now < start_) return 0;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  return static_cast<uint64_t>(seconds * rate_) + 1;
}

uint64_t SendPacer::Due(Clock::time_point now) {
  uint64_t due = DueSinceStart(now);
  if (due > sent_ + max_backlog_) {
    // Re-anchor so the next event falls due now: the missed backlog is dropped.
    start_ = now;
    sent_ = 0;
    due = 1;
  }
  return due > sent_ ? due - sent_ : 0;
}

SendPacer::Clock::time_point SendPacer::NextWake(Clock::time_point now) const {
  // Rounded up, so that Due() at that time counts the event.
  const auto next = start_ + std::chrono::ceil<Clock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(sent_) / rate_));
  return std::max(next, now + kTick);
}

}  // namespace ec::producer
