// Credit-based flow control, receiver side: one input gate's per-channel queues and buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/network/channel_id.h"
#include "runtime/network/credit.h"
#include "runtime/network/frame.h"
#include "runtime/record_batch.h"

namespace ec {

// How many receive buffers (each holds one batch) a gate sets aside. Memory is bounded by
// (channels × exclusive + floating) batches, whatever the producers do.
struct CreditOptions {
  int exclusive_per_channel = 2;  // each channel's own: enough to overlap send and consume
  int floating_per_gate = 8;      // lent to channels that keep using up their exclusive credit
};

// One entry of a channel's queue: a batch (DATA) or an event with its value.
struct Received {
  FrameKind kind = FrameKind::kData;
  int64_t value = 0;
  std::unique_ptr<RecordBatch> batch;  // DATA only
};

// The receiving half of an InputGate, shared (shared_ptr) between the gate, the channel
// registry and the network threads that feed it. Thread-safe: network threads push, the
// consumer's task thread pops. Credits are granted outside the lock, so a slow socket write
// never holds up the other side.
//
// Accounting per channel: `credit` granted but unused + `held` buffers queued or being filled.
// A channel starts with `exclusive` credits; when it uses its last one and the gate has a
// floating buffer free, it is lent one (a channel that exhausts its credit has a backlog,
// Flink's trigger for floating buffers). A consumed buffer returns to the floating pool if the
// channel holds a loan, else becomes a new credit for the channel.
class ReceiveQueues {
 public:
  ReceiveQueues(std::vector<ChannelId> channels, CreditOptions options);
  ReceiveQueues(const ReceiveQueues&) = delete;
  ReceiveQueues& operator=(const ReceiveQueues&) = delete;

  // --- producer side: network reader threads, local output channels ---
  // The channel's producer is known: grant it the exclusive credits. Ignored once the channel
  // ended or the gate failed.
  void Attach(int channel, std::shared_ptr<CreditSink> sender);
  // A buffer to receive one batch into, against one credit. Fails (DataLoss) when the sender
  // has none: a protocol violation that ends the connection.
  absl::StatusOr<std::unique_ptr<RecordBatch>> TakeBuffer(int channel);
  void PushData(int channel, std::unique_ptr<RecordBatch> batch);
  // Consecutive watermarks are merged in the queue, so a producer that only sends watermarks
  // cannot grow it.
  void PushEvent(int channel, FrameKind kind, int64_t value);
  // The channel can deliver nothing more: Next() returns `status` from now on. Ignored once
  // the channel's END_OF_STREAM has arrived (a connection closing after it is normal).
  void Fail(int channel, const absl::Status& status);
  // The gate is gone: drop what arrives, grant nothing.
  void Close();

  // --- consumer side: the gate, on the consumer's task thread ---
  // Pops the oldest entry of the next channel (in turn) that has one and is not blocked.
  // Returns false when nothing came by `deadline`, or the first channel failure.
  absl::StatusOr<bool> Next(absl::Time deadline, int* channel, Received* entry);
  // Gives back a consumed batch's storage, returning its credit.
  void Recycle(int channel, std::unique_ptr<RecordBatch> batch);
  void SetBlocked(int channel, bool blocked);

  int num_channels() const { return static_cast<int>(ids_.size()); }
  const ChannelId& id(int channel) const { return ids_[channel]; }
  size_t buffered_batches() const;
  size_t buffered_bytes() const;
  size_t max_buffered_batches() const;
  size_t allocated_buffers() const;  // receive buffers ever created: the memory bound's measure

 private:
  struct Channel {
    std::deque<Received> queue;
    std::shared_ptr<CreditSink> sender;
    int credit = 0;    // granted, not yet used
    int held = 0;      // buffers taken for this channel and not yet recycled
    int borrowed = 0;  // of those, floating buffers
    bool end_of_stream = false;
    bool blocked = false;
  };
  struct Grant {
    std::shared_ptr<CreditSink> sink;
    int channel;
  };
  // Collected under the lock, sent after it; inline, as nearly every batch returns one.
  using Grants = absl::InlinedVector<Grant, 2>;

  // Lends a free floating buffer to a channel that has no credit (not a blocked one: its
  // buffers wait for the alignment and it must not hoard the pool).
  void LendFloating(Grants& grants) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Starving(const Channel& c) const { return c.sender && c.credit == 0 && !c.end_of_stream; }
  void SendGrants(const Grants& grants);

  const std::vector<ChannelId> ids_;
  const CreditOptions options_;

  mutable absl::Mutex mu_;
  absl::CondVar arrived_;
  std::vector<Channel> channels_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<RecordBatch>> free_ ABSL_GUARDED_BY(mu_);
  int floating_free_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;  // round-robin cursor of Next()
  size_t buffered_batches_ ABSL_GUARDED_BY(mu_) = 0;
  size_t buffered_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t max_buffered_batches_ ABSL_GUARDED_BY(mu_) = 0;
  size_t allocated_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ec
