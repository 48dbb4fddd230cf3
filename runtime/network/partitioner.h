// Partitioners: which consumer subtasks receive the records of a producer's batch.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/common.pb.h"
#include "runtime/record_batch.h"
#include "runtime/state/key_groups.h"  // KeyGroupOf, SubtaskForKeyGroup, KeyGroupRangeOf

namespace ec {

// Where the records of one batch go: whole to some channels (no copy), or split by record.
struct BatchRouting {
  std::vector<int> whole;          // channels that receive the batch as it is
  std::vector<RecordBatch> split;  // per channel, the records routed to it (may be empty)
};

// Routes whole batches, never single records through a virtual call. One per producer
// subtask, called from its task thread only.
class Partitioner {
 public:
  virtual ~Partitioner() = default;
  // Fills `routing` for `in`: clears both parts, then `whole`, or `split` (resized to
  // num_channels(); its batches are reused, so a warmed-up partitioner allocates nothing).
  virtual void Route(const RecordBatch& in, BatchRouting& routing) = 0;
  virtual int num_channels() const = 0;
};

// Subtask i → consumer subtask i: the one channel of the writer.
std::unique_ptr<Partitioner> ForwardPartitioner();
// Whole batches in turn over `channels`, starting at `first`. Per batch rather than per record
// (Flink's rebalance is per record): the same spread over many batches without splitting and
// copying every batch; producers should start at different channels (e.g. their subtask).
std::unique_ptr<Partitioner> RebalancePartitioner(int channels, int first = 0);
// Every batch to every channel.
std::unique_ptr<Partitioner> BroadcastPartitioner(int channels);

// The key of a record as bytes; the view must stay valid until the next call (a simdjson
// extractor may return a view into its own buffer).
using KeyExtractor = std::function<std::string_view(std::string_view record)>;
// By key, as Flink's keyBy: key → key group (KeyGroupOf, over `max_parallelism` groups) →
// the subtask owning that key group (SubtaskForKeyGroup). `channels` ≤ max_parallelism.
std::unique_ptr<Partitioner> HashPartitioner(int channels, int max_parallelism, KeyExtractor key);

// The partitioner of one producer subtask's output exchange, as the deployment names it:
// forward (one channel, to the consumer subtask of the same index), rebalance over `consumers`
// starting at `subtask` % consumers, broadcast to all, or hash by the RecordKey of `key_fields`
// over `max_parallelism` key groups (a record without the key fields goes to the key group of
// the empty key; the keyed operator there sends it to its dead-letter output). Errors:
// InvalidArgument for PARTITIONING_UNSPECIFIED or a value this build does not know.
absl::StatusOr<std::unique_ptr<Partitioner>> MakePartitioner(
    proto::Partitioning partitioning, int consumers, int subtask, int max_parallelism,
    const std::vector<std::string>& key_fields);

}  // namespace ec
