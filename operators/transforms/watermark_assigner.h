// Timestamps and watermarks: Flink's WatermarkStrategy.forBoundedOutOfOrderness(...)
// .withIdleness(...), as the `watermarks` operator.
#pragma once

#include <simdjson.h>

#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "operators/transforms/dead_letter.h"

namespace ec {

// Passes every record on unchanged and generates watermarks from their timestamps: after the
// largest timestamp seen, max_ts, the watermark is max_ts - max_out_of_orderness - 1 (no
// watermark before the first record). It replaces the watermark coming from upstream, as
// Flink's assigner does. With an idle timeout, the output is marked idle while no record has
// arrived for that long (processing time), so a downstream gate stops waiting for it; the next
// record ends idleness. A record without a readable timestamp goes to the dead-letter output.
// Keeps no checkpointed state (Flink does not checkpoint watermark generators either): after a
// restore, watermarks start again from the records that follow.
// Used from the task thread only, like every operator.
class WatermarkAssigner : public DeadLetterTransform {
 public:
  struct Options {
    std::string timestamp_field = "timestamp";
    absl::Duration max_out_of_orderness = absl::ZeroDuration();
    std::optional<absl::Duration> idle_timeout;  // unset: never idle
    std::function<absl::Time()> clock;           // processing time; absl::Now when unset
  };

  explicit WatermarkAssigner(Options options);

  absl::Status Open(OperatorContext& ctx) override;
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;
  absl::Status AdvanceTime(const WatermarkStatus& in, RecordBatch& emitted,
                           WatermarkStatus* out) override;

 private:
  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }

  Options options_;
  int64_t max_out_of_orderness_ms_;
  simdjson::ondemand::parser parser_;
  std::string scratch_;
  bool seen_record_ = false;
  int64_t max_timestamp_ = 0;
  absl::Time last_record_ = absl::InfinitePast();
};

// The operator's fields, checked: errors name the field (used by the registry).
absl::StatusOr<WatermarkAssigner::Options> WatermarkAssignerOptions(const JobSpec& job,
                                                                    const OperatorSpec& op,
                                                                    const std::string& path);
absl::Status ValidateWatermarkAssigner(const JobSpec& job, const OperatorSpec& op,
                                       const std::string& path);

}  // namespace ec
