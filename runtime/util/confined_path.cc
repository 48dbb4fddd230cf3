#include "runtime/util/confined_path.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ec {

namespace fs = std::filesystem;

namespace {

// `path` absolute and resolved as far as it exists; a path that cannot be resolved at all
// (an unreadable parent, say) is left lexically normal, which is no looser.
fs::path Resolved(const fs::path& path) {
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(path, ec);
  if (ec) resolved = path.lexically_normal();
  return resolved;
}

// Whether `path` is `root` or under it (both resolved): no ".." step from root to path.
bool Within(const fs::path& path, const fs::path& root) {
  const fs::path relative = path.lexically_relative(root);
  if (relative.empty()) return false;  // different roots altogether
  const auto first = relative.begin();
  return *first != ".." && !relative.is_absolute();
}

}  // namespace

absl::StatusOr<std::string> ConfinedPath(const std::string& path,
                                         const std::vector<std::string>& roots) {
  if (roots.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no directory allowed"));
  fs::path wanted(path);
  if (wanted.is_relative()) wanted = fs::path(roots.front()) / wanted;
  const fs::path resolved = Resolved(fs::absolute(wanted));
  for (const std::string& root : roots) {
    if (Within(resolved, Resolved(fs::absolute(root)))) return resolved.string();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, " is outside the allowed directories (", absl::StrJoin(roots, ", "), ")"));
}

}  // namespace ec
