// The operator registry: every built-in operator type, how to validate and create it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "operators/operator.h"
#include "runtime/job_spec.h"

namespace ec {

enum class OperatorKind { kSource, kTransform, kSink };

struct OperatorType {
  std::string name;  // the "type" in job files
  OperatorKind kind;
  std::string description;
  // Checks the operator's own fields; errors name the field: "pipeline[2].topic: expected ...".
  std::function<absl::Status(const JobSpec&, const OperatorSpec&, const std::string& path)>
      validate;
  std::function<std::unique_ptr<Operator>(const JobSpec&, const OperatorSpec&)> create;
};

// All built-in types, in a fixed table (no static registration).
const std::vector<OperatorType>& OperatorTypes();
const OperatorType* FindOperatorType(const std::string& name);

// Validates a parsed job against the registry: known types, a source first, a sink last, and
// the shape this version runs (a linear chain, every operator at the job's parallelism, a
// socket source or keyed state only at parallelism 1). Errors name the field.
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
