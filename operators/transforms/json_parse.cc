// JSON validation with simdjson's DOM parser (reused across records: no per-record allocation).
#include "operators/transforms/json_parse.h"

namespace ec {

absl::Status JsonParse::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    const char* reason = Check(PaddedRecord(in, i, scratch_));
    if (!reason) {
      out.Append(in[i]);
    } else if (auto s = Reject(in[i], reason); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace ec
