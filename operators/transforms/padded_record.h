// Padded views of batch records for simdjson, which reads a few bytes past the end of a document.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "runtime/record_batch.h"

namespace ec {

// Records of a batch lie back to back in one buffer, so every record but the last has the
// following bytes as padding; the last one is copied into `scratch` unless the buffer's spare
// capacity already covers it.
inline simdjson::padded_string_view PaddedRecord(const RecordBatch& batch, size_t i,
                                                 std::string& scratch) {
  std::string_view record = batch[i];
  const std::string& data = batch.data();
  size_t available = data.capacity() - static_cast<size_t>(record.data() - data.data());
  if (available >= record.size() + simdjson::SIMDJSON_PADDING) {
    return simdjson::padded_string_view(record.data(), record.size(), available);
  }
  scratch.assign(record);
  scratch.reserve(record.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(scratch.data(), scratch.size(), scratch.capacity());
}

}  // namespace ec
