// Throttle: passes records on at no more than a given rate (a rate limiter in the pipeline).
#pragma once

#include <cstdint>

#include "absl/time/time.h"
#include "operators/operator.h"

namespace ec {

// Job file: {"type": "throttle", "records-per-second": 5000}. Passes every record on unchanged,
// at most `records-per-second` per subtask: after each batch it waits until the records it has
// passed on are due (a token bucket without bursts beyond one batch). Useful in front of a
// rate-limited external system; a throttled subtask back-pressures everything upstream of it
// through the exchange's credits, as a slow sink does. Cancellation ends a wait at once.
class Throttle : public Operator {
 public:
  explicit Throttle(int64_t records_per_second) : rate_(records_per_second) {}
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;

 private:
  const int64_t rate_;
  absl::Time started_ = absl::InfinitePast();
  int64_t passed_ = 0;
};

}  // namespace ec
