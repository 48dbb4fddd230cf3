// Field filter on simdjson on-demand.
#include "operators/transforms/filter.h"

#include <algorithm>

#include "operators/transforms/padded_record.h"

namespace ec {

Filter::Filter(std::string field, std::vector<std::string> values, bool keep_matches)
    : field_(std::move(field)), values_(std::move(values)), keep_matches_(keep_matches) {}

bool Filter::Matches(simdjson::padded_string_view record) {
  simdjson::ondemand::document doc;
  if (parser_.iterate(record).get(doc)) return false;
  simdjson::ondemand::value value;
  if (doc.find_field_unordered(field_).get(value)) return false;
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return false;
  std::string_view text;
  if (type == simdjson::ondemand::json_type::string) {
    if (value.get_string().get(text)) return false;
  } else {
    // Numbers and booleans compare by their JSON text (e.g. event_id 4625).
    text = value.raw_json_token();
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                             text.back() == '\t')) {
      text.remove_suffix(1);
    }
  }
  return std::find(values_.begin(), values_.end(), text) != values_.end();
}

absl::Status Filter::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (Matches(PaddedRecord(in, i, scratch_)) == keep_matches_) out.Append(in[i]);
  }
  return absl::OkStatus();
}

}  // namespace ec
