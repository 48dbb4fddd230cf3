// Filter: keeps the records whose field equals (or does not equal) one of the given values.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

#include "operators/operator.h"

namespace ec {

// Job file: {"type": "filter", "field": "level", "in": ["Error", "Critical"]} keeps records
// whose string or number field is in the list; "not-in" drops them instead. Records without the
// field are dropped by "in" and kept by "not-in". Expects validated JSON (after json-parse).
class Filter : public Operator {
 public:
  Filter(std::string field, std::vector<std::string> values, bool keep_matches);
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;

 private:
  bool Matches(simdjson::padded_string_view record);

  std::string field_;
  std::vector<std::string> values_;
  bool keep_matches_;
  simdjson::ondemand::parser parser_;
  std::string scratch_;
};

}  // namespace ec
