// Nexmark's model as nexmark-flink's generator defines it: the event mix, the id spaces, the skew
// knobs and event time, each a pure function of the event number n.
#pragma once

#include <cstdint>

namespace ec::nexmark {

// The event_type column of nexmark-flink's Kafka table.
enum class EventKind : int { kPerson = 0, kAuction = 1, kBid = 2 };

// Out of every kTotalProportion events: 1 person, 3 auctions, 46 bids (in that order).
inline constexpr int64_t kPersonProportion = 1;
inline constexpr int64_t kAuctionProportion = 3;
inline constexpr int64_t kBidProportion = 46;
inline constexpr int64_t kTotalProportion = kPersonProportion + kAuctionProportion + kBidProportion;

// Ids start here so queries find matches even on small runs.
inline constexpr int64_t kFirstPersonId = 1000;
inline constexpr int64_t kFirstAuctionId = 1000;
inline constexpr int64_t kFirstCategoryId = 10;
inline constexpr int64_t kNumCategories = 5;

// Ids not yet generated that a random pick may name (a bid may precede its auction's record).
inline constexpr int64_t kPersonIdLead = 10;
inline constexpr int64_t kAuctionIdLead = 10;
// Random picks range over the last kNumActivePeople people and kNumInFlightAuctions auctions.
inline constexpr int64_t kNumActivePeople = 1000;
inline constexpr int64_t kNumInFlightAuctions = 100;

// Skew: with probability 1 - 1/ratio a pick is the hot one, the first (bidders: second) id of
// the current batch of kHotBatch ids; else a random active one.
inline constexpr int64_t kHotAuctionRatio = 2;
inline constexpr int64_t kHotSellersRatio = 4;
inline constexpr int64_t kHotBiddersRatio = 4;
inline constexpr int64_t kHotBatch = 100;

// Average record sizes that `extra` pads to (Nexmark's estimate of the fields' bytes + extra).
inline constexpr int kAvgPersonBytes = 200;
inline constexpr int kAvgAuctionBytes = 500;
inline constexpr int kAvgBidBytes = 100;

// 2015-07-15T00:00:00.000Z, Nexmark's customary base time.
inline constexpr int64_t kDefaultBaseTimeMillis = 1436918400000;
// nexmark-flink's default TPS (nexmark.yaml: nexmark.workload.suite.*.tps = 10,000,000).
inline constexpr double kDefaultEventsPerSecond = 10'000'000;

constexpr EventKind KindOf(uint64_t n) {
  const auto offset = static_cast<int64_t>(n % kTotalProportion);
  if (offset < kPersonProportion) return EventKind::kPerson;
  if (offset < kPersonProportion + kAuctionProportion) return EventKind::kAuction;
  return EventKind::kBid;
}

// The base-0 id of the last person generated at or before event n (n's own if n is a person).
constexpr int64_t LastBase0PersonId(uint64_t n) {
  const auto epoch = static_cast<int64_t>(n / kTotalProportion);
  int64_t offset = static_cast<int64_t>(n % kTotalProportion);
  if (offset >= kPersonProportion) offset = kPersonProportion - 1;
  return epoch * kPersonProportion + offset;
}

// The base-0 id of the last auction generated at or before event n (n's own if n is an
// auction); -1 before the first auction.
constexpr int64_t LastBase0AuctionId(uint64_t n) {
  int64_t epoch = static_cast<int64_t>(n / kTotalProportion);
  int64_t offset = static_cast<int64_t>(n % kTotalProportion);
  if (offset < kPersonProportion) {
    --epoch;  // a person: the last auction is the previous epoch's last
    offset = kAuctionProportion - 1;
  } else if (offset >= kPersonProportion + kAuctionProportion) {
    offset = kAuctionProportion - 1;  // a bid: this epoch's last auction
  } else {
    offset -= kPersonProportion;
  }
  return epoch * kAuctionProportion + offset;
}

// Event time of event n in Unix ms, as Nexmark's GeneratorConfig.timestampForEvent: the base
// time plus n inter-event delays of 1e6 / events_per_second microseconds, truncated to ms.
inline int64_t EventTimeMillis(int64_t base_time_ms, double events_per_second, uint64_t n) {
  const double inter_event_delay_us = 1e6 / events_per_second;
  return base_time_ms +
         static_cast<int64_t>(static_cast<double>(n) * inter_event_delay_us) / 1000;
}

}  // namespace ec::nexmark
