// Bounded-out-of-orderness watermarks with idleness, on simdjson on-demand.
#include "operators/transforms/watermark_assigner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "operators/config_fields.h"
#include "operators/transforms/event_timestamp.h"
#include "operators/transforms/padded_record.h"

namespace ec {

absl::StatusOr<WatermarkAssigner::Options> WatermarkAssignerOptions(const JobSpec& job,
                                                                    const OperatorSpec& op,
                                                                    const std::string& path) {
  ConfigFields fields(job, op, path);
  auto error = [&path](const std::string& key, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("job file: ", path, ".", key, ": ", what));
  };
  WatermarkAssigner::Options options;
  options.timestamp_field = fields.StringOr("timestamp-field", "timestamp");
  if (options.timestamp_field.empty()) return error("timestamp-field", "expected a field name");
  auto bound = fields.DurationOr("max-out-of-orderness", absl::ZeroDuration());
  if (!bound.ok()) return bound.status();
  if (*bound > absl::Milliseconds(kMaxEventTimeSpanMs)) {
    return error("max-out-of-orderness", "expected a duration from 0 to 300000h, e.g. \"5s\"");
  }
  options.max_out_of_orderness = *bound;
  if (job.Setting(op, "idle-timeout")) {
    auto idle = fields.DurationOr("idle-timeout", absl::ZeroDuration());
    if (!idle.ok()) return idle.status();
    if (*idle <= absl::ZeroDuration() || *idle == absl::InfiniteDuration()) {
      return error("idle-timeout",
                   "expected a duration > 0, e.g. \"30s\" (leave it out for never)");
    }
    options.idle_timeout = *idle;
  }
  return options;
}

absl::Status ValidateWatermarkAssigner(const JobSpec& job, const OperatorSpec& op,
                                       const std::string& path) {
  if (auto options = WatermarkAssignerOptions(job, op, path); !options.ok()) {
    return options.status();
  }
  return ValidateDeadLetter(job, op, path);
}

WatermarkAssigner::WatermarkAssigner(Options options)
    : options_(std::move(options)),
      max_out_of_orderness_ms_(absl::ToInt64Milliseconds(options_.max_out_of_orderness)) {}

absl::Status WatermarkAssigner::Open(OperatorContext& ctx) {
  if (auto s = DeadLetterTransform::Open(ctx); !s.ok()) return s;
  // The idle timeout counts from the start, as Flink's idleness timer does: a subtask that
  // never gets a record goes idle rather than holding back the watermark for good.
  last_record_ = Now();
  return absl::OkStatus();
}

absl::Status WatermarkAssigner::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  bool any = false;
  for (size_t i = 0; i < in.size(); ++i) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    int64_t ts = 0;
    if (parser_.iterate(PaddedRecord(in, i, scratch_)).get(doc) || doc.get_object().get(object) ||
        !ReadEventTime(object, options_.timestamp_field, &ts)) {
      if (auto s = dead_letters_->Write(in[i], "missing or unreadable timestamp field"); !s.ok()) {
        return s;
      }
      continue;
    }
    max_timestamp_ = seen_record_ ? std::max(max_timestamp_, ts) : ts;
    seen_record_ = true;
    any = true;
    out.Append(in[i]);
  }
  if (any && options_.idle_timeout) last_record_ = Now();
  return absl::OkStatus();
}

absl::Status WatermarkAssigner::AdvanceTime(const WatermarkStatus& in, RecordBatch& emitted,
                                            WatermarkStatus* out) {
  (void)in;  // replaced, as Flink's assigner replaces the watermarks before it
  (void)emitted;
  // Timestamps and the bound are within ±2^53 and 2^40 ms: no overflow.
  out->watermark = seen_record_ ? max_timestamp_ - max_out_of_orderness_ms_ - 1 : kNoWatermark;
  out->idle = options_.idle_timeout && Now() - last_record_ >= *options_.idle_timeout;
  return absl::OkStatus();
}

}  // namespace ec
