// Windows event map: the original job's transformation of each event.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "operators/transforms/dead_letter.h"
#include "operators/transforms/padded_record.h"
#include "operators/transforms/strict_json.h"

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
  WindowsEventMap() = default;
  // Not copyable or movable: strict_ refers to parser_.
  WindowsEventMap(const WindowsEventMap&) = delete;
  WindowsEventMap& operator=(const WindowsEventMap&) = delete;

  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;

  // The pieces of ProcessBatch, for JsonParseEventMap (parse_map_fusion.h), which runs this map
  // in json-parse's pass over a batch.
  //
  // Stamps the records mapped from now on with the wall clock, as ProcessBatch does per batch.
  void StartBatch();
  // Maps one record that nobody validated, in one on-demand pass that also checks the whole
  // record as strictly as json-parse does. If the record is a JSON object with every field once
  // and of the right type, appends the mapped event to `out` and returns true; otherwise (or
  // when one pass cannot tell, e.g. an escaped key) appends nothing and returns false.
  bool ParseAndMap(simdjson::padded_string_view record, std::string& out);
  // Maps one record that json-parse accepted: appends the mapped event to `out` and commits it,
  // or writes `record` to the dead-letter output. Errors are the dead-letter output's.
  absl::Status MapValidated(simdjson::padded_string_view view, std::string_view record,
                            RecordBatch& out);

 private:
  // What the map keeps of an event: the numbers, and the strings as raw JSON tokens (quotes and
  // escapes included), pointing into the record.
  struct Fields {
    int64_t seq = 0;
    int64_t event_id = 0;
    std::string_view timestamp, source, level, computer, user, message;
  };

  // Reads the fields of a record json-parse validated; on error, returns the field at fault.
  simdjson::error_code Extract(simdjson::padded_string_view record, Fields& fields,
                               const char** field);
  // Reads the fields of an unvalidated record and checks all of it (see ParseAndMap).
  bool ExtractStrict(simdjson::padded_string_view record, Fields& fields);
  void Append(const Fields& fields, std::string& out) const;

  simdjson::ondemand::parser parser_;
  StrictJson strict_{parser_};
  std::string processed_at_;  // quoted, formatted once per batch
  std::string scratch_;
};

}  // namespace ec
