// The operator registry: every operator type (built-in and connectors'), its traits, how to
// validate and create it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "operators/operator.h"
#include "operators/operator_type.h"
#include "operators/side_output.h"
#include "runtime/job_graph.h"
#include "runtime/job_spec.h"

namespace ec {

// All operator types: the built-ins and the connectors' (KafkaOperatorTypes), in a fixed table
// (no static registration).
const std::vector<OperatorType>& OperatorTypes();
const OperatorType* FindOperatorType(const std::string& name);

// Where transforms' side outputs (dead letters, late events) go: the connectors' provider
// (KafkaSideOutputs), chosen here with the operator types so no built-in names a connector.
const SideOutputProvider& SideOutputs();

// The traits of operator type `type` (default traits for an unknown type): the lookup
// BuildJobGraph takes, e.g. BuildJobGraph(job, TraitsOf).
OperatorTraits TraitsOf(const std::string& type);

// Validates a parsed job against the registry: every type known; a source first and only
// first, a sink last and only last; a linear chain (each operator's only input is the one
// before it); a json-parse somewhere before windows-event-map, filter, keyed-count, watermarks
// and window; a non-parallel type (socket-source) at parallelism 1; each operator's own fields
// (its type's validate); and that the job graph can be built (BuildJobGraph: parallelism at
// most max-parallelism, key fields, partitioning). Operators may run at other parallelisms than
// the job's, keyed state included. Errors name the field.
absl::Status ValidateJob(const JobSpec& job);

struct ChainOptions {
  // Lets an operator do the work of the next one in the same pass where that is cheaper (see
  // Operator::FusedSuccessors): json-parse followed by windows-event-map parse each record once.
  // What users see is the same either way; false is for benchmarks and tests of single steps.
  bool fuse = true;
  // The pipeline operators of the chain (one vertex of the job graph), in order; empty: all.
  std::vector<int> operators = {};
};

// Creates the operators of a job's chain, one per pipeline step, in pipeline order (or those of
// `options.operators`).
absl::StatusOr<std::vector<std::unique_ptr<Operator>>> CreateChain(
    const JobSpec& job, const ChainOptions& options = {});

}  // namespace ec
