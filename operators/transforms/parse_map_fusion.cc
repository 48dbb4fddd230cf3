// The fused json-parse → windows-event-map pass.
#include "operators/transforms/parse_map_fusion.h"

namespace ec {

JsonParseEventMap::JsonParseEventMap(std::unique_ptr<JsonParse> parse, WindowsEventMap* map)
    : parse_(std::move(parse)), map_(map) {}

absl::Status JsonParseEventMap::Open(OperatorContext& ctx) {
  ctx_ = &ctx;
  return parse_->Open(ctx);
}

absl::Status JsonParseEventMap::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  parsed_ = {};
  map_->StartBatch();
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string_view record = in[i];
    const simdjson::padded_string_view view = PaddedRecord(in, i, scratch_);
    if (map_->ParseAndMap(view, out.buffer())) {
      out.Commit();
    } else {
      // Malformed, or not provably well-formed in one pass: the unfused steps decide.
      if (const char* reason = parse_->Check(view)) {
        if (auto s = parse_->Reject(record, reason); !s.ok()) return s;
        continue;
      }
      if (auto s = map_->MapValidated(view, record, out); !s.ok()) return s;
    }
    ++parsed_.records;
    parsed_.bytes += record.size();
  }
  return absl::OkStatus();
}

}  // namespace ec
