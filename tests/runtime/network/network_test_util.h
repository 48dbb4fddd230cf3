// Helpers for the data-plane tests: channel ids, batches, and draining a gate.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/network/input_gate.h"
#include "tests/eventually.h"

namespace ec::test_support {

// Vertex 1 subtask `producer_subtask` → vertex 2 subtask `consumer_subtask`.
inline ChannelId Channel(int producer_subtask, int consumer_subtask, int64_t attempt = 0) {
  return ChannelId{"job-1", attempt, 1, producer_subtask, 2, consumer_subtask};
}

// `count` records "<prefix>-<first + i>".
inline RecordBatch MakeBatch(const std::string& prefix, int first, int count) {
  RecordBatch batch;
  for (int i = 0; i < count; ++i) batch.Append(absl::StrCat(prefix, "-", first + i));
  return batch;
}

inline std::vector<std::string> Records(const RecordBatch& batch) {
  std::vector<std::string> out;
  for (size_t i = 0; i < batch.size(); ++i) out.emplace_back(batch[i]);
  return out;
}

// One gate event as the tests compare them; for kData, the records of the batch.
struct Delivered {
  GateEvent::Kind kind;
  int channel;
  int64_t value;
  std::vector<std::string> records;
  friend bool operator==(const Delivered&, const Delivered&) = default;
};

// Polls until `stop` holds for the last event or the gate ends, failing the test after 10 s.
template <typename Stop>
std::vector<Delivered> PollUntil(InputGate& gate, Stop stop) {
  std::vector<Delivered> got;
  RecordBatch batch;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<GateEvent> event = gate.Poll(batch, absl::Milliseconds(50));
    EXPECT_TRUE(event.ok()) << event.status();
    if (!event.ok() || event->kind == GateEvent::Kind::kNone) {
      if (!event.ok()) return got;
      continue;
    }
    got.push_back(
        {event->kind, event->channel, event->value,
         event->kind == GateEvent::Kind::kData ? Records(batch) : std::vector<std::string>{}});
    if (event->kind == GateEvent::Kind::kEndOfInput || stop(got.back())) return got;
  }
  ADD_FAILURE() << "gate did not reach the expected event within 10 s";
  return got;
}

inline std::vector<Delivered> PollToEnd(InputGate& gate) {
  return PollUntil(gate, [](const Delivered&) { return false; });
}

// The records delivered from `channel`, in delivery order.
inline std::vector<std::string> RecordsOf(const std::vector<Delivered>& events, int channel) {
  std::vector<std::string> out;
  for (const Delivered& e : events) {
    if (e.kind == GateEvent::Kind::kData && e.channel == channel) {
      out.insert(out.end(), e.records.begin(), e.records.end());
    }
  }
  return out;
}

}  // namespace ec::test_support
