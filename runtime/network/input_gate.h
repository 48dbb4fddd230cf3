// InputGate: one consumer subtask's merged view of its N input channels.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/network/barrier_aligner.h"
#include "runtime/network/channel_counters.h"
#include "runtime/network/channel_registry.h"
#include "runtime/network/receive_queues.h"
#include "runtime/network/watermark_valve.h"
#include "runtime/record_batch.h"

namespace ec {

// What one Poll() produced.
struct GateEvent {
  enum class Kind {
    kNone,               // nothing within max_wait
    kData,               // `batch` holds the next batch of `channel`
    kBarrier,            // checkpoint `value` aligned on every channel: snapshot now
    kCheckpointAborted,  // alignment of checkpoint `value` given up (a newer barrier came)
    kWatermark,          // the gate's watermark rose to `value` (event time ms)
    kEndOfInput,         // every channel has ended; returned by every later Poll too
  };
  Kind kind = Kind::kNone;
  int channel = -1;
  int64_t value = 0;
};

// Merges the input channels of one consumer subtask: batches of each channel in the order
// they were sent, channels taken in turn; checkpoint barriers aligned (BarrierAligner) and
// watermarks combined (WatermarkValve) across channels. Channels are fed from the network or
// from producers in the same process, through `registry`.
//
// Lifecycle: Create registers the channels, and producers may attach from then on; the
// destructor unregisters them and drops whatever is buffered. Poll and the accessors are for
// the consumer's task thread only; the buffer counters may be read from any thread.
class InputGate {
 public:
  // AlreadyExists if another gate has one of `channels`.
  static absl::StatusOr<std::unique_ptr<InputGate>> Create(ChannelRegistry& registry,
                                                           std::vector<ChannelId> channels,
                                                           CreditOptions options = {});
  ~InputGate();
  InputGate(const InputGate&) = delete;
  InputGate& operator=(const InputGate&) = delete;

  // Waits up to `max_wait` for the next event. For kData the batch is swapped into `batch`
  // (whose old storage the gate keeps for reuse: no copy, no allocation); `batch` is untouched
  // otherwise. Returns the failure of any channel (e.g. Unavailable "data connection from
  // 10.0.0.7:41230 lost: closed by peer"): the task should fail.
  absl::StatusOr<GateEvent> Poll(RecordBatch& batch, absl::Duration max_wait);

  int num_channels() const { return queues_->num_channels(); }
  int64_t watermark() const { return valve_.current(); }
  bool idle() const { return valve_.idle(); }
  const ChannelCounters& counters(int channel) const { return counters_[channel]; }
  // Batches received and not yet polled; with their bytes. Bounded by the credit options.
  size_t buffered_batches() const { return queues_->buffered_batches(); }
  size_t buffered_bytes() const { return queues_->buffered_bytes(); }
  size_t max_buffered_batches() const { return queues_->max_buffered_batches(); }
  size_t allocated_buffers() const { return queues_->allocated_buffers(); }

 private:
  InputGate(ChannelRegistry& registry, std::shared_ptr<ReceiveQueues> queues);
  // Turns one received event into gate events (zero or more, into pending_).
  void OnEvent(int channel, const Received& entry);
  void ApplyAlignment(int channel, const AlignmentStep& step);
  void UnblockAll();

  ChannelRegistry& registry_;
  std::shared_ptr<ReceiveQueues> queues_;
  std::vector<ChannelCounters> counters_;
  BarrierAligner aligner_;
  WatermarkValve valve_;
  std::deque<GateEvent> pending_;
  int ended_ = 0;
};

}  // namespace ec
