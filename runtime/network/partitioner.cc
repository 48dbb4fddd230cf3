// Forward, rebalance, broadcast and hash partitioners.
#include "runtime/network/partitioner.h"

#include "absl/strings/str_cat.h"
#include "runtime/record_key.h"
#include "runtime/state/key_groups.h"

namespace ec {
namespace {

void Reset(BatchRouting& routing, int channels) {
  routing.whole.clear();
  routing.split.resize(channels);
  for (RecordBatch& b : routing.split) b.Clear();
}

class Forward final : public Partitioner {
 public:
  void Route(const RecordBatch&, BatchRouting& routing) override {
    Reset(routing, 1);
    routing.whole.push_back(0);
  }
  int num_channels() const override { return 1; }
};

class Rebalance final : public Partitioner {
 public:
  Rebalance(int channels, int first) : channels_(channels), next_(first % channels) {}
  void Route(const RecordBatch&, BatchRouting& routing) override {
    Reset(routing, channels_);
    routing.whole.push_back(next_);
    next_ = (next_ + 1) % channels_;
  }
  int num_channels() const override { return channels_; }

 private:
  int channels_;
  int next_;
};

class Broadcast final : public Partitioner {
 public:
  explicit Broadcast(int channels) : channels_(channels) {}
  void Route(const RecordBatch&, BatchRouting& routing) override {
    Reset(routing, channels_);
    for (int i = 0; i < channels_; ++i) routing.whole.push_back(i);
  }
  int num_channels() const override { return channels_; }

 private:
  int channels_;
};

class Hash final : public Partitioner {
 public:
  Hash(int channels, int max_parallelism, KeyExtractor key)
      : channels_(channels), max_parallelism_(max_parallelism), key_(std::move(key)) {}
  void Route(const RecordBatch& in, BatchRouting& routing) override {
    Reset(routing, channels_);
    for (size_t i = 0; i < in.size(); ++i) {
      const std::string_view record = in[i];
      const int group = KeyGroupOf(key_(record), max_parallelism_);
      routing.split[SubtaskForKeyGroup(group, channels_, max_parallelism_)].Append(record);
    }
  }
  int num_channels() const override { return channels_; }

 private:
  int channels_;
  int max_parallelism_;
  KeyExtractor key_;
};

}  // namespace

std::unique_ptr<Partitioner> ForwardPartitioner() { return std::make_unique<Forward>(); }

std::unique_ptr<Partitioner> RebalancePartitioner(int channels, int first) {
  return std::make_unique<Rebalance>(channels, first);
}

std::unique_ptr<Partitioner> BroadcastPartitioner(int channels) {
  return std::make_unique<Broadcast>(channels);
}

std::unique_ptr<Partitioner> HashPartitioner(int channels, int max_parallelism, KeyExtractor key) {
  return std::make_unique<Hash>(channels, max_parallelism, std::move(key));
}

absl::StatusOr<std::unique_ptr<Partitioner>> MakePartitioner(
    proto::Partitioning partitioning, int consumers, int subtask, int max_parallelism,
    const std::vector<std::string>& key_fields) {
  switch (partitioning) {
    case proto::PARTITIONING_FORWARD:
      return ForwardPartitioner();
    case proto::PARTITIONING_REBALANCE:
      return RebalancePartitioner(consumers, subtask % consumers);
    case proto::PARTITIONING_BROADCAST:
      return BroadcastPartitioner(consumers);
    case proto::PARTITIONING_HASH: {
      auto key = std::make_shared<RecordKey>(key_fields);
      return HashPartitioner(consumers, max_parallelism,
                             [key](std::string_view record) -> std::string_view {
                               return key->Extract(record) ? key->key() : std::string_view();
                             });
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown partitioning ", static_cast<int>(partitioning)));
  }
}

}  // namespace ec
