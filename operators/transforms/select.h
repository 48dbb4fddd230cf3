// Select: Flink SQL's SELECT ... WHERE over each JSON record, with computed fields.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <vector>

#include "operators/transforms/dead_letter.h"
#include "operators/transforms/expression.h"

namespace ec {

// Job file: {"type": "select", "where": "event_type = 2", "fields": ["bid.auction",
// "0.908 * bid.price AS price"]}. Emits for every record whose `where` is TRUE (every record
// without one) an object of the fields in their order, each named by AS or by its path's last
// name: {"auction": 1007, "price": 908.000}. Without `fields` the record passes on unchanged (a
// filter). Parses each record with simdjson (fully validated); one that is not a JSON object
// goes to the dead-letter output and is counted.
class Select : public DeadLetterTransform {
 public:
  Select(std::vector<SelectField> fields, std::optional<Expression> where);
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;

 private:
  std::vector<SelectField> fields_;
  std::optional<Expression> where_;
  std::vector<std::string> keys_;  // `"name":` of each field, written ahead of its value
  simdjson::dom::parser parser_;
  std::string scratch_;
};

// The registry's half: checks `fields` (a non-empty list of expressions) and `where`, naming
// the field at fault ("pipeline[1].fields[2]: expected ')' at 9 in '...'").
absl::Status ValidateSelect(const JobSpec& job, const OperatorSpec& op, const std::string& path);
std::unique_ptr<Operator> CreateSelect(const JobSpec& job, const OperatorSpec& op);

// A filter's `where` (the registry's filter type), parsed, or the error naming the field.
absl::StatusOr<std::optional<Expression>> WhereOf(const OperatorSpec& op, const std::string& path);

}  // namespace ec
