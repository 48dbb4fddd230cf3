// RecordWriter: a producer subtask's output, partitioned over its output channels.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "runtime/network/output_channel.h"
#include "runtime/network/partitioner.h"

namespace ec {

// Sends each batch the task emits to the channels its partitioner picks, and events to every
// channel (Flink's RecordWriter). channels[i] is the channel to consumer subtask i. Owned and
// called by the producer's task thread; Cancel() from any thread.
//
// A send blocks while its channel has no credit; a failed channel fails the call, and the
// task should then fail (the job restarts from its last checkpoint).
class RecordWriter {
 public:
  RecordWriter(std::vector<std::unique_ptr<OutputChannel>> channels,
               std::unique_ptr<Partitioner> partitioner);

  absl::Status Emit(const RecordBatch& batch);
  // Events go to every channel, after everything emitted before them.
  absl::Status BroadcastBarrier(int64_t checkpoint_id);
  absl::Status BroadcastWatermark(int64_t event_time_ms);
  absl::Status BroadcastIdle();
  absl::Status EndOfStream();
  void Cancel();

  int num_channels() const { return static_cast<int>(channels_.size()); }
  OutputChannel& channel(int i) { return *channels_[i]; }

 private:
  template <typename F>
  absl::Status ForEach(F send);

  std::vector<std::unique_ptr<OutputChannel>> channels_;
  std::unique_ptr<Partitioner> partitioner_;
  BatchRouting routing_;
};

}  // namespace ec
