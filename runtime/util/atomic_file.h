// Durable whole-file replacement (LevelDB's WriteStringToFileSync, plus the rename).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ec {

// Replaces the file at `path` with `contents` so that a crash leaves either the old content or
// the new, never a mix: writes `path` + ".tmp" in the same directory (created with `mode`),
// fsyncs it, renames it over `path` and fsyncs the directory. The directory must exist. On
// failure the temporary file is removed and `path` is as it was. Errors: Unavailable naming the
// file and the reason. Not safe against another writer of the same path at the same time.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                 mode_t mode = 0644);

}  // namespace ec
