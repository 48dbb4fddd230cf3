// Key extraction with simdjson on-demand.
#include "runtime/record_key.h"

namespace ec {
namespace {

std::string_view TrimRight(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

RecordKey::RecordKey(std::vector<std::string> fields)
    : fields_(std::move(fields)), values_(fields_.size()) {}

bool RecordKey::ExtractPadded(simdjson::padded_string_view record) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser_.iterate(record).get(doc) || doc.get_object().get(object)) return false;
  return ExtractFrom(object);
}

bool RecordKey::ExtractFrom(simdjson::ondemand::object& object) {
  key_.clear();
  for (size_t i = 0; i < fields_.size(); ++i) {
    simdjson::ondemand::value value;
    if (object.find_field_unordered(fields_[i]).get(value)) return false;
    values_[i] = TrimRight(value.raw_json_token());
    if (values_[i].empty()) return false;
    if (i) key_.push_back('\x1f');
    key_.append(values_[i]);
  }
  return true;
}

bool RecordKey::Extract(std::string_view record) {
  padded_.assign(record);
  padded_.reserve(record.size() + simdjson::SIMDJSON_PADDING);
  return ExtractPadded(
      simdjson::padded_string_view(padded_.data(), padded_.size(), padded_.capacity()));
}

}  // namespace ec
