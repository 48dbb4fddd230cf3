// InputGate: polling, alignment and watermarks over the receive queues.
#include "runtime/network/input_gate.h"

#include <utility>

#include "absl/time/clock.h"

namespace ec {

absl::StatusOr<std::unique_ptr<InputGate>> InputGate::Create(ChannelRegistry& registry,
                                                             std::vector<ChannelId> channels,
                                                             CreditOptions options) {
  auto queues = std::make_shared<ReceiveQueues>(std::move(channels), options);
  std::unique_ptr<InputGate> gate(new InputGate(registry, queues));
  for (int i = 0; i < queues->num_channels(); ++i) {
    if (auto s = registry.AddReceiver(queues->id(i), {queues, i}); !s.ok()) {
      for (int j = 0; j < i; ++j) registry.RemoveReceiver(queues->id(j));
      queues->Close();
      gate->queues_ = nullptr;  // nothing for the destructor to unregister
      return s;
    }
  }
  return gate;
}

InputGate::InputGate(ChannelRegistry& registry, std::shared_ptr<ReceiveQueues> queues)
    : registry_(registry),
      queues_(std::move(queues)),
      counters_(queues_->num_channels()),
      aligner_(queues_->num_channels()),
      valve_(queues_->num_channels()) {}

InputGate::~InputGate() {
  if (!queues_) return;
  for (int i = 0; i < queues_->num_channels(); ++i) registry_.RemoveReceiver(queues_->id(i));
  queues_->Close();
}

absl::StatusOr<GateEvent> InputGate::Poll(RecordBatch& batch, absl::Duration max_wait) {
  const absl::Time deadline = absl::Now() + max_wait;
  while (pending_.empty()) {
    if (ended_ == num_channels()) return GateEvent{GateEvent::Kind::kEndOfInput};
    int channel = -1;
    Received entry;
    absl::StatusOr<bool> got = queues_->Next(deadline, &channel, &entry);
    if (!got.ok()) return got.status();
    if (!*got) return GateEvent{};
    if (entry.kind == FrameKind::kData) {
      counters_[channel].AddBatch(entry.batch->size(), entry.batch->bytes());
      valve_.OnData(channel);
      std::swap(batch, *entry.batch);
      queues_->Recycle(channel, std::move(entry.batch));
      return GateEvent{GateEvent::Kind::kData, channel};
    }
    OnEvent(channel, entry);
  }
  GateEvent event = pending_.front();
  pending_.pop_front();
  return event;
}

void InputGate::OnEvent(int channel, const Received& entry) {
  std::optional<int64_t> watermark;
  switch (entry.kind) {
    case FrameKind::kBarrier:
      ApplyAlignment(channel, aligner_.OnBarrier(channel, entry.value));
      break;
    case FrameKind::kWatermark:
      watermark = valve_.OnWatermark(channel, entry.value);
      break;
    case FrameKind::kIdle:
      watermark = valve_.OnIdle(channel);
      break;
    case FrameKind::kEndOfStream:
      ++ended_;
      ApplyAlignment(channel, aligner_.OnEndOfStream(channel));
      watermark = valve_.OnEndOfStream(channel);
      break;
    default:
      break;
  }
  if (watermark) pending_.push_back({GateEvent::Kind::kWatermark, channel, *watermark});
}

void InputGate::ApplyAlignment(int channel, const AlignmentStep& step) {
  if (step.aborted) {
    UnblockAll();
    pending_.push_back({GateEvent::Kind::kCheckpointAborted, channel, *step.aborted});
  }
  if (step.block_channel) queues_->SetBlocked(channel, true);
  if (step.aligned) {
    // The barrier goes out before any held-back record: the snapshot sees exactly the
    // records before barrier n on every channel.
    UnblockAll();
    pending_.push_back({GateEvent::Kind::kBarrier, channel, *step.aligned});
  }
}

void InputGate::UnblockAll() {
  for (int i = 0; i < num_channels(); ++i) queues_->SetBlocked(i, false);
}

}  // namespace ec
