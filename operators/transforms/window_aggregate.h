// Keyed windows with an aggregate: Flink's keyBy(fields).window(Tumbling|Sliding...Windows)
// .aggregate(count | sum | min | max), as the `window` operator.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "operators/transforms/dead_letter.h"
#include "runtime/record_key.h"

namespace ec {

// Assigns every record to the windows of its key (RecordKey of `key_by`) that contain its time:
// event time from its timestamp field, or processing time at arrival. Windows are aligned to
// the epoch as Flink's are (offset 0): tumbling [k*size, (k+1)*size), sliding every
// [k*slide, k*slide + size) that contains the time. A window fires, emitting one record, once
// the input watermark reaches its last millisecond (end - 1; event time) or the clock reaches
// its end (processing time):
//   {"window_start":"<ISO>","window_end":"<ISO>","<key field>":<raw JSON value>,...,
//    "<aggregate>":<number>}
// with the key fields in `key_by` order and their values as the input had them.
//
// Aggregates: count (uint64), sum, min, max of a numeric field, kept as double: exact for
// integers up to 2^53, written as JSON integers when integral, else in shortest form.
//
// Event time: a record whose windows have all closed (end - 1 <= the watermark when it
// arrives; Flink with allowed lateness 0) is late: it is counted (late_records(), and the
// dead-letter counter), written to `late_topic` if set, and aggregated nowhere; a sliding
// window's record still counts in those of its windows that are open. Nothing fires before
// the first watermark.
//
// State: the windows' aggregates live in the task's keyed state (MapState "<name>.windows":
// the key's RecordKey → window start → aggregate), so they are checkpointed with it; each batch
// is aggregated in memory first and written back once per (key, window) before the batch ends.
// The timers (window end, key, start) are kept in memory and rebuilt from that state on Open.
// A record missing a key field, its timestamp or its numeric field goes to the dead-letter
// output. Used from the task thread only, like every operator.
class WindowAggregate : public DeadLetterTransform {
 public:
  enum class Aggregate { kCount, kSum, kMin, kMax };

  struct Options {
    std::vector<std::string> key_by;
    int64_t size_ms = 0;
    int64_t slide_ms = 0;  // == size_ms for tumbling windows
    bool event_time = true;
    Aggregate aggregate = Aggregate::kCount;
    std::string field;  // sum, min, max: the numeric field aggregated
    std::string timestamp_field = "timestamp";
    std::string late_topic;             // "": late events are only counted
    std::function<absl::Time()> clock;  // processing time; absl::Now when unset
  };

  explicit WindowAggregate(Options options);

  absl::Status Open(OperatorContext& ctx) override;
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;
  absl::Status AdvanceTime(const WatermarkStatus& in, RecordBatch& emitted,
                           WatermarkStatus* out) override;
  absl::Status Tick() override;
  absl::Status Flush(absl::Time deadline) override;
  bool UsesKeyedState() const override { return true; }

  // Late records seen by this instance (not checkpointed; the task's counters add them up).
  uint64_t late_records() const { return late_records_; }
  // Windows holding data and waiting to fire.
  size_t pending_windows() const { return timers_.size(); }

 private:
  // The partial aggregate of one window: `value` for sum/min/max, `count` always.
  struct Accumulator {
    double value = 0;
    uint64_t count = 0;
  };
  struct Timer {
    int64_t end;
    std::string key;
    int64_t start;
    auto operator<=>(const Timer&) const = default;
  };

  // Reads one record's key, time and value; false (with `why`) when it lacks one.
  bool Read(simdjson::padded_string_view record, int64_t now_ms, int64_t* ts, double* value,
            const char** why);
  void Add(int64_t start, double value);
  void Merge(Accumulator& into, const Accumulator& from) const;
  std::string_view Encode(const Accumulator& acc);
  Accumulator Decode(std::string_view bytes) const;
  absl::Status WriteBack();
  // Fires every window whose end - 1 <= max_timestamp.
  absl::Status FireUntil(int64_t max_timestamp, RecordBatch& emitted);
  void AppendResult(const Timer& timer, const Accumulator& acc, RecordBatch& emitted) const;
  int64_t NowMs() const;

  Options options_;
  // Output pieces built once: ,"<key field>": and ,"<aggregate>":
  std::vector<std::string> field_prefixes_;
  std::string aggregate_prefix_;
  RecordKey key_;
  simdjson::ondemand::parser parser_;
  std::string scratch_;
  std::optional<MapState> windows_;
  std::unique_ptr<DeadLetterOutput> late_;
  std::set<Timer> timers_;
  int64_t watermark_ = kNoWatermark;
  uint64_t late_records_ = 0;
  // The current batch's windows: RecordKey key + encoded window start → partial aggregate.
  absl::flat_hash_map<std::string, Accumulator> batch_;
  std::string composite_;
  std::string stored_;
  char encoded_[8];
};

// The operator's fields, checked: errors name the field (used by the registry).
absl::StatusOr<WindowAggregate::Options> WindowAggregateOptions(const JobSpec& job,
                                                                const OperatorSpec& op,
                                                                const std::string& path);
absl::Status ValidateWindowAggregate(const JobSpec& job, const OperatorSpec& op,
                                     const std::string& path);

}  // namespace ec
