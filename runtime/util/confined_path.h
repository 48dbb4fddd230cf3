// Paths that users give (savepoint targets, --from-savepoint) kept inside the directories an
// operator allowed, so that an admin over REST cannot make the JobManager read or write
// elsewhere on its host.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ec {

// `path` resolved (a relative one against roots[0]; "..", "." and symbolic links of the part
// that exists resolved) when it is one of `roots` or lies under one of them, also resolved.
// Errors: InvalidArgument "PATH is outside the allowed directories (ROOT, ...)" otherwise, or
// for an empty `roots`.
absl::StatusOr<std::string> ConfinedPath(const std::string& path,
                                         const std::vector<std::string>& roots);

}  // namespace ec
