// Barrier alignment: data after a barrier is held back until every channel has the barrier.
#include <gtest/gtest.h>

#include "runtime/network/barrier_aligner.h"
#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/network/input_gate.h"
#include "runtime/network/output_channel.h"
#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::Delivered;
using test_support::MakeBatch;
using test_support::PollUntil;
using test_support::RecordsOf;
using Kind = GateEvent::Kind;

TEST(BarrierAlignerTest, SingleChannelAlignsAtOnce) {
  BarrierAligner aligner(1);
  AlignmentStep step = aligner.OnBarrier(0, 1);
  EXPECT_EQ(step.aligned, 1);
  EXPECT_FALSE(step.block_channel);
}

TEST(BarrierAlignerTest, BlocksEachChannelUntilTheLastBarrier) {
  BarrierAligner aligner(3);
  EXPECT_TRUE(aligner.OnBarrier(0, 7).block_channel);
  EXPECT_TRUE(aligner.OnBarrier(2, 7).block_channel);
  EXPECT_EQ(aligner.pending(), 7);
  AlignmentStep last = aligner.OnBarrier(1, 7);
  EXPECT_EQ(last.aligned, 7);
  EXPECT_EQ(aligner.pending(), 0);
}

TEST(BarrierAlignerTest, EndedChannelIsNotWaitedFor) {
  BarrierAligner aligner(2);
  EXPECT_TRUE(aligner.OnBarrier(0, 1).block_channel);
  EXPECT_EQ(aligner.OnEndOfStream(1).aligned, 1);
  EXPECT_EQ(aligner.OnBarrier(0, 2).aligned, 2);  // one live channel left
}

TEST(BarrierAlignerTest, NewerBarrierAbortsThePendingAlignment) {
  BarrierAligner aligner(2);
  aligner.OnBarrier(0, 1);
  AlignmentStep step = aligner.OnBarrier(1, 2);  // channel 1 skipped checkpoint 1
  EXPECT_EQ(step.aborted, 1);
  EXPECT_TRUE(step.block_channel);
  EXPECT_EQ(aligner.pending(), 2);
  EXPECT_FALSE(aligner.OnBarrier(0, 1).block_channel);  // stale
  EXPECT_EQ(aligner.OnBarrier(0, 2).aligned, 2);
}

// Gate-level, over local channels (the TCP case below): deterministic, since every send has
// reached the gate's queues when it returns.
class AlignmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto gate = InputGate::Create(registry_, {Channel(0, 0), Channel(1, 0)});
    ASSERT_TRUE(gate.ok());
    gate_ = *std::move(gate);
    for (int p = 0; p < 2; ++p) out_.push_back(*LocalOutputChannel::Open(registry_, Channel(p, 0)));
  }
  void Send(int producer, const std::string& prefix, int first) {
    ASSERT_TRUE(out_[producer]->SendBatch(MakeBatch(prefix, first, 1)).ok());
  }
  // Polls until nothing more is deliverable (a short wait with nothing).
  std::vector<Delivered> PollAvailable() {
    std::vector<Delivered> got;
    RecordBatch batch;
    while (true) {
      auto event = gate_->Poll(batch, absl::Milliseconds(100));
      EXPECT_TRUE(event.ok());
      if (!event.ok() || event->kind == Kind::kNone) return got;
      got.push_back(
          {event->kind, event->channel, event->value,
           event->kind == Kind::kData ? test_support::Records(batch) : std::vector<std::string>{}});
    }
  }

  ChannelRegistry registry_;
  std::unique_ptr<InputGate> gate_;
  std::vector<std::unique_ptr<OutputChannel>> out_;
};

TEST_F(AlignmentTest, HoldsBackDataAfterTheBarrierUntilAligned) {
  Send(0, "a", 1);
  ASSERT_TRUE(out_[0]->SendBarrier(1).ok());
  Send(0, "a", 2);  // after barrier 1 on channel 0: must wait for the alignment
  Send(1, "b", 1);
  Send(1, "b", 2);

  std::vector<Delivered> before = PollAvailable();
  EXPECT_EQ(RecordsOf(before, 0), (std::vector<std::string>{"a-1"}));
  EXPECT_EQ(RecordsOf(before, 1), (std::vector<std::string>{"b-1", "b-2"}));
  for (const Delivered& e : before) EXPECT_NE(e.kind, Kind::kBarrier);

  ASSERT_TRUE(out_[1]->SendBarrier(1).ok());
  Send(1, "b", 3);
  std::vector<Delivered> after = PollAvailable();
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after[0].kind, Kind::kBarrier);  // the snapshot comes before any held-back record
  EXPECT_EQ(after[0].value, 1);
  EXPECT_EQ(RecordsOf(after, 0), (std::vector<std::string>{"a-2"}));
  EXPECT_EQ(RecordsOf(after, 1), (std::vector<std::string>{"b-3"}));
}

TEST_F(AlignmentTest, HeldBackDataIsReleasedInOrder) {
  ASSERT_TRUE(out_[0]->SendBarrier(1).ok());
  Send(0, "a", 1);
  Send(0, "a", 2);  // two exclusive credits: the channel's buffers are full now
  ASSERT_TRUE(PollAvailable().empty());
  EXPECT_EQ(gate_->buffered_batches(), 2u);

  ASSERT_TRUE(out_[1]->SendBarrier(1).ok());
  std::vector<Delivered> got = PollUntil(
      *gate_, [](const Delivered& e) { return e.kind == Kind::kData && e.records[0] == "a-2"; });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].kind, Kind::kBarrier);
  EXPECT_EQ(got[1].records, (std::vector<std::string>{"a-1"}));
  EXPECT_EQ(got[2].records, (std::vector<std::string>{"a-2"}));
}

TEST_F(AlignmentTest, EndOfStreamOnTheOtherChannelCompletesTheAlignment) {
  ASSERT_TRUE(out_[0]->SendBarrier(3).ok());
  Send(0, "a", 1);
  ASSERT_TRUE(out_[1]->SendEndOfStream().ok());
  std::vector<Delivered> got = PollAvailable();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].kind, Kind::kBarrier);
  EXPECT_EQ(got[0].value, 3);
  EXPECT_EQ(got[1].records, (std::vector<std::string>{"a-1"}));
}

TEST_F(AlignmentTest, SkippedCheckpointIsReportedAborted) {
  ASSERT_TRUE(out_[0]->SendBarrier(1).ok());
  ASSERT_TRUE(out_[1]->SendBarrier(2).ok());
  ASSERT_TRUE(out_[0]->SendBarrier(2).ok());
  std::vector<Delivered> got = PollAvailable();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].kind, Kind::kCheckpointAborted);
  EXPECT_EQ(got[0].value, 1);
  EXPECT_EQ(got[1].kind, Kind::kBarrier);
  EXPECT_EQ(got[1].value, 2);
}

TEST(AlignmentOverTcpTest, HoldsBackDataAfterTheBarrierUntilAligned) {
  DataServer server({"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  auto gate = InputGate::Create(server.registry(), {Channel(0, 0), Channel(1, 0)});
  ASSERT_TRUE(gate.ok());
  DataClient client;
  const std::string address = absl::StrCat("127.0.0.1:", server.port());
  auto a = *client.Open(address, Channel(0, 0));
  auto b = *client.Open(address, Channel(1, 0));
  ASSERT_TRUE(a->SendBarrier(1).ok());
  ASSERT_TRUE(a->SendBatch(MakeBatch("a", 1, 1)).ok());
  ASSERT_TRUE(b->SendBatch(MakeBatch("b", 1, 1)).ok());
  // b-1 arrives; a-1 must not be delivered before the barrier.
  std::vector<Delivered> got =
      PollUntil(**gate, [](const Delivered& e) { return e.kind == Kind::kData; });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].records, (std::vector<std::string>{"b-1"}));
  ASSERT_TRUE(b->SendBarrier(1).ok());
  got = PollUntil(**gate, [](const Delivered& e) { return e.kind == Kind::kData; });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].kind, Kind::kBarrier);
  EXPECT_EQ(got[1].records, (std::vector<std::string>{"a-1"}));
}

}  // namespace
}  // namespace ec
