// Local channels: a producer in the consumer's process skips the socket but behaves the same.
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

// Sends the same script of batches and events, and returns what the gate delivered.
std::vector<Delivered> RunScript(DataClient& client, const std::string& address,
                                 ChannelRegistry& registry) {
  auto gate = InputGate::Create(registry, {Channel(0, 0)}, {2, 1});
  EXPECT_TRUE(gate.ok());
  auto out = client.Open(address, Channel(0, 0));
  EXPECT_TRUE(out.ok()) << out.status();
  std::thread producer([&] {
    OutputChannel& o = **out;
    for (int b = 0; b < 30; ++b) {
      EXPECT_TRUE(o.SendBatch(MakeBatch("r", b * 7, 7)).ok());
      if (b % 10 == 9) {
        EXPECT_TRUE(o.SendBarrier(b / 10 + 1).ok());
      }
      if (b % 5 == 4) {
        EXPECT_TRUE(o.SendWatermark(b * 100).ok());
      }
    }
    EXPECT_TRUE(o.SendIdle().ok());
    EXPECT_TRUE(o.SendBatch(RecordBatch()).ok());  // empty: sends nothing
    EXPECT_TRUE(o.SendWatermark(99999).ok());
    EXPECT_TRUE(o.SendEndOfStream().ok());
  });
  std::vector<Delivered> got = test_support::PollToEnd(**gate);
  producer.join();
  EXPECT_EQ((*out)->counters().records(), 210u);
  EXPECT_EQ((*gate)->counters(0).records(), 210u);
  return got;
}

TEST(LocalChannelTest, DeliversTheSameAsTcp) {
  DataServer server({"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  const std::string address = absl::StrCat("127.0.0.1:", server.port());
  DataClient remote;
  DataClientOptions local_options;
  local_options.local_registry = &server.registry();
  local_options.local_address = address;
  DataClient local(local_options);

  std::vector<Delivered> over_tcp = RunScript(remote, address, server.registry());
  std::vector<Delivered> in_process = RunScript(local, address, server.registry());
  EXPECT_EQ(remote.connect_attempts(), 1);
  EXPECT_EQ(local.connect_attempts(), 0);  // never touched a socket

  // Watermarks may be merged while queued, differently in each run; everything else matches.
  auto without_watermarks = [](std::vector<Delivered> events) {
    std::erase_if(events, [](const Delivered& e) { return e.kind == GateEvent::Kind::kWatermark; });
    return events;
  };
  EXPECT_EQ(without_watermarks(over_tcp), without_watermarks(in_process));
  ASSERT_GE(over_tcp.size(), 2u);
  ASSERT_GE(in_process.size(), 2u);
  // The last watermark (after IDLE: the channel is active again) is the same in both.
  EXPECT_EQ(over_tcp[over_tcp.size() - 2], in_process[in_process.size() - 2]);
  EXPECT_EQ(over_tcp[over_tcp.size() - 2].value, 99999);
}

TEST(LocalChannelTest, ProducerStoppingBeforeTheEndFailsTheConsumer) {
  ChannelRegistry registry;
  auto gate = InputGate::Create(registry, {Channel(0, 0)});
  auto out = *LocalOutputChannel::Open(registry, Channel(0, 0));
  ASSERT_TRUE(out->SendBatch(MakeBatch("r", 0, 1)).ok());
  out.reset();
  RecordBatch batch;
  auto event = (*gate)->Poll(batch, absl::Seconds(10));
  EXPECT_EQ(event.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(event.status().message(),
            "producer of job=job-1 attempt=0 channel=1.0->2.0 stopped before the end of "
            "its stream");
}

TEST(LocalChannelTest, ChannelIsFreeAgainAfterItsEnd) {
  ChannelRegistry registry;
  for (int round = 0; round < 2; ++round) {
    auto gate = InputGate::Create(registry, {Channel(0, 0)});
    ASSERT_TRUE(gate.ok()) << gate.status();
    auto out = LocalOutputChannel::Open(registry, Channel(0, 0));
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_TRUE((*out)->SendBatch(MakeBatch("r", round, 1)).ok());
    ASSERT_TRUE((*out)->SendEndOfStream().ok());
    auto got = test_support::PollToEnd(**gate);
    EXPECT_EQ(test_support::RecordsOf(got, 0),
              std::vector<std::string>{"r-" + std::to_string(round)});
  }
}

TEST(LocalChannelTest, SecondProducerOfAChannelIsRefused) {
  ChannelRegistry registry;
  auto first = LocalOutputChannel::Open(registry, Channel(0, 0));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(LocalOutputChannel::Open(registry, Channel(0, 0)).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(LocalOutputChannel::Open(registry, Channel(0, 0, /*attempt=*/1)).ok());
}

}  // namespace
}  // namespace ec
