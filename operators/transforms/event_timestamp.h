// Reading an event's timestamp field, shared by the watermark assigner and the window operator.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string_view>

namespace ec {

// Event timestamps as ms since the epoch are kept within ±2^53 (about ±285,000 years), so
// window and watermark arithmetic (ts ± sizes of at most kMaxEventTimeSpanMs) cannot overflow.
inline constexpr int64_t kMaxEventTimeMs = int64_t{1} << 53;
// Window sizes and out-of-orderness bounds: at most 300000h (~34 years).
inline constexpr int64_t kMaxEventTimeSpanMs = int64_t{300000} * 3600 * 1000;

// Reads field `name` of `object` as an event time: an ISO 8601 UTC string with milliseconds
// ("2026-11-26T01:02:03.456Z", as the events carry it) or an integer of epoch milliseconds.
// False when the field is missing, of another type or form, or out of range. No allocation.
bool ReadEventTime(simdjson::ondemand::object& object, std::string_view name, int64_t* unix_ms);

}  // namespace ec
