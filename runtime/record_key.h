// RecordKey: the key of a JSON record by a list of fields (Flink's keyBy on field names).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace ec {

// Extracts the key of JSON object records: the raw JSON values of `fields`, in that order,
// joined by \x1f (raw JSON values cannot contain an unescaped control byte, so the join is
// unambiguous). The hash exchange and the keyed operators after it use this one definition,
// so a key's key group (KeyGroupOf of these bytes) is the same where records are routed and
// where their state is kept. Reuses its buffers: no allocation per record once warm.
// One per thread.
class RecordKey {
 public:
  explicit RecordKey(std::vector<std::string> fields);

  // False when `record` is not a JSON object or lacks one of the fields. `record` needs
  // simdjson's padding after it (see PaddedRecord); Extract copies it to a padded buffer.
  bool ExtractPadded(simdjson::padded_string_view record);
  bool Extract(std::string_view record);
  // For callers that read more fields of the record in the same pass: the key of an object
  // they iterate with their own parser. False when a field is missing; the values are views
  // into the caller's record.
  bool ExtractFrom(simdjson::ondemand::object& object);

  // Valid after a successful Extract, until the next call.
  const std::string& key() const { return key_; }
  // The fields' raw JSON values (e.g. "\"Security\""), views into the record.
  const std::vector<std::string_view>& values() const { return values_; }
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  std::vector<std::string> fields_;
  simdjson::ondemand::parser parser_;
  std::vector<std::string_view> values_;
  std::string key_;
  std::string padded_;
};

}  // namespace ec
