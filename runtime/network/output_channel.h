// OutputChannel: the producer end of one channel, over TCP or to a gate in the same process.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/network/channel_counters.h"
#include "runtime/network/channel_id.h"
#include "runtime/network/channel_registry.h"
#include "runtime/network/credit.h"
#include "runtime/network/frame.h"
#include "runtime/record_batch.h"

namespace ec {

// Sends one producer subtask's batches and events to one consumer subtask, in order. Owned
// and called by the producer's task thread, except Cancel(), which any thread may call.
//
// SendBatch blocks while the consumer has granted no credit: that is the back-pressure that
// bounds memory end to end, and the time spent there is counted. Events wait only until the
// consumer has attached. Every call returns the channel's failure once it has one (the
// connection broke: Unavailable naming the peer; Cancel(): Cancelled); the task should fail.
// Destroying a channel before SendEndOfStream tells the consumer (CANCEL), whose gate then
// fails: its input is incomplete, as when a Flink upstream task fails.
class OutputChannel {
 public:
  virtual ~OutputChannel() = default;
  OutputChannel(const OutputChannel&) = delete;
  OutputChannel& operator=(const OutputChannel&) = delete;

  // One frame for the whole batch; an empty batch sends nothing. The batch is not kept.
  absl::Status SendBatch(const RecordBatch& batch);
  absl::Status SendBarrier(int64_t checkpoint_id);
  absl::Status SendWatermark(int64_t event_time_ms);
  absl::Status SendIdle();
  // The last call: FailedPrecondition for any send after it.
  absl::Status SendEndOfStream();
  // Ends a blocked or later send with Cancelled: for a task being cancelled.
  void Cancel();

  const ChannelId& id() const { return id_; }
  const ChannelCounters& counters() const { return counters_; }
  bool back_pressured() const { return credit_->waiting(); }
  bool ended() const { return ended_; }

 protected:
  OutputChannel(ChannelId id, std::shared_ptr<ChannelCredit> credit);
  // Hands a batch (credit already taken) or an event to the transport.
  virtual absl::Status WriteBatch(const RecordBatch& batch) = 0;
  virtual absl::Status WriteEvent(FrameKind kind, int64_t value) = 0;

  const ChannelId id_;
  const std::shared_ptr<ChannelCredit> credit_;

 private:
  absl::Status SendEvent(FrameKind kind, int64_t value);
  absl::Status CheckOpen() const;
  // Keeps a transport failure, so every later call reports the same one.
  absl::Status Failed(absl::Status status);

  ChannelCounters counters_;
  bool ended_ = false;
};

// The in-process short cut: batches are copied into the consumer gate's receive buffers, with
// the same credits as over TCP, so a local and a remote channel behave the same.
class LocalOutputChannel final : public OutputChannel {
 public:
  // Registers as the producer of `id` in `registry`; the consumer may register later.
  // AlreadyExists if `id` has a producer that has neither ended nor gone.
  static absl::StatusOr<std::unique_ptr<OutputChannel>> Open(ChannelRegistry& registry,
                                                             const ChannelId& id);
  ~LocalOutputChannel() override;

 private:
  LocalOutputChannel(ChannelRegistry& registry, const ChannelId& id);
  absl::Status WriteBatch(const RecordBatch& batch) override;
  absl::Status WriteEvent(FrameKind kind, int64_t value) override;
  // The consumer's queues, looked up once it has attached; nullopt if it is gone, and then
  // what is sent is dropped, as a remote consumer's gone gate drops frames.
  std::optional<ChannelReceiver> Receiver();

  ChannelRegistry& registry_;
  std::optional<ChannelReceiver> receiver_;
};

}  // namespace ec
