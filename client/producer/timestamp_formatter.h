// Formats Unix milliseconds as ISO 8601 UTC ("2026-11-25T19:15:38.123Z") without allocating,
// and parses the --start-time flag.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace ec::producer {

// Caches the date part of the last day formatted, so consecutive events of one day cost only a
// few divisions. Not thread-safe: one formatter per thread (it is a few bytes).
class TimestampFormatter {
 public:
  // Every timestamp written is exactly this long: "YYYY-MM-DDTHH:MM:SS.mmmZ".
  static constexpr size_t kLength = 24;
  // Times outside years 0000..9999 are clamped to that range so the length stays fixed.
  static constexpr int64_t kMinMillis = -62167219200000;  // 0000-01-01T00:00:00.000Z
  static constexpr int64_t kMaxMillis = 253402300799999;  // 9999-12-31T23:59:59.999Z

  // Writes kLength characters for `unix_ms` at `out`; returns out + kLength.
  char* Write(int64_t unix_ms, char* out);

 private:
  int64_t cached_day_ = INT64_MIN;
  char date_[11] = {};  // "YYYY-MM-DDT" of cached_day_
};

// Parses an ISO 8601 / RFC 3339 time ("2026-01-01T00:00:00.000Z", "...+02:00", or without a
// zone, read as UTC; a bare date "2026-01-01" is its midnight UTC) into Unix milliseconds,
// truncating sub-millisecond digits. Returns InvalidArgument naming the text otherwise.
absl::StatusOr<int64_t> ParseIso8601Millis(std::string_view text);

}  // namespace ec::producer
