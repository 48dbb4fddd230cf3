// Checkpoint barrier alignment over the channels of one input gate (exactly-once).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace ec {

// What the gate must do after a barrier or an end of stream.
struct AlignmentStep {
  bool block_channel = false;      // hold back the channel's data from now on
  std::optional<int64_t> aborted;  // this alignment was given up: unblock every channel
  std::optional<int64_t> aligned;  // barrier n is in from every live channel: snapshot,
                                   // then unblock every channel
};

// Flink's aligned checkpoints (SingleCheckpointBarrierHandler): once barrier n arrives on a
// channel, that channel's later records belong after the snapshot, so they are held back
// until barrier n has arrived on every channel that has not ended; then the task snapshots
// and every channel resumes, in order. A held-back channel keeps its receive buffers, so its
// producer soon runs out of credit and waits: alignment costs bounded memory, never a spill.
//
// A newer barrier before the current alignment completes means a producer skipped the
// current checkpoint (it was aborted upstream): the current one is aborted and alignment
// restarts for the newer one. Barriers older than the current one are ignored. Pure logic;
// owned by the gate, used from the consumer's task thread.
class BarrierAligner {
 public:
  explicit BarrierAligner(int num_channels);

  AlignmentStep OnBarrier(int channel, int64_t checkpoint_id);
  AlignmentStep OnEndOfStream(int channel);

  // The checkpoint being aligned, 0 when none.
  int64_t pending() const { return pending_; }

 private:
  // Completes the pending alignment if every live channel has delivered its barrier.
  void MaybeComplete(AlignmentStep& step);
  void Reset();

  std::vector<bool> arrived_;  // barrier `pending_` seen on the channel
  std::vector<bool> ended_;
  int live_ = 0;  // channels not ended
  int arrived_count_ = 0;
  int64_t pending_ = 0;
  int64_t last_done_ = 0;  // newest checkpoint aligned or aborted
};

}  // namespace ec
