// ChannelId: names one logical channel of a data exchange, producer subtask → consumer subtask.
#pragma once

#include <cstdint>
#include <string>

#include "absl/hash/hash.h"

namespace ec {

// One producer subtask's output to one consumer subtask, within one attempt of one job. Every
// frame on the wire carries it, so a frame means the same thing whichever connection brought
// it. The attempt (the job's restart count, TaskId.attempt) keeps a restarted job's channels
// apart from the old attempt's: a cancelled producer's last frames, or a stale connection,
// can never feed or fail the new attempt's gates (Flink's ExecutionAttemptID in its
// ResultPartitionID does the same).
struct ChannelId {
  std::string job_id;  // at most kMaxJobIdBytes (frame.h) bytes
  int64_t attempt = 0;
  int32_t producer_vertex = 0;
  int32_t producer_subtask = 0;
  int32_t consumer_vertex = 0;
  int32_t consumer_subtask = 0;

  // "job=<id> attempt=<n> channel=1.0->2.1" (vertex.subtask), for log lines and errors.
  std::string ToString() const;

  friend bool operator==(const ChannelId&, const ChannelId&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const ChannelId& c) {
    return H::combine(std::move(h), c.job_id, c.attempt, c.producer_vertex, c.producer_subtask,
                      c.consumer_vertex, c.consumer_subtask);
  }
};

}  // namespace ec
