// Producer end of a channel: credits, counters, and the in-process transport.
#include "runtime/network/output_channel.h"

#include "absl/strings/str_cat.h"

namespace ec {

OutputChannel::OutputChannel(ChannelId id, std::shared_ptr<ChannelCredit> credit)
    : id_(std::move(id)), credit_(std::move(credit)) {}

absl::Status OutputChannel::CheckOpen() const {
  if (ended_) {
    return absl::FailedPreconditionError(absl::StrCat(id_.ToString(), " already ended"));
  }
  return absl::OkStatus();
}

absl::Status OutputChannel::Failed(absl::Status status) {
  // The connection's reader may have failed the channel first, with its own reason.
  return credit_->Fail(std::move(status));
}

absl::Status OutputChannel::SendBatch(const RecordBatch& batch) {
  if (auto s = CheckOpen(); !s.ok()) return s;
  if (batch.empty()) return absl::OkStatus();
  int64_t waited_ns = 0;
  absl::Status status = credit_->Take(&waited_ns);
  if (waited_ns > 0) counters_.AddBackPressure(waited_ns);
  if (!status.ok()) return status;
  if (status = WriteBatch(batch); !status.ok()) return Failed(std::move(status));
  counters_.AddBatch(batch.size(), batch.bytes());
  return absl::OkStatus();
}

absl::Status OutputChannel::SendEvent(FrameKind kind, int64_t value) {
  if (auto s = CheckOpen(); !s.ok()) return s;
  if (auto s = credit_->AwaitAttached(); !s.ok()) return s;
  if (auto s = WriteEvent(kind, value); !s.ok()) return Failed(std::move(s));
  return absl::OkStatus();
}

absl::Status OutputChannel::SendBarrier(int64_t checkpoint_id) {
  return SendEvent(FrameKind::kBarrier, checkpoint_id);
}

absl::Status OutputChannel::SendWatermark(int64_t event_time_ms) {
  return SendEvent(FrameKind::kWatermark, event_time_ms);
}

absl::Status OutputChannel::SendIdle() { return SendEvent(FrameKind::kIdle, 0); }

absl::Status OutputChannel::SendEndOfStream() {
  absl::Status status = SendEvent(FrameKind::kEndOfStream, 0);
  ended_ = true;
  return status;
}

void OutputChannel::Cancel() {
  (void)credit_->Fail(absl::CancelledError(absl::StrCat(id_.ToString(), " cancelled")));
}

// --- local ----------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OutputChannel>> LocalOutputChannel::Open(ChannelRegistry& registry,
                                                                        const ChannelId& id) {
  std::unique_ptr<LocalOutputChannel> channel(new LocalOutputChannel(registry, id));
  if (auto s = registry.AddSender(id, channel->credit_); !s.ok()) return s;
  return channel;
}

LocalOutputChannel::LocalOutputChannel(ChannelRegistry& registry, const ChannelId& id)
    : OutputChannel(id, std::make_shared<ChannelCredit>()), registry_(registry) {}

LocalOutputChannel::~LocalOutputChannel() {
  registry_.RemoveSender(
      id_, credit_.get(),
      ended() ? absl::OkStatus()
              : absl::AbortedError(absl::StrCat("producer of ", id_.ToString(),
                                                " stopped before the end of its stream")));
}

std::optional<ChannelReceiver> LocalOutputChannel::Receiver() {
  if (!receiver_) receiver_ = registry_.FindReceiver(id_);
  return receiver_;
}

absl::Status LocalOutputChannel::WriteBatch(const RecordBatch& batch) {
  std::optional<ChannelReceiver> receiver = Receiver();
  if (!receiver) return absl::OkStatus();
  auto buffer = receiver->queues->TakeBuffer(receiver->index);
  if (!buffer.ok()) return buffer.status();
  // The one copy a local exchange makes, into a reused buffer: the producer keeps its batch.
  **buffer = batch;
  receiver->queues->PushData(receiver->index, *std::move(buffer));
  return absl::OkStatus();
}

absl::Status LocalOutputChannel::WriteEvent(FrameKind kind, int64_t value) {
  std::optional<ChannelReceiver> receiver = Receiver();
  // As the data server does: the id is free again before the consumer sees the end.
  if (kind == FrameKind::kEndOfStream) registry_.RemoveSender(id_, credit_.get(), absl::OkStatus());
  if (receiver) receiver->queues->PushEvent(receiver->index, kind, value);
  return absl::OkStatus();
}

}  // namespace ec
