// Barrier alignment state machine.
#include "runtime/network/barrier_aligner.h"

namespace ec {

BarrierAligner::BarrierAligner(int num_channels)
    : arrived_(num_channels, false), ended_(num_channels, false), live_(num_channels) {}

AlignmentStep BarrierAligner::OnBarrier(int channel, int64_t checkpoint_id) {
  AlignmentStep step;
  if (checkpoint_id <= last_done_ || checkpoint_id < pending_) return step;  // stale
  if (checkpoint_id > pending_) {
    if (pending_ != 0) {
      step.aborted = pending_;
      last_done_ = pending_;
    }
    Reset();
    pending_ = checkpoint_id;
  }
  if (!arrived_[channel]) {
    arrived_[channel] = true;
    ++arrived_count_;
    step.block_channel = true;
  }
  MaybeComplete(step);
  return step;
}

AlignmentStep BarrierAligner::OnEndOfStream(int channel) {
  AlignmentStep step;
  if (ended_[channel]) return step;
  ended_[channel] = true;
  --live_;
  // A blocked channel delivers nothing, so an ending channel never had the pending barrier.
  if (pending_ != 0) MaybeComplete(step);
  return step;
}

void BarrierAligner::MaybeComplete(AlignmentStep& step) {
  if (arrived_count_ < live_) return;
  step.aligned = pending_;
  step.block_channel = false;
  last_done_ = pending_;
  Reset();
}

void BarrierAligner::Reset() {
  arrived_.assign(arrived_.size(), false);
  arrived_count_ = 0;
  pending_ = 0;
}

}  // namespace ec
