// Strict checks of on-demand values: the parts of DOM's stage 2 that on-demand skips.
#include "operators/transforms/strict_json.h"

namespace ec {

using simdjson::ondemand::json_type;

void StrictJson::Grow(size_t record_size) {
  scratch_size_ = record_size + simdjson::SIMDJSON_PADDING;
  scratch_ = std::make_unique<uint8_t[]>(scratch_size_);
}

bool StrictJson::Unescapes(std::string_view quoted) {
  if (quoted.size() + simdjson::SIMDJSON_PADDING > scratch_size_) Grow(quoted.size());
  uint8_t* dst = scratch_.get();
  std::string_view unescaped;
  const auto* content = reinterpret_cast<const uint8_t*>(quoted.data() + 1);
  return !parser_.unescape(simdjson::ondemand::raw_json_string(content), dst).get(unescaped);
}

bool StrictJson::Value(simdjson::ondemand::value value, int depth) {
  json_type type;
  if (value.type().get(type)) return false;
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object object;
      if (depth >= kMaxDepth || value.get_object().get(object)) return false;
      for (auto result : object) {
        simdjson::ondemand::field field;
        if (std::move(result).get(field)) return false;
        bool ok;
        Key(field, &ok);
        if (!ok || !Value(field.value(), depth + 1)) return false;
      }
      return true;
    }
    case json_type::array: {
      simdjson::ondemand::array array;
      if (depth >= kMaxDepth || value.get_array().get(array)) return false;
      for (auto result : array) {
        simdjson::ondemand::value element;
        if (std::move(result).get(element) || !Value(element, depth + 1)) return false;
      }
      return true;
    }
    case json_type::string: {
      std::string_view quoted;
      return StringValue(value, &quoted);
    }
    case json_type::number: {
      simdjson::ondemand::number number;
      return !value.get_number().get(number);
    }
    case json_type::boolean: {
      bool b;
      return !value.get_bool().get(b);
    }
    case json_type::null: {
      bool is_null = false;
      return !value.is_null().get(is_null) && is_null;
    }
  }
  return false;
}

}  // namespace ec
