// Paces a stream to a target rate of events per second, in batches per tick.
#pragma once

#include <chrono>
#include <cstdint>

namespace ec::producer {

// The schedule is anchored at the start: event k (from 0) falls due at start + k / rate, so
// rounding never accumulates and the long-run rate is exact. A reader that stalls for longer
// than one second of events loses that backlog instead of receiving it in one burst later.
// Owned by one connection's thread.
class SendPacer {
 public:
  using Clock = std::chrono::steady_clock;
  // Batches at high rates are at least this far apart; at low rates each event gets its time.
  static constexpr Clock::duration kTick = std::chrono::milliseconds(1);

  // `rate_per_s` > 0.
  SendPacer(double rate_per_s, Clock::time_point start);

  // Events due by `now` that have not been sent yet.
  uint64_t Due(Clock::time_point now);

  void OnSent(uint64_t events) { sent_ += events; }

  // When to call Due() again after it returned 0: when the next event falls due, but no
  // sooner than one tick from `now`.
  Clock::time_point NextWake(Clock::time_point now) const;

 private:
  // Events due by `now` since start_, the first one at start_ itself.
  uint64_t DueSinceStart(Clock::time_point now) const;

  const double rate_;
  const uint64_t max_backlog_;
  Clock::time_point start_;
  uint64_t sent_ = 0;  // since start_
};

}  // namespace ec::producer
