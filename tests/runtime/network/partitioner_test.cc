// Partitioners: forward, rebalance, broadcast, and hash by key group as Flink assigns them.
#include "runtime/network/partitioner.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "runtime/network/input_gate.h"
#include "runtime/network/output_channel.h"
#include "runtime/network/record_writer.h"
#include "runtime/state/keyed_state_backend.h"
#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::MakeBatch;
using test_support::RecordsOf;

// Records "key|payload": the key is everything before the bar.
std::string_view KeyOf(std::string_view record) { return record.substr(0, record.find('|')); }

RecordBatch KeyedBatch(int keys, int first = 0) {
  RecordBatch batch;
  for (int i = first; i < first + keys; ++i) batch.Append(absl::StrCat("user-", i, "|payload"));
  return batch;
}

TEST(KeyGroupTest, RangesCoverEveryKeyGroupOnceAndAgreeWithTheOwner) {
  for (int max : {1, 7, 128, 32768}) {
    for (int parallelism : {1, 2, 3, 7, 100}) {
      if (parallelism > max) continue;
      int next = 0;
      for (int s = 0; s < parallelism; ++s) {
        const KeyGroupRange range = KeyGroupRangeOf(s, parallelism, max);
        EXPECT_EQ(range.first, next) << "p=" << parallelism << " max=" << max;
        for (int g = range.first; g <= range.last; ++g) {
          ASSERT_EQ(SubtaskForKeyGroup(g, parallelism, max), s) << "g=" << g;
        }
        next = range.last + 1;
      }
      EXPECT_EQ(next, max);
    }
  }
}

TEST(HashPartitionerTest, RoutesEveryKeyToTheSubtaskOwningItsKeyGroup) {
  constexpr int kParallelism = 3;
  constexpr int kMaxParallelism = 128;
  auto partitioner = HashPartitioner(kParallelism, kMaxParallelism, KeyOf);
  BatchRouting routing;
  const RecordBatch in = KeyedBatch(5000);
  partitioner->Route(in, routing);
  EXPECT_TRUE(routing.whole.empty());
  ASSERT_EQ(routing.split.size(), 3u);
  size_t total = 0;
  for (int s = 0; s < kParallelism; ++s) {
    const KeyGroupRange owned = KeyGroupRangeOf(s, kParallelism, kMaxParallelism);
    for (size_t i = 0; i < routing.split[s].size(); ++i) {
      const int group = KeyGroupOf(KeyOf(routing.split[s][i]), kMaxParallelism);
      ASSERT_TRUE(owned.Contains(group)) << routing.split[s][i] << " in group " << group;
    }
    EXPECT_GT(routing.split[s].size(), 1000u);  // 5000 keys spread over 3
    total += routing.split[s].size();
  }
  EXPECT_EQ(total, in.size());
}

TEST(HashPartitionerTest, SameKeyAlwaysGoesToTheSameSubtask) {
  auto partitioner = HashPartitioner(4, 128, KeyOf);
  BatchRouting routing;
  std::map<std::string, int> owner;
  for (int round = 0; round < 3; ++round) {
    // Overlapping key ranges in different batches.
    partitioner->Route(KeyedBatch(500, round * 250), routing);
    for (int s = 0; s < 4; ++s) {
      for (size_t i = 0; i < routing.split[s].size(); ++i) {
        const std::string key(KeyOf(routing.split[s][i]));
        auto [it, inserted] = owner.emplace(key, s);
        EXPECT_EQ(it->second, s) << key;
      }
    }
  }
  EXPECT_EQ(owner.size(), 1000u);
}

TEST(PartitionerTest, ForwardSendsTheWholeBatchToItsOneChannel) {
  BatchRouting routing;
  ForwardPartitioner()->Route(MakeBatch("r", 0, 5), routing);
  EXPECT_EQ(routing.whole, std::vector<int>{0});
}

TEST(PartitionerTest, RebalanceTakesChannelsInTurn) {
  auto partitioner = RebalancePartitioner(3, 1);
  BatchRouting routing;
  std::vector<int> targets;
  for (int i = 0; i < 6; ++i) {
    partitioner->Route(MakeBatch("r", i, 1), routing);
    ASSERT_EQ(routing.whole.size(), 1u);
    targets.push_back(routing.whole[0]);
  }
  EXPECT_EQ(targets, (std::vector<int>{1, 2, 0, 1, 2, 0}));
}

TEST(PartitionerTest, BroadcastSendsEveryBatchToEveryChannel) {
  BatchRouting routing;
  BroadcastPartitioner(3)->Route(MakeBatch("r", 0, 2), routing);
  EXPECT_EQ(routing.whole, (std::vector<int>{0, 1, 2}));
}

TEST(MakePartitionerTest, BuildsWhatTheDeploymentNames) {
  const std::vector<std::string> key = {"user"};
  BatchRouting routing;
  auto forward = MakePartitioner(proto::PARTITIONING_FORWARD, 3, 2, 128, {});
  ASSERT_TRUE(forward.ok());
  EXPECT_EQ((*forward)->num_channels(), 1);
  auto rebalance = MakePartitioner(proto::PARTITIONING_REBALANCE, 3, 4, 128, {});
  ASSERT_TRUE(rebalance.ok());
  (*rebalance)->Route(MakeBatch("r", 0, 1), routing);
  EXPECT_EQ(routing.whole, std::vector<int>{1});  // starts at subtask % consumers
  auto broadcast = MakePartitioner(proto::PARTITIONING_BROADCAST, 3, 0, 128, {});
  ASSERT_TRUE(broadcast.ok());
  (*broadcast)->Route(MakeBatch("r", 0, 1), routing);
  EXPECT_EQ(routing.whole, (std::vector<int>{0, 1, 2}));
  auto hash = MakePartitioner(proto::PARTITIONING_HASH, 2, 0, 128, key);
  ASSERT_TRUE(hash.ok());
  RecordBatch batch;
  batch.Append(R"({"user":"alice"})");
  (*hash)->Route(batch, routing);
  ASSERT_EQ(routing.split.size(), 2u);
  const int owner = SubtaskForKeyGroup(KeyGroupOf("\"alice\"", 128), 2, 128);
  EXPECT_EQ(routing.split[owner].size(), 1u);
  EXPECT_EQ(routing.split[1 - owner].size(), 0u);
}

TEST(MakePartitionerTest, UnspecifiedPartitioningIsInvalid) {
  auto none = MakePartitioner(proto::PARTITIONING_UNSPECIFIED, 2, 0, 128, {});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(none.status().message(), "unknown partitioning 0");
}

TEST(RecordWriterTest, HashExchangeDeliversEachKeyToItsOwnerOnly) {
  constexpr int kConsumers = 2;
  ChannelRegistry registry;
  std::vector<std::unique_ptr<InputGate>> gates;
  for (int c = 0; c < kConsumers; ++c)
    gates.push_back(*InputGate::Create(registry, {Channel(0, c)}));
  std::vector<std::unique_ptr<OutputChannel>> channels;
  for (int c = 0; c < kConsumers; ++c) {
    channels.push_back(*LocalOutputChannel::Open(registry, Channel(0, c)));
  }
  RecordWriter writer(std::move(channels), HashPartitioner(kConsumers, 128, KeyOf));
  std::thread producer([&] {
    for (int b = 0; b < 20; ++b) EXPECT_TRUE(writer.Emit(KeyedBatch(50, b * 50)).ok());
    EXPECT_TRUE(writer.BroadcastWatermark(5).ok());
    EXPECT_TRUE(writer.EndOfStream().ok());
  });
  // Each consumer in its own thread: one that is not polled back-pressures the producer.
  std::vector<std::vector<std::string>> received(kConsumers);
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back(
        [&, c] { received[c] = RecordsOf(test_support::PollToEnd(*gates[c]), 0); });
  }
  for (auto& t : consumers) t.join();
  producer.join();
  size_t total = 0;
  for (int c = 0; c < kConsumers; ++c) {
    const KeyGroupRange owned = KeyGroupRangeOf(c, kConsumers, 128);
    for (const std::string& record : received[c]) {
      EXPECT_TRUE(owned.Contains(KeyGroupOf(KeyOf(record), 128))) << record;
      ++total;
    }
    EXPECT_EQ(gates[c]->watermark(), 5);
  }
  EXPECT_EQ(total, 1000u);
}

}  // namespace
}  // namespace ec
