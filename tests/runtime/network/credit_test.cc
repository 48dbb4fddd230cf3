// Credit-based flow control: a sender without credit blocks; a slow consumer bounds memory.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/network/input_gate.h"
#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::Eventually;
using test_support::MakeBatch;

class CreditTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<DataServer>(DataServerOptions{"127.0.0.1", 0});
    ASSERT_TRUE(server_->Start().ok());
    DataClientOptions options;
    if (local()) {
      options.local_registry = &server_->registry();
      options.local_address = address();
    }
    client_ = std::make_unique<DataClient>(options);
  }
  void TearDown() override { client_.reset(); }

  bool local() const { return GetParam(); }
  std::string address() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  std::unique_ptr<OutputChannel> Open(const ChannelId& id) {
    auto out = client_->Open(address(), id);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *std::move(out) : nullptr;
  }

  std::unique_ptr<DataServer> server_;
  std::unique_ptr<DataClient> client_;
};

TEST_P(CreditTest, SenderBlocksWhenCreditIsExhausted) {
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0)}, {2, 0});
  ASSERT_TRUE(gate.ok());
  auto out = Open(Channel(0, 0));
  std::atomic<int> sent{0};
  std::thread producer([&] {
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(out->SendBatch(MakeBatch("b", i, 1)).ok());
      sent.fetch_add(1);
    }
  });
  // Two exclusive credits, no floating buffers: two batches in, the third send waits.
  ASSERT_TRUE(
      Eventually([&] { return out->back_pressured() && (*gate)->buffered_batches() == 2; }));
  EXPECT_EQ(sent.load(), 2);

  RecordBatch batch;
  auto event = (*gate)->Poll(batch, absl::Seconds(10));
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(batch[0], "b-0");
  // Consuming one batch returns one credit: exactly one more send goes through.
  ASSERT_TRUE(Eventually([&] {
    return sent.load() == 3 && out->back_pressured() && (*gate)->buffered_batches() == 2;
  }));

  for (int i = 1; i < 5; ++i) {
    ASSERT_TRUE((*gate)->Poll(batch, absl::Seconds(10)).ok());
    EXPECT_EQ(batch[0], "b-" + std::to_string(i));
  }
  producer.join();
  EXPECT_GT(out->counters().backpressure_ns(), 0);
}

TEST_P(CreditTest, SlowConsumerKeepsMemoryBounded) {
  constexpr int kBatches = 150;
  constexpr int kRecordBytes = 100;
  constexpr int kPerBatch = 10;
  const CreditOptions credits{2, 3};
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0), Channel(1, 0)}, credits);
  ASSERT_TRUE(gate.ok());
  std::vector<std::unique_ptr<OutputChannel>> outputs;
  for (int p = 0; p < 2; ++p) outputs.push_back(Open(Channel(p, 0)));
  RecordBatch batch;
  for (int i = 0; i < kPerBatch; ++i) batch.Append(std::string(kRecordBytes, 'a' + i));
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int b = 0; b < kBatches; ++b) EXPECT_TRUE(outputs[p]->SendBatch(batch).ok());
      EXPECT_TRUE(outputs[p]->SendEndOfStream().ok());
    });
  }
  const size_t bound = 2 * credits.exclusive_per_channel + credits.floating_per_gate;
  size_t max_bytes = 0;
  int received = 0;
  RecordBatch in;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    auto event = (*gate)->Poll(in, absl::Milliseconds(100));
    ASSERT_TRUE(event.ok());
    if (event->kind == GateEvent::Kind::kEndOfInput) break;
    if (event->kind != GateEvent::Kind::kData) continue;
    ++received;
    max_bytes = std::max(max_bytes, (*gate)->buffered_bytes());
    absl::SleepFor(absl::Microseconds(300));  // the slow operator, not synchronisation
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(received, 2 * kBatches);
  EXPECT_LE((*gate)->max_buffered_batches(), bound);
  EXPECT_LE((*gate)->allocated_buffers(), bound);
  EXPECT_LE(max_bytes, bound * batch.bytes());
  // Producers outran the consumer, so both waited for credit.
  for (auto& out : outputs) EXPECT_GT(out->counters().backpressure_ns(), 0);
}

TEST_P(CreditTest, FloatingBuffersGoToTheBusyChannel) {
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0), Channel(1, 0)}, {1, 2});
  ASSERT_TRUE(gate.ok());
  auto busy = Open(Channel(0, 0));
  auto quiet = Open(Channel(1, 0));
  std::thread producer([&] {
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(busy->SendBatch(MakeBatch("b", i, 1)).ok());
  });
  // One exclusive credit plus both floating buffers: three batches in before it blocks.
  ASSERT_TRUE(
      Eventually([&] { return busy->back_pressured() && (*gate)->buffered_batches() == 3; }));
  EXPECT_EQ(busy->counters().batches(), 3u);
  RecordBatch batch;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE((*gate)->Poll(batch, absl::Seconds(10)).ok());
    EXPECT_EQ(batch[0], "b-" + std::to_string(i));
  }
  producer.join();
  // The quiet channel kept its exclusive credit throughout.
  EXPECT_TRUE(quiet->SendBatch(MakeBatch("q", 0, 1)).ok());
}

INSTANTIATE_TEST_SUITE_P(TcpAndLocal, CreditTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Local" : "Tcp"; });

}  // namespace
}  // namespace ec
