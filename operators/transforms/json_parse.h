// JSON parse: passes on records that are JSON objects; everything else goes to the dead letters.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string_view>

#include "operators/transforms/dead_letter.h"
#include "operators/transforms/padded_record.h"

namespace ec {

// The original job's JsonParserFunction. Validates each record fully with simdjson (syntax,
// UTF-8, an object at the top) and emits it unchanged; a malformed record is written to the
// dead-letter output and counted, and never stalls or fails the job.
class JsonParse : public DeadLetterTransform {
 public:
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;

  // The two halves of ProcessBatch's work on a record, for JsonParseEventMap
  // (parse_map_fusion.h). Check returns why the record is not a JSON object, or nullptr if it
  // is; Reject writes a record Check refused to the dead-letter output.
  const char* Check(simdjson::padded_string_view record) {
    simdjson::dom::element doc;
    simdjson::error_code error = parser_.parse(record.data(), record.length(), false).get(doc);
    if (error) return simdjson::error_message(error);
    return doc.is_object() ? nullptr : "not a JSON object";
  }
  absl::Status Reject(std::string_view record, const char* reason) {
    return dead_letters_->Write(record, reason);
  }

 private:
  simdjson::dom::parser parser_;
  std::string scratch_;
};

}  // namespace ec
