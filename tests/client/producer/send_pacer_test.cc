// SendPacer: the first event at once, an exact long-run rate, per-tick batches at high rates,
// exact waits at low rates, and a dropped backlog after a long stall.
#include "client/producer/send_pacer.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ec::producer {
namespace {

using Clock = SendPacer::Clock;
using std::chrono::milliseconds;

TEST(SendPacerTest, FirstEventIsDueAtStart) {
  const Clock::time_point start = Clock::now();
  SendPacer pacer(10, start);
  EXPECT_EQ(pacer.Due(start), 1u);
}

TEST(SendPacerTest, DueFollowsTheRateWithoutDrift) {
  const Clock::time_point start = Clock::now();
  SendPacer pacer(100000, start);
  uint64_t sent = 0;
  for (int ms = 0; ms <= 3000; ++ms) {
    const uint64_t due = pacer.Due(start + milliseconds(ms));
    pacer.OnSent(due);
    sent += due;
  }
  EXPECT_EQ(sent, 300001u);  // events 0..300000 fall due in [0 s, 3 s]
}

TEST(SendPacerTest, HighRatesWakeOncePerTick) {
  const Clock::time_point start = Clock::now();
  SendPacer pacer(100000, start);
  pacer.OnSent(pacer.Due(start));
  EXPECT_EQ(pacer.NextWake(start), start + SendPacer::kTick);
}

TEST(SendPacerTest, LowRatesWakeWhenTheNextEventIsDue) {
  const Clock::time_point start = Clock::now();
  SendPacer pacer(10, start);
  pacer.OnSent(pacer.Due(start));
  const Clock::time_point wake = pacer.NextWake(start);
  EXPECT_GE(wake, start + milliseconds(100));
  EXPECT_LT(wake, start + milliseconds(101));
  EXPECT_EQ(pacer.Due(wake), 1u);
  EXPECT_EQ(pacer.Due(wake - milliseconds(1)), 0u);
}

TEST(SendPacerTest, LongStallDropsTheBacklog) {
  const Clock::time_point start = Clock::now();
  SendPacer pacer(1000, start);
  pacer.OnSent(pacer.Due(start));
  const Clock::time_point later = start + std::chrono::seconds(10);
  EXPECT_EQ(pacer.Due(later), 1u);
  pacer.OnSent(1);
  EXPECT_EQ(pacer.Due(later + milliseconds(10)), 10u);
}

TEST(SendPacerTest, ShortStallIsCaughtUp) {
  const Clock::time_point start = Clock::now();
  SendPacer pacer(1000, start);
  pacer.OnSent(pacer.Due(start));
  EXPECT_EQ(pacer.Due(start + milliseconds(500)), 500u);
}

}  // namespace
}  // namespace ec::producer
