// Rate limiting by waiting after each batch.
#include "operators/transforms/throttle.h"

#include <algorithm>

namespace ec {

absl::Status Throttle::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  for (size_t i = 0; i < in.size(); ++i) out.Append(in[i]);
  const absl::Time now = absl::Now();
  // Idle time earns no credit: a burst after a pause is paced like any other.
  if (started_ == absl::InfinitePast() ||
      started_ + absl::Seconds(static_cast<double>(passed_) / static_cast<double>(rate_)) < now) {
    started_ = now;
    passed_ = 0;
  }
  passed_ += static_cast<int64_t>(in.size());
  const absl::Time due =
      started_ + absl::Seconds(static_cast<double>(passed_) / static_cast<double>(rate_));
  while (!ctx_->IsCancelled()) {
    const absl::Duration left = due - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::SleepFor(std::min(left, absl::Milliseconds(50)));
  }
  return absl::OkStatus();
}

}  // namespace ec
