// JobGraph: a job's pipeline cut into vertices (operator chains) joined by data exchanges.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/common.pb.h"
#include "runtime/job_spec.h"

namespace ec {

// How the records of one vertex reach the subtasks of the next (Flink's partitioners) is the
// proto enum the deployment carries, proto::Partitioning (proto/common.proto): FORWARD (subtask
// i to subtask i, one parallelism), REBALANCE (round robin over every consumer subtask), HASH
// (by key, key group, its subtask: keyBy), BROADCAST (every record to every consumer subtask).
// PartitioningName gives "forward", "rebalance", "hash", "broadcast" ("?" for another value)
// for status text and logs only; nothing parses it back.
const char* PartitioningName(proto::Partitioning p);

// One operator chain: consecutive pipeline operators that run in one thread per subtask.
struct JobVertex {
  int id = 0;
  std::vector<int> operators;  // indexes into JobSpec::pipeline, in chain order
  int parallelism = 1;
  // How records reach this vertex from the one before it (vertex 0 has no input).
  proto::Partitioning input = proto::PARTITIONING_FORWARD;
  std::vector<std::string> key_fields;  // for HASH
  std::string name;                     // its operators' names joined by " -> "
};

struct JobGraph {
  std::vector<JobVertex> vertices;  // in pipeline order; vertex i + 1 reads vertex i's output
  // The most subtasks any vertex runs: the slots the job needs (one slot holds one subtask of
  // every vertex, as in Flink's default slot sharing group).
  int max_vertex_parallelism() const;
};

// What the job graph needs to know of an operator type, beyond the operator's own fields. Each
// operator type declares its traits in its registry entry (operators/operator_type.h); runtime
// never compares type names.
struct OperatorTraits {
  // Runs once unless its own "parallelism" says otherwise (Flink's socketTextStream).
  bool non_parallel = false;
  // A keyed operator type: the config field that holds its key fields (e.g. keyed-count's
  // "key-fields") and the fields it keys by when that field is absent. Empty: the type is keyed
  // only when the operator has a "key-by".
  std::string key_fields_field;
  std::vector<std::string> default_key_fields;
  // Its operator state is restored by union at every restore, not only at a rescale: each
  // subtask gets every old subtask's entries (Flink's union list state). The exactly-once Kafka
  // sink needs it to decide the commit of a restored checkpoint for all its subtasks at once.
  bool union_state = false;
};

// The traits of an operator type by its name (the registry's TraitsOf); an unknown type has the
// default traits.
using OperatorTraitsLookup = std::function<OperatorTraits(const std::string& type)>;

// The parallelism of one operator (the one parallelism rule): its own "parallelism", else 1 for
// a non-parallel type, else the job's.
int OperatorParallelism(const JobSpec& job, const OperatorSpec& op, const OperatorTraits& traits);

// The fields operator `op` (at `path`, e.g. "pipeline[3]") is keyed by: its "key-by", or its
// type's key fields field (traits.key_fields_field, default traits.default_key_fields); empty
// for an operator that is not keyed. The hash exchange in front of the operator and the operator
// itself key by exactly these. INVALID_ARGUMENT naming the field unless they are a non-empty
// array of distinct, non-empty field names.
absl::StatusOr<std::vector<std::string>> KeyFieldsOf(const OperatorSpec& op,
                                                     const OperatorTraits& traits,
                                                     const std::string& path);

// Cuts a linear pipeline into chains, as Flink chains operators: an operator joins the chain
// of the one before it when the connection is forward and both run at one parallelism. A new
// vertex starts at an operator that is keyed ("key-by", or its type's key fields: a hash
// exchange, never chained, as Flink's keyBy), that asks for "partitioning" (rebalance,
// broadcast, forward), or whose parallelism differs from the one before it (rebalance).
// `traits_of` gives each operator type's traits (the registry's TraitsOf).
// Errors name the field: a forward connection between different parallelisms, a key-by that is
// not a non-empty array of field names, an unknown partitioning.
absl::StatusOr<JobGraph> BuildJobGraph(const JobSpec& job, const OperatorTraitsLookup& traits_of);

}  // namespace ec
