// RecordWriter: partitioning and broadcasting over output channels.
#include "runtime/network/record_writer.h"

namespace ec {

RecordWriter::RecordWriter(std::vector<std::unique_ptr<OutputChannel>> channels,
                           std::unique_ptr<Partitioner> partitioner)
    : channels_(std::move(channels)), partitioner_(std::move(partitioner)) {}

absl::Status RecordWriter::Emit(const RecordBatch& batch) {
  if (batch.empty()) return absl::OkStatus();
  partitioner_->Route(batch, routing_);
  for (int i : routing_.whole) {
    if (auto s = channels_[i]->SendBatch(batch); !s.ok()) return s;
  }
  for (size_t i = 0; i < routing_.split.size(); ++i) {
    if (auto s = channels_[i]->SendBatch(routing_.split[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename F>
absl::Status RecordWriter::ForEach(F send) {
  for (auto& channel : channels_) {
    if (auto s = send(*channel); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status RecordWriter::BroadcastBarrier(int64_t checkpoint_id) {
  return ForEach([&](OutputChannel& c) { return c.SendBarrier(checkpoint_id); });
}

absl::Status RecordWriter::BroadcastWatermark(int64_t event_time_ms) {
  return ForEach([&](OutputChannel& c) { return c.SendWatermark(event_time_ms); });
}

absl::Status RecordWriter::BroadcastIdle() {
  return ForEach([](OutputChannel& c) { return c.SendIdle(); });
}

absl::Status RecordWriter::EndOfStream() {
  return ForEach([](OutputChannel& c) { return c.SendEndOfStream(); });
}

void RecordWriter::Cancel() {
  for (auto& channel : channels_) channel->Cancel();
}

}  // namespace ec
