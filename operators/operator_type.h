// OperatorType: one entry of the operator catalog (its name, kind, traits, validation and
// factory). Built-in operators and connectors both declare their types with it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "operators/operator.h"
#include "runtime/job_graph.h"
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
  // What the job graph needs to know of the type: non-parallel, keyed by default.
  OperatorTraits traits;
};

}  // namespace ec
