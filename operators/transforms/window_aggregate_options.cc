// The `window` operator's job-file fields, checked with errors that name the field.

#include "absl/strings/str_cat.h"
#include "operators/config_fields.h"
#include "operators/registry.h"
#include "operators/transforms/event_timestamp.h"
#include "operators/transforms/window_aggregate.h"
#include "runtime/job_graph.h"

namespace ec {
namespace {

absl::Status FieldError(const std::string& path, const std::string& key, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("job file: ", path, ".", key, ": ", what));
}

// A window length in whole milliseconds, > 0 and at most kMaxEventTimeSpanMs.
absl::StatusOr<int64_t> WindowLength(const JobSpec& job, const OperatorSpec& op,
                                     const std::string& path, const std::string& key) {
  const std::string expected = "expected a duration > 0, e.g. \"10s\"";
  if (!job.Setting(op, key)) return FieldError(path, key, absl::StrCat("missing (", expected, ")"));
  auto d = ConfigFields(job, op, path).DurationOr(key, absl::ZeroDuration());
  if (!d.ok()) return d.status();
  if (*d <= absl::ZeroDuration()) return FieldError(path, key, expected);
  if (*d > absl::Milliseconds(kMaxEventTimeSpanMs)) {
    return FieldError(path, key, "expected a duration of at most 300000h");
  }
  if (*d % absl::Milliseconds(1) != absl::ZeroDuration()) {
    return FieldError(path, key, "expected whole milliseconds");
  }
  return absl::ToInt64Milliseconds(*d);
}

absl::StatusOr<std::vector<std::string>> KeyBy(const OperatorSpec& op, const std::string& path,
                                               const std::string& aggregate) {
  const std::string expected = absl::StrCat(
      "expected a non-empty array of distinct field names, other than "
      "\"window_start\", \"window_end\" and \"",
      aggregate, "\", e.g. [\"source\", \"level\"]");
  if (!op.config.contains("key-by")) {
    return FieldError(path, "key-by", absl::StrCat("missing (", expected, ")"));
  }
  // A window is keyed by its "key-by" alone (checked above): its type has no key fields field.
  auto fields = KeyFieldsOf(op, OperatorTraits{}, path);
  if (!fields.ok()) return fields.status();
  for (const auto& name : *fields) {
    if (name == "window_start" || name == "window_end" || name == aggregate) {
      return FieldError(path, "key-by", expected);
    }
  }
  return fields;
}

}  // namespace

absl::StatusOr<WindowAggregate::Options> WindowAggregateOptions(const JobSpec& job,
                                                                const OperatorSpec& op,
                                                                const std::string& path) {
  ConfigFields fields(job, op, path);
  WindowAggregate::Options options;

  auto aggregate = fields.ChoiceOr("aggregate", "count", "count|sum|min|max");
  if (!aggregate.ok()) return aggregate.status();
  options.aggregate = *aggregate == "sum"   ? WindowAggregate::Aggregate::kSum
                      : *aggregate == "min" ? WindowAggregate::Aggregate::kMin
                      : *aggregate == "max" ? WindowAggregate::Aggregate::kMax
                                            : WindowAggregate::Aggregate::kCount;
  if (options.aggregate != WindowAggregate::Aggregate::kCount) {
    auto field = fields.String("field");
    if (!field.ok()) {
      return FieldError(path, "field",
                        absl::StrCat("missing (expected the numeric field to ", *aggregate, ")"));
    }
    options.field = *field;
  }

  auto key_by = KeyBy(op, path, *aggregate);
  if (!key_by.ok()) return key_by.status();
  options.key_by = *std::move(key_by);

  auto window = fields.ChoiceOr("window", "tumbling", "tumbling|sliding");
  if (!window.ok()) return window.status();
  auto size = WindowLength(job, op, path, "size");
  if (!size.ok()) return size.status();
  options.size_ms = options.slide_ms = *size;
  if (*window == "sliding") {
    auto slide = WindowLength(job, op, path, "slide");
    if (!slide.ok()) return slide.status();
    if (*slide > *size || *size % *slide != 0) {
      return FieldError(path, "slide",
                        absl::StrCat("expected a duration that divides size (", *size,
                                     "ms) evenly, e.g. \"5s\" for a 10s window"));
    }
    options.slide_ms = *slide;
  } else if (op.config.contains("slide")) {
    return FieldError(path, "slide", "only sliding windows have one (set \"window\": \"sliding\")");
  }

  auto time = fields.ChoiceOr("time", "event", "event|processing");
  if (!time.ok()) return time.status();
  options.event_time = *time == "event";
  options.timestamp_field = fields.StringOr("timestamp-field", "timestamp");
  if (options.timestamp_field.empty()) {
    return FieldError(path, "timestamp-field", "expected a field name");
  }

  options.late_topic = fields.StringOr("late-topic", "");
  if (options.late_topic == "none") options.late_topic.clear();
  if (!options.late_topic.empty()) {
    if (auto s = SideOutputs().validate(job, op); !s.ok()) return s;
  }
  return options;
}

absl::Status ValidateWindowAggregate(const JobSpec& job, const OperatorSpec& op,
                                     const std::string& path) {
  if (auto options = WindowAggregateOptions(job, op, path); !options.ok()) {
    return options.status();
  }
  return ValidateDeadLetter(job, op, path);
}

}  // namespace ec
