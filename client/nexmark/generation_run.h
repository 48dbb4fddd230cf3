// One run of the generator: events [first, first + count) into Kafka or as NDJSON into a file
// descriptor, optionally capped to a wall-clock rate.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "client/nexmark/kafka_event_writer.h"
#include "client/nexmark/nexmark_generator.h"

namespace ec::nexmark {

struct RunOptions {
  uint64_t first_event = 0;
  uint64_t count = 0;
  double rate = 0;  // records per second of wall-clock time; 0: as fast as possible
};

struct RunSummary {
  uint64_t events = 0;
  double seconds = 0;  // from the first event until the last is written (Kafka: acknowledged)
};

// Writes each event followed by '\n' to `fd` (stdout, a file), in writes of up to 1 MiB.
// Fails naming the descriptor's error (e.g. a closed pipe: EPIPE, with SIGPIPE ignored).
absl::StatusOr<RunSummary> GenerateToFd(NexmarkGenerator& generator, const RunOptions& options,
                                        int fd);

// Writes event n as one record (no key) to partition n % partition_count, then waits for
// every acknowledgement. Fails with the writer's first error.
absl::StatusOr<RunSummary> GenerateToKafka(NexmarkGenerator& generator, const RunOptions& options,
                                           KafkaEventWriter& writer);

}  // namespace ec::nexmark
