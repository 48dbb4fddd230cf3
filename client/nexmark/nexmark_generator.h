// Nexmark events (persons, auctions, bids) as the JSON records of nexmark-flink's Kafka table,
// each a pure function of (seed, event number).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/nexmark/event_random.h"
#include "client/nexmark/nexmark_model.h"
#include "client/nexmark/nexmark_tables.h"
#include "client/producer/timestamp_formatter.h"

namespace ec::nexmark {

// Writes event n as one JSON object in the field order of nexmark-flink's `kafka` table DDL:
//   {"event_type":0,"person":{...},"auction":null,"bid":null}   (1 in 50 events)
//   {"event_type":1,"person":null,"auction":{...},"bid":null}   (3 in 50)
//   {"event_type":2,"person":null,"auction":null,"bid":{...}}   (46 in 50)
// with TIMESTAMP(3) values as "yyyy-MM-dd HH:mm:ss.SSS" (UTC) and ASCII strings that need no
// escaping. Ids, kinds and times follow Nexmark's generator (nexmark_model.h); the random
// choices come from EventRandom(seed, n), so any range of events can be generated alone.
//
// Construction builds the seeded tables (a few milliseconds). WriteEvent performs no heap
// allocation. Not thread-safe (it caches the date of the last timestamp): one per thread.
class NexmarkGenerator {
 public:
  struct Options {
    uint64_t seed = 0;
    int64_t base_time_ms = kDefaultBaseTimeMillis;        // event time of event 0
    double events_per_second = kDefaultEventsPerSecond;  // event-time rate, > 0
  };

  // Room a caller of WriteEvent must provide; larger than any event.
  static constexpr size_t kMaxEventBytes = 2048;

  explicit NexmarkGenerator(Options options);

  // Writes event n's JSON object (no newline) at `out`, which has room for kMaxEventBytes;
  // returns the end of what was written.
  char* WriteEvent(uint64_t n, char* out);

  // Event n's JSON object as a string (for tests and tools; allocates).
  std::string Event(uint64_t n);

  // Event time of event n, Unix ms.
  int64_t EventTimeMillis(uint64_t n) const {
    return nexmark::EventTimeMillis(options_.base_time_ms, options_.events_per_second, n);
  }

  const Options& options() const { return options_; }

 private:
  char* WritePerson(uint64_t n, EventRandom& random, char* out);
  char* WriteAuction(uint64_t n, EventRandom& random, char* out);
  char* WriteBid(uint64_t n, EventRandom& random, char* out);

  // "yyyy-MM-dd HH:mm:ss.SSS", 23 characters.
  char* WriteTimestamp(int64_t unix_ms, char* out);
  // Nexmark's nextExtra: random letters so that current_size plus their count averages
  // `average`, a slice of the extra block.
  std::string_view PickExtra(EventRandom& random, int64_t current_size, int64_t average) const;
  // A random person / auction among the active ones (plus a few not yet generated), base 0.
  static int64_t NextBase0PersonId(uint64_t n, EventRandom& random);
  static int64_t NextBase0AuctionId(uint64_t n, EventRandom& random);
  // Nexmark's PriceGenerator: round(10^(u*6) * 100), 100 to 100,000,000 (cents).
  static int64_t NextPrice(EventRandom& random);
  // A random auction length whose mean is the event time until kNumInFlightAuctions more
  // auctions have been generated.
  int64_t NextAuctionLengthMs(uint64_t n, EventRandom& random, int64_t timestamp) const;

  const Options options_;
  const uint64_t seed_key_;
  const NexmarkTables tables_;
  ec::producer::TimestampFormatter formatter_;
};

}  // namespace ec::nexmark
