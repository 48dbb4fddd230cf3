// JSON validation with simdjson's DOM parser (reused across records: no per-record allocation).
#include "operators/transforms/json_parse.h"

namespace ec {

absl::Status JsonParse::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    simdjson::padded_string_view view = PaddedRecord(in, i, scratch_);
    simdjson::dom::element doc;
    simdjson::error_code error = parser_.parse(view.data(), view.length(), false).get(doc);
    if (!error && doc.is_object()) {
      out.Append(in[i]);
      continue;
    }
    auto s = dead_letters_->Write(in[i], error ? simdjson::error_message(error)
                                               : "not a JSON object");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace ec
