// JSON parse: passes on records that are JSON objects; everything else goes to the dead letters.
#pragma once

#include <memory>

#include <simdjson.h>

#include "operators/transforms/dead_letter.h"
#include "operators/transforms/padded_record.h"

namespace ec {

// The original job's JsonParserFunction. Validates each record fully with simdjson (syntax,
// UTF-8, an object at the top) and emits it unchanged; a malformed record is written to the
// dead-letter output and counted, and never stalls or fails the job.
class JsonParse : public DeadLetterTransform {
 public:
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;

 private:
  simdjson::dom::parser parser_;
  std::string scratch_;
};

}  // namespace ec
