// Windows event map: the original job's transformation of each event.
#pragma once

#include <memory>
#include <string>

#include <simdjson.h>

#include "operators/transforms/dead_letter.h"
#include "operators/transforms/padded_record.h"

namespace ec {

// Extracts and normalises the fields of a Windows event and adds a processing timestamp:
//   in:  {"seq","timestamp","source","level","event_id","computer","user","message", ...}
//   out: {"seq","timestamp","source","level","severity","event_id","computer","user","message",
//         "processed_at"}
// `severity` is `level` lower-cased with spaces as '_' ("audit_failure"), `computer` is
// lower-cased, `processed_at` is the wall clock (ISO 8601 UTC, ms) when the batch was mapped;
// other fields are copied verbatim and other input fields dropped. A record missing a field or
// with a field of the wrong type goes to the dead-letter output with the reason.
class WindowsEventMap : public DeadLetterTransform {
 public:
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;

 private:
  // Appends the mapped event to `out`; on error, returns the field at fault.
  simdjson::error_code MapOne(simdjson::padded_string_view record, std::string& out,
                              const char** field);

  simdjson::ondemand::parser parser_;
  std::string processed_at_;  // quoted, formatted once per batch
  std::string scratch_;
};

}  // namespace ec
