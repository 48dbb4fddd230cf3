// The table of built-in operator types and job validation against it.
#include "operators/registry.h"

#include "absl/strings/str_cat.h"
// The catalog is the only file of operators/ that lists connectors' operator types. (The
// dead-letter output, transforms/dead_letter.h, writes through the connector's KafkaWriter, and
// window_aggregate_options.cc checks its late-events output's Kafka settings: those two include
// connectors/kafka/ for that alone.)
#include "connectors/kafka/kafka_operator_types.h"
#include "connectors/kafka/kafka_side_output.h"
#include "operators/config_fields.h"
#include "operators/sinks/print_sink.h"
#include "operators/sources/socket_text_source.h"
#include "operators/transforms/dead_letter.h"
#include "operators/transforms/filter.h"
#include "operators/transforms/json_parse.h"
#include "operators/transforms/keyed_count.h"
#include "operators/transforms/parse_map_fusion.h"
#include "operators/transforms/select.h"
#include "operators/transforms/throttle.h"
#include "operators/transforms/watermark_assigner.h"
#include "operators/transforms/window_aggregate.h"
#include "operators/transforms/windows_event_map.h"
#include "runtime/job_graph.h"

namespace ec {
namespace {

absl::Status NoFields(const JobSpec&, const OperatorSpec&, const std::string&) {
  return absl::OkStatus();
}

absl::StatusOr<SocketTextSource::Options> SocketOptions(const JobSpec& job, const OperatorSpec& op,
                                                        const std::string& path) {
  ConfigFields fields(job, op, path);
  SocketTextSource::Options options;
  auto host = fields.String("hostname");
  if (!host.ok()) return host.status();
  options.host = *host;
  auto port = fields.Int("port", 1, 65535);
  if (!port.ok()) return port.status();
  options.port = static_cast<int>(*port);
  auto initial = fields.DurationOr("initial-backoff", absl::Milliseconds(100));
  if (!initial.ok()) return initial.status();
  auto max = fields.DurationOr("max-backoff", absl::Seconds(5));
  if (!max.ok()) return max.status();
  if (*initial <= absl::ZeroDuration() || *max < *initial) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job file: ", path, ".max-backoff: expected initial-backoff > 0 and max-backoff >= it"));
  }
  options.initial_backoff = *initial;
  options.max_backoff = *max;
  auto resume = fields.ChoiceOr("resume", "true", "true|false");
  if (!resume.ok()) return resume.status();
  options.send_resume = *resume == "true";
  auto max_line = fields.IntOr("max-line-bytes", 1 << 20, 1024, int64_t{1} << 30);
  if (!max_line.ok()) return max_line.status();
  options.max_line_bytes = static_cast<size_t>(*max_line);
  return options;
}

absl::StatusOr<std::vector<std::string>> FilterValues(const OperatorSpec& op,
                                                      const std::string& path, bool* keep) {
  const bool has_in = op.config.contains("in");
  const bool has_not_in = op.config.contains("not-in");
  if (has_in == has_not_in) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path, ": expected exactly one of \"in\" or \"not-in\""));
  }
  const auto& list = op.config[has_in ? "in" : "not-in"];
  const std::string key = absl::StrCat(path, ".", has_in ? "in" : "not-in");
  if (!list.is_array() || list.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", key, ": expected a non-empty array"));
  }
  std::vector<std::string> values;
  for (const auto& v : list) {
    if (v.is_object() || v.is_array() || v.is_null()) {
      return absl::InvalidArgumentError(
          absl::StrCat("job file: ", key, ": expected strings or numbers"));
    }
    values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }
  *keep = has_in;
  return values;
}

absl::Status ValidateFilter(const JobSpec& job, const OperatorSpec& op, const std::string& path) {
  if (op.config.contains("where")) {  // a condition instead of field and list
    for (const char* other : {"field", "in", "not-in"}) {
      if (op.config.contains(other)) {
        return absl::InvalidArgumentError(absl::StrCat("job file: ", path, ": \"where\" or \"",
                                                       other, "\", not both"));
      }
    }
    return ValidateSelect(job, op, path);
  }
  ConfigFields fields(job, op, path);
  if (auto f = fields.String("field"); !f.ok()) return f.status();
  bool keep;
  return FilterValues(op, path, &keep).status();
}

// socket-source's traits: non-parallel, like Flink's socketTextStream.
OperatorTraits NonParallelTraits() {
  OperatorTraits traits;
  traits.non_parallel = true;
  return traits;
}

// Appends the types of `from` that are of `kind`: connectors' sources come after the built-in
// socket-source, their sinks before the built-in sinks (the order job-file errors list them).
void AppendOfKind(const std::vector<OperatorType>& from, OperatorKind kind,
                  std::vector<OperatorType>& table) {
  for (const auto& type : from) {
    if (type.kind == kind) table.push_back(type);
  }
}

std::vector<OperatorType> BuildTable() {
  std::vector<OperatorType> table;
  table.push_back(
      {"socket-source", OperatorKind::kSource,
       "reads lines from hostname:port; reconnects with backoff; resumes with RESUME <seq>",
       [](const JobSpec& j, const OperatorSpec& o, const std::string& p) {
         return SocketOptions(j, o, p).status();
       },
       [](const JobSpec& j, const OperatorSpec& o) -> std::unique_ptr<Operator> {
         return std::make_unique<SocketTextSource>(*SocketOptions(j, o, o.name));
       },
       NonParallelTraits()});
  AppendOfKind(KafkaOperatorTypes(), OperatorKind::kSource, table);
  table.push_back({"json-parse", OperatorKind::kTransform,
                   "keeps records that are JSON objects; others go to the dead-letter topic",
                   ValidateDeadLetter,
                   [](const JobSpec&, const OperatorSpec&) -> std::unique_ptr<Operator> {
                     return std::make_unique<JsonParse>();
                   },
                   OperatorTraits{}});
  table.push_back({"windows-event-map", OperatorKind::kTransform,
                   "normalises Windows events: severity, lower-case computer, processed_at",
                   ValidateDeadLetter,
                   [](const JobSpec&, const OperatorSpec&) -> std::unique_ptr<Operator> {
                     return std::make_unique<WindowsEventMap>();
                   },
                   OperatorTraits{}});
  table.push_back(
      {"filter", OperatorKind::kTransform,
       "keeps records whose field is in a list, or whose condition (where) holds", ValidateFilter,
       [](const JobSpec& j, const OperatorSpec& o) -> std::unique_ptr<Operator> {
         if (o.config.contains("where")) return std::make_unique<Select>(
             std::vector<SelectField>{}, *WhereOf(o, o.name));
         bool keep = true;
         auto values = *FilterValues(o, o.name, &keep);
         return std::make_unique<Filter>(*j.Setting(o, "field"), std::move(values), keep);
       },
       OperatorTraits{}});
  table.push_back({"select", OperatorKind::kTransform,
                   "SQL's SELECT fields WHERE condition: projection, computed fields, filter",
                   ValidateSelect, CreateSelect, OperatorTraits{}});
  table.push_back({"keyed-count", OperatorKind::kTransform,
                   "running count per key (key-fields), kept in RocksDB keyed state",
                   ValidateKeyedCount,
                   [](const JobSpec&, const OperatorSpec& o) -> std::unique_ptr<Operator> {
                     return std::make_unique<KeyedCount>(*KeyFields(o, o.name));
                   },
                   KeyedCountTraits()});
  table.push_back(
      {"watermarks", OperatorKind::kTransform,
       "event time from timestamp-field; watermarks max - max-out-of-orderness, idle-timeout",
       ValidateWatermarkAssigner,
       [](const JobSpec& j, const OperatorSpec& o) -> std::unique_ptr<Operator> {
         return std::make_unique<WatermarkAssigner>(*WatermarkAssignerOptions(j, o, o.name));
       },
       OperatorTraits{}});
  table.push_back(
      {"window", OperatorKind::kTransform,
       "keyed tumbling or sliding windows (event or processing time): count, sum, min or max",
       ValidateWindowAggregate,
       [](const JobSpec& j, const OperatorSpec& o) -> std::unique_ptr<Operator> {
         return std::make_unique<WindowAggregate>(*WindowAggregateOptions(j, o, o.name));
       },
       OperatorTraits{}});
  table.push_back(
      {"throttle", OperatorKind::kTransform,
       "passes records on at most records-per-second per subtask (back-pressures upstream)",
       [](const JobSpec& j, const OperatorSpec& o, const std::string& p) {
         return ConfigFields(j, o, p).Int("records-per-second", 1, int64_t{1} << 40).status();
       },
       [](const JobSpec& j, const OperatorSpec& o) -> std::unique_ptr<Operator> {
         return std::make_unique<Throttle>(
             *ConfigFields(j, o, o.name).Int("records-per-second", 1, int64_t{1} << 40));
       },
       OperatorTraits{}});
  AppendOfKind(KafkaOperatorTypes(), OperatorKind::kSink, table);
  table.push_back({"print-sink", OperatorKind::kSink, "prints records on the TaskManager's stdout",
                   NoFields,
                   [](const JobSpec&, const OperatorSpec&) -> std::unique_ptr<Operator> {
                     return std::make_unique<PrintSink>();
                   },
                   OperatorTraits{}});
  table.push_back({"discard-sink", OperatorKind::kSink, "drops records (for benchmarks)", NoFields,
                   [](const JobSpec&, const OperatorSpec&) -> std::unique_ptr<Operator> {
                     return std::make_unique<DiscardSink>();
                   },
                   OperatorTraits{}});
  return table;
}

}  // namespace

const SideOutputProvider& SideOutputs() {
  static const SideOutputProvider provider = KafkaSideOutputs();
  return provider;
}

const std::vector<OperatorType>& OperatorTypes() {
  static const std::vector<OperatorType> table = BuildTable();
  return table;
}

const OperatorType* FindOperatorType(const std::string& name) {
  for (const auto& type : OperatorTypes()) {
    if (type.name == name) return &type;
  }
  return nullptr;
}

OperatorTraits TraitsOf(const std::string& type) {
  const OperatorType* found = FindOperatorType(type);
  return found ? found->traits : OperatorTraits{};
}

namespace {

// A non-parallel type (socket-source, like Flink's socketTextStream: one connection, one reader;
// each connection gets the whole stream, so two readers would duplicate it) runs once.
absl::Status ValidateParallelism(const JobSpec& job, const OperatorSpec& op,
                                 const OperatorTraits& traits, const std::string& path) {
  const int n = OperatorParallelism(job, op, traits);
  if (traits.non_parallel && n > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job file: ", path, ".parallelism: expected 1 for a ", op.type, ", got ", n,
        "; it is non-parallel (every connection gets the whole stream): the operators after it "
        "run in parallel and receive its records round robin"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateJob(const JobSpec& job) {
  const int n = static_cast<int>(job.pipeline.size());
  for (int i = 0; i < n; ++i) {
    const OperatorSpec& op = job.pipeline[i];
    const std::string path = absl::StrCat("pipeline[", i, "]");
    const OperatorType* type = FindOperatorType(op.type);
    if (!type) {
      std::string known;
      for (const auto& t : OperatorTypes())
        absl::StrAppend(&known, known.empty() ? "" : ", ", t.name);
      return absl::InvalidArgumentError(absl::StrCat("job file: ", path,
                                                     ".type: unknown operator '", op.type,
                                                     "' (expected one of ", known, ")"));
    }
    if ((i == 0) != (type->kind == OperatorKind::kSource)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "job file: ", path,
          ".type: ", i == 0 ? "expected a source first" : "a source may only come first"));
    }
    if ((i == n - 1) != (type->kind == OperatorKind::kSink)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "job file: ", path,
          ".type: ", i == n - 1 ? "expected a sink last" : "a sink may only come last"));
    }
    if (i > 0 && (op.inputs.size() != 1 || op.inputs[0] != i - 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("job file: ", path,
                       ".inputs: this version runs linear chains; expected the operator "
                       "before it as the only input"));
    }
    // A select parses (and dead-letters) by itself, and emits valid JSON as json-parse does.
    const bool parses_itself =
        op.type == "filter" && op.config.contains("where");
    if (!parses_itself &&
        (op.type == "windows-event-map" || op.type == "filter" || op.type == "keyed-count" ||
         op.type == "watermarks" || op.type == "window")) {
      bool after_parse = false;
      for (int k = 0; k < i; ++k) {
        after_parse |= job.pipeline[k].type == "json-parse" || job.pipeline[k].type == "select";
      }
      if (!after_parse) {
        return absl::InvalidArgumentError(
            absl::StrCat("job file: ", path, ".type: ", op.type,
                         " expects validated JSON; put a json-parse (or a select) before it"));
      }
    }
    if (auto s = ValidateParallelism(job, op, type->traits, path); !s.ok()) return s;
    if (auto s = type->validate(job, op, path); !s.ok()) return s;
  }
  return BuildJobGraph(job, TraitsOf).status();
}

absl::StatusOr<std::vector<std::unique_ptr<Operator>>> CreateChain(const JobSpec& job,
                                                                   const ChainOptions& options) {
  if (auto s = ValidateJob(job); !s.ok()) return s;
  std::vector<int> ops = options.operators;
  if (ops.empty()) {
    for (size_t i = 0; i < job.pipeline.size(); ++i) ops.push_back(static_cast<int>(i));
  }
  std::vector<std::unique_ptr<Operator>> chain;
  for (int index : ops) {
    if (index < 0 || index >= static_cast<int>(job.pipeline.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("chain names operator ", index, " of ", job.pipeline.size()));
    }
    const OperatorSpec& op = job.pipeline[index];
    chain.push_back(FindOperatorType(op.type)->create(job, op));
  }
  if (options.fuse) {
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      if (job.pipeline[ops[i]].type != "json-parse" ||
          job.pipeline[ops[i + 1]].type != "windows-event-map") {
        continue;
      }
      // The types are the registry's own, created just above.
      std::unique_ptr<JsonParse> parse(static_cast<JsonParse*>(chain[i].release()));
      auto* map = static_cast<WindowsEventMap*>(chain[i + 1].get());
      chain[i] = std::make_unique<JsonParseEventMap>(std::move(parse), map);
    }
  }
  return chain;
}

}  // namespace ec
