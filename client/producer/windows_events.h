// Synthetic Windows event log entries as NDJSON lines: a pure function of (seed, seq), so a
// stream can be resumed at any seq and replayed byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "client/producer/event_catalog.h"
#include "client/producer/timestamp_formatter.h"

namespace ec::producer {

// Generates event lines with the fields, in this order: seq, timestamp, source, level,
// event_id, computer, user, message. Everything but the timestamp depends on (seed, seq) alone;
// the timestamp too when Options::start_time_ms is set, else it is the wall clock at generation.
//
// Cheap to construct (the tables are shared and built once per process). Not thread-safe (it
// caches the date of the last timestamp): use one generator per thread. The hot path performs
// no heap allocation beyond growing the caller's string.
class EventGenerator {
 public:
  struct Options {
    // Event seq gets timestamp start_time_ms + seq * time_step_ms (Unix ms, UTC).
    std::optional<int64_t> start_time_ms;
    int64_t time_step_ms = 100;
    // N > 0: the event of every seq with seq % N == N - 1 is replaced by a malformed line (not
    // valid JSON, no newline inside, still ends in '\n'). 0: never.
    uint64_t malformed_every = 0;
  };

  // Room a caller of WriteLine must provide; larger than any line.
  static constexpr size_t kMaxLineBytes = 4096;

  EventGenerator(uint64_t seed, Options options);

  // Appends the line of event `seq`, '\n' included, to `out`.
  void AppendEvent(uint64_t seq, std::string* out);

  // Writes the line of event `seq` at `out`, which has room for kMaxLineBytes; returns the
  // number of bytes written. The form that server loops use to fill their own buffers.
  size_t WriteLine(uint64_t seq, char* out) { return WriteLine(seq, WallClockMillis(), out); }

  // As above, stamping `now_ms` (Unix ms) instead of reading the clock when no start time is
  // set: a caller filling a buffer reads the clock once per buffer.
  size_t WriteLine(uint64_t seq, int64_t now_ms, char* out);

  // The wall clock, Unix ms.
  static int64_t WallClockMillis();

  // Whether `seq` is replaced by a malformed line.
  bool IsMalformed(uint64_t seq) const {
    return options_.malformed_every > 0 &&
           seq % options_.malformed_every == options_.malformed_every - 1;
  }

  // The timestamp (Unix ms) of event `seq` if generated at `now_ms`.
  int64_t TimestampMillis(uint64_t seq, int64_t now_ms) const;

  const Options& options() const { return options_; }

 private:
  char* WriteEvent(uint64_t seq, uint64_t h1, uint64_t h2, int64_t unix_ms, char* out);
  char* WriteMalformed(uint64_t seq, uint64_t h1, uint64_t h2, int64_t unix_ms, char* out);
  char* WriteSlot(Slot slot, const UserEntry& user, uint64_t h1, uint64_t h2, char* out) const;

  const EventCatalog& catalog_;
  const uint64_t seed_key_;
  const Options options_;
  TimestampFormatter formatter_;
};

}  // namespace ec::producer
