// Batches across real loopback TCP: round trip, order per channel, one connection per peer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/network/input_gate.h"
#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::Delivered;
using test_support::MakeBatch;
using test_support::PollToEnd;
using test_support::RecordsOf;

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<DataServer>(DataServerOptions{"127.0.0.1", 0});
    ASSERT_TRUE(server_->Start().ok());
    address_ = absl::StrCat("127.0.0.1:", server_->port());
  }

  std::unique_ptr<DataServer> server_;
  std::string address_;
};

std::vector<std::string> Expected(const std::string& prefix, int batches, int per_batch) {
  std::vector<std::string> out;
  for (int i = 0; i < batches * per_batch; ++i) out.push_back(absl::StrCat(prefix, "-", i));
  return out;
}

TEST_F(ExchangeTest, ServerReportsTheBoundEphemeralPort) { EXPECT_GT(server_->port(), 0); }

TEST_F(ExchangeTest, BatchesRoundTripInOrderPerChannel) {
  constexpr int kBatches = 200;
  constexpr int kPerBatch = 50;
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0), Channel(1, 0)});
  ASSERT_TRUE(gate.ok()) << gate.status();
  DataClient client;
  std::vector<std::unique_ptr<OutputChannel>> outputs;
  for (int p = 0; p < 2; ++p) {
    auto out = client.Open(address_, Channel(p, 0));
    ASSERT_TRUE(out.ok()) << out.status();
    outputs.push_back(*std::move(out));
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int b = 0; b < kBatches; ++b) {
        EXPECT_TRUE(
            outputs[p]->SendBatch(MakeBatch(absl::StrCat("p", p), b * kPerBatch, kPerBatch)).ok());
      }
      EXPECT_TRUE(outputs[p]->SendEndOfStream().ok());
    });
  }
  std::vector<Delivered> got = PollToEnd(**gate);
  for (auto& t : producers) t.join();

  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().kind, GateEvent::Kind::kEndOfInput);
  EXPECT_EQ(RecordsOf(got, 0), Expected("p0", kBatches, kPerBatch));
  EXPECT_EQ(RecordsOf(got, 1), Expected("p1", kBatches, kPerBatch));
  for (int p = 0; p < 2; ++p) {
    EXPECT_EQ(outputs[p]->counters().records(), uint64_t{kBatches * kPerBatch});
    EXPECT_EQ(outputs[p]->counters().batches(), uint64_t{kBatches});
    EXPECT_EQ((*gate)->counters(p).records(), outputs[p]->counters().records());
    EXPECT_EQ((*gate)->counters(p).bytes(), outputs[p]->counters().bytes());
  }
}

TEST_F(ExchangeTest, ChannelsToOnePeerShareOneConnection) {
  auto gate = InputGate::Create(server_->registry(),
                                {Channel(0, 0), Channel(1, 0), Channel(2, 0), Channel(3, 0)});
  ASSERT_TRUE(gate.ok());
  DataClient client;
  std::vector<std::unique_ptr<OutputChannel>> outputs;
  for (int p = 0; p < 4; ++p) outputs.push_back(*client.Open(address_, Channel(p, 0)));
  EXPECT_EQ(client.connect_attempts(), 1);
  for (int p = 0; p < 4; ++p) {
    ASSERT_TRUE(outputs[p]->SendBatch(MakeBatch(absl::StrCat("p", p), 0, 3)).ok());
    ASSERT_TRUE(outputs[p]->SendEndOfStream().ok());
  }
  std::vector<Delivered> got = PollToEnd(**gate);
  for (int p = 0; p < 4; ++p) EXPECT_EQ(RecordsOf(got, p), Expected(absl::StrCat("p", p), 1, 3));
}

TEST_F(ExchangeTest, ProducerMayOpenBeforeTheConsumerRegisters) {
  DataClient client;
  auto out = client.Open(address_, Channel(0, 0));
  ASSERT_TRUE(out.ok());
  std::thread producer([&] {
    // Blocks until the gate below has registered and granted credit.
    EXPECT_TRUE((*out)->SendBatch(MakeBatch("early", 0, 2)).ok());
    EXPECT_TRUE((*out)->SendEndOfStream().ok());
  });
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0)});
  ASSERT_TRUE(gate.ok());
  std::vector<Delivered> got = PollToEnd(**gate);
  producer.join();
  EXPECT_EQ(RecordsOf(got, 0), (std::vector<std::string>{"early-0", "early-1"}));
}

TEST_F(ExchangeTest, LargeBatchesCrossInOneFrame) {
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0)});
  DataClient client;
  auto out = client.Open(address_, Channel(0, 0));
  RecordBatch big;
  const std::string record(4000, 'x');
  for (int i = 0; i < 2000; ++i) big.Append(record);  // 8 MB, larger than any socket buffer
  std::thread producer([&] {
    for (int i = 0; i < 3; ++i) EXPECT_TRUE((*out)->SendBatch(big).ok());
    EXPECT_TRUE((*out)->SendEndOfStream().ok());
  });
  std::vector<Delivered> got = PollToEnd(**gate);
  producer.join();
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(got[i].records.size(), 2000u);
    EXPECT_EQ(got[i].records[1999], record);
  }
}

TEST_F(ExchangeTest, SecondGateForTheSameChannelIsRefused) {
  auto first = InputGate::Create(server_->registry(), {Channel(0, 0)});
  ASSERT_TRUE(first.ok());
  auto second = InputGate::Create(server_->registry(), {Channel(1, 0), Channel(0, 0)});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  // The refused gate left nothing behind: its other channel can be registered again.
  EXPECT_TRUE(InputGate::Create(server_->registry(), {Channel(1, 0)}).ok());
}

}  // namespace
}  // namespace ec
