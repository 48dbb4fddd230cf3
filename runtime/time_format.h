// ISO 8601 UTC timestamps with milliseconds, as the events carry them: 2026-11-25T19:15:38.123Z.
#pragma once

#include <cstdint>
#include <string>

namespace ec {

// Appends the ISO 8601 UTC form of `unix_ms` to `out` (24 characters).
void AppendIsoMillis(int64_t unix_ms, std::string& out);
std::string IsoMillis(int64_t unix_ms);
int64_t NowUnixMillis();

}  // namespace ec
