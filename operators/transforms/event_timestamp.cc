// Event time from a JSON field, by simdjson on-demand and a hand-written ISO 8601 parse.
#include "operators/transforms/event_timestamp.h"

#include "runtime/time_format.h"

namespace ec {

bool ReadEventTime(simdjson::ondemand::object& object, std::string_view name, int64_t* unix_ms) {
  simdjson::ondemand::value value;
  if (object.find_field_unordered(name).get(value)) return false;
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return false;
  int64_t ms = 0;
  if (type == simdjson::ondemand::json_type::string) {
    // The raw token, quotes and all: an ISO timestamp has no escapes, and anything with one
    // fails the parse as it should. get_string() would copy it to the parser's buffer.
    std::string_view raw = value.raw_json_token();
    while (!raw.empty() && raw.back() != '"') raw.remove_suffix(1);  // trailing whitespace
    if (raw.size() < 2) return false;
    if (!ParseIsoMillis(raw.substr(1, raw.size() - 2), &ms)) return false;
  } else if (type == simdjson::ondemand::json_type::number) {
    if (value.get_int64().get(ms)) return false;
  } else {
    return false;
  }
  if (ms < -kMaxEventTimeMs || ms > kMaxEventTimeMs) return false;
  *unix_ms = ms;
  return true;
}

}  // namespace ec
