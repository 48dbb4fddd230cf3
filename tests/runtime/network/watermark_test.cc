// Watermarks: the gate's watermark is the minimum over channels that are not idle or ended.
#include <gtest/gtest.h>

#include "runtime/network/input_gate.h"
#include "runtime/network/output_channel.h"
#include "runtime/network/watermark_valve.h"
#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::Delivered;
using test_support::MakeBatch;
using Kind = GateEvent::Kind;

TEST(WatermarkValveTest, NoWatermarkUntilEveryActiveChannelHasOne) {
  WatermarkValve valve(2);
  EXPECT_EQ(valve.OnWatermark(0, 100), std::nullopt);
  EXPECT_EQ(valve.OnWatermark(1, 50), 50);
  EXPECT_EQ(valve.OnWatermark(1, 150), 100);
  EXPECT_EQ(valve.current(), 100);
}

TEST(WatermarkValveTest, IdleChannelIsLeftOutOfTheMinimum) {
  WatermarkValve valve(3);
  valve.OnWatermark(0, 100);
  valve.OnWatermark(1, 70);
  EXPECT_EQ(valve.OnIdle(2), 70);  // channel 2 never sent one
  EXPECT_EQ(valve.OnIdle(1), 100);
  EXPECT_FALSE(valve.idle());
}

TEST(WatermarkValveTest, EndedChannelIsLeftOutOfTheMinimum) {
  WatermarkValve valve(2);
  valve.OnWatermark(0, 10);
  EXPECT_EQ(valve.OnEndOfStream(1), 10);
  EXPECT_EQ(valve.OnWatermark(0, 20), 20);
}

TEST(WatermarkValveTest, NeverGoesBack) {
  WatermarkValve valve(2);
  valve.OnWatermark(0, 100);
  valve.OnIdle(1);
  EXPECT_EQ(valve.current(), 100);
  // Channel 1 wakes up behind the gate: the gate holds at 100 until it catches up.
  EXPECT_EQ(valve.OnWatermark(1, 40), std::nullopt);
  EXPECT_EQ(valve.OnWatermark(0, 300), std::nullopt);
  EXPECT_EQ(valve.OnWatermark(1, 200), 200);
  EXPECT_EQ(valve.OnWatermark(0, 250), std::nullopt);  // a channel's own watermark only rises
}

TEST(WatermarkValveTest, EveryChannelIdleKeepsTheWatermarkAndReportsIdle) {
  WatermarkValve valve(2);
  valve.OnWatermark(0, 5);
  valve.OnWatermark(1, 6);
  EXPECT_EQ(valve.OnIdle(0), 6);
  EXPECT_EQ(valve.OnIdle(1), std::nullopt);
  EXPECT_TRUE(valve.idle());
  EXPECT_EQ(valve.current(), 6);
}

TEST(GateWatermarkTest, MinimumWithAnIdleChannel) {
  ChannelRegistry registry;
  auto gate = InputGate::Create(registry, {Channel(0, 0), Channel(1, 0), Channel(2, 0)});
  ASSERT_TRUE(gate.ok());
  std::vector<std::unique_ptr<OutputChannel>> out;
  for (int p = 0; p < 3; ++p) out.push_back(*LocalOutputChannel::Open(registry, Channel(p, 0)));

  ASSERT_TRUE(out[0]->SendWatermark(100).ok());
  ASSERT_TRUE(out[1]->SendWatermark(60).ok());
  ASSERT_TRUE(out[2]->SendIdle().ok());
  auto first = test_support::PollUntil(
      **gate, [](const Delivered& e) { return e.kind == Kind::kWatermark; });
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.back().value, 60);  // channel 2 is idle: min(100, 60)

  ASSERT_TRUE(out[1]->SendWatermark(150).ok());
  auto second = test_support::PollUntil(
      **gate, [](const Delivered& e) { return e.kind == Kind::kWatermark; });
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second.back().value, 100);
  EXPECT_EQ((*gate)->watermark(), 100);

  // Channel 0 ends: its watermark no longer holds the gate back.
  ASSERT_TRUE(out[0]->SendEndOfStream().ok());
  auto third = test_support::PollUntil(
      **gate, [](const Delivered& e) { return e.kind == Kind::kWatermark; });
  ASSERT_FALSE(third.empty());
  EXPECT_EQ(third.back().value, 150);
}

TEST(GateWatermarkTest, ConsecutiveWatermarksAreMergedWhileQueued) {
  ChannelRegistry registry;
  auto gate = InputGate::Create(registry, {Channel(0, 0)});
  auto out = *LocalOutputChannel::Open(registry, Channel(0, 0));
  for (int t = 1; t <= 10000; ++t) ASSERT_TRUE(out->SendWatermark(t).ok());
  ASSERT_TRUE(out->SendBatch(MakeBatch("r", 0, 1)).ok());
  ASSERT_TRUE(out->SendEndOfStream().ok());
  auto got = test_support::PollToEnd(**gate);
  ASSERT_EQ(got.size(), 3u);  // one watermark, the batch, the end
  EXPECT_EQ(got[0].kind, Kind::kWatermark);
  EXPECT_EQ(got[0].value, 10000);
  EXPECT_EQ(got[1].kind, Kind::kData);
}

}  // namespace
}  // namespace ec
