// ISO 8601 UTC timestamps with milliseconds, as the events carry them: 2026-11-25T19:15:38.123Z.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ec {

// Appends the ISO 8601 UTC form of `unix_ms` to `out` (24 characters).
void AppendIsoMillis(int64_t unix_ms, std::string& out);
std::string IsoMillis(int64_t unix_ms);
// Parses the form AppendIsoMillis writes ("2026-11-25T19:15:38.123Z", exactly 24 characters)
// or the same without milliseconds ("2026-11-25T19:15:38Z"). False for anything else (other
// offsets, other precisions, impossible dates). No allocation: for per-record use.
bool ParseIsoMillis(std::string_view text, int64_t* unix_ms);
int64_t NowUnixMillis();

}  // namespace ec
