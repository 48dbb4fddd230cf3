// Chaining a job's pipeline into vertices.
#include "runtime/job_graph.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ec {
namespace {

absl::Status FieldError(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("job file: ", path, ": ", what));
}

}  // namespace

const char* PartitioningName(proto::Partitioning p) {
  switch (p) {
    case proto::PARTITIONING_FORWARD:
      return "forward";
    case proto::PARTITIONING_REBALANCE:
      return "rebalance";
    case proto::PARTITIONING_HASH:
      return "hash";
    case proto::PARTITIONING_BROADCAST:
      return "broadcast";
    default:
      return "?";
  }
}

absl::StatusOr<std::vector<std::string>> KeyFieldsOf(const OperatorSpec& op,
                                                     const OperatorTraits& traits,
                                                     const std::string& path) {
  const std::string field = op.config.contains("key-by") ? "key-by" : traits.key_fields_field;
  if (field.empty()) return std::vector<std::string>{};
  if (!op.config.contains(field)) return traits.default_key_fields;
  const std::string where = absl::StrCat(path, ".", field);
  const std::string expected =
      "expected a non-empty array of distinct field names, e.g. [\"source\", \"level\"]";
  const auto& list = op.config[field];
  if (!list.is_array() || list.empty()) return FieldError(where, expected);
  std::vector<std::string> fields;
  for (const auto& f : list) {
    if (!f.is_string() || f.get<std::string>().empty()) return FieldError(where, expected);
    if (std::find(fields.begin(), fields.end(), f.get<std::string>()) != fields.end()) {
      return FieldError(where, expected);
    }
    fields.push_back(f.get<std::string>());
  }
  return fields;
}

int JobGraph::max_vertex_parallelism() const {
  int n = 0;
  for (const auto& v : vertices) n = std::max(n, v.parallelism);
  return n;
}

int OperatorParallelism(const JobSpec& job, const OperatorSpec& op, const OperatorTraits& traits) {
  if (op.parallelism) return *op.parallelism;
  return traits.non_parallel ? 1 : job.parallelism;
}

absl::StatusOr<JobGraph> BuildJobGraph(const JobSpec& job, const OperatorTraitsLookup& traits_of) {
  JobGraph graph;
  for (size_t i = 0; i < job.pipeline.size(); ++i) {
    const OperatorSpec& op = job.pipeline[i];
    const std::string path = absl::StrCat("pipeline[", i, "]");
    const OperatorTraits traits = traits_of(op.type);
    const int parallelism = OperatorParallelism(job, op, traits);
    if (parallelism > job.max_parallelism) {
      return FieldError(path + ".parallelism",
                        absl::StrCat("expected at most max-parallelism (", job.max_parallelism,
                                     "), got ", parallelism));
    }
    auto keys = KeyFieldsOf(op, traits, path);
    if (!keys.ok()) return keys.status();
    std::optional<proto::Partitioning> asked;
    if (op.config.contains("partitioning")) {
      const auto& p = op.config["partitioning"];
      const std::string value = p.is_string() ? p.get<std::string>() : "";
      if (value == "forward") asked = proto::PARTITIONING_FORWARD;
      if (value == "rebalance") asked = proto::PARTITIONING_REBALANCE;
      if (value == "broadcast") asked = proto::PARTITIONING_BROADCAST;
      if (!asked) {
        return FieldError(path + ".partitioning",
                          "expected \"forward\", \"rebalance\" or \"broadcast\" (for a hash "
                          "exchange, give the keyed operator a \"key-by\")");
      }
      if (!keys->empty()) {
        return FieldError(path + ".partitioning",
                          "a keyed operator's input is partitioned by its key; remove one of "
                          "\"partitioning\" and the key fields");
      }
    }
    const bool first = graph.vertices.empty();
    const int before = first ? parallelism : graph.vertices.back().parallelism;
    bool chained = !first && keys->empty() && before == parallelism &&
                   (!asked || *asked == proto::PARTITIONING_FORWARD);
    if (!first && asked == proto::PARTITIONING_FORWARD && before != parallelism) {
      return FieldError(path + ".partitioning",
                        absl::StrCat("forward needs the same parallelism on both sides (", before,
                                     " before it, ", parallelism, " here)"));
    }
    if (chained) {
      JobVertex& v = graph.vertices.back();
      v.operators.push_back(static_cast<int>(i));
      absl::StrAppend(&v.name, " -> ", op.name);
      continue;
    }
    JobVertex v;
    v.id = static_cast<int>(graph.vertices.size());
    v.operators.push_back(static_cast<int>(i));
    v.parallelism = parallelism;
    v.name = op.name;
    if (!keys->empty()) {
      v.input = proto::PARTITIONING_HASH;
      v.key_fields = *std::move(keys);
    } else {
      v.input = asked.value_or(proto::PARTITIONING_REBALANCE);
    }
    graph.vertices.push_back(std::move(v));
  }
  return graph;
}

}  // namespace ec
