// Names of per-subtask state entries.
#include "runtime/state/subtask_state.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ec {

std::string SubtaskStateKey(std::string_view op, int subtask) {
  return absl::StrCat(absl::string_view(op.data(), op.size()), "#", subtask);
}

bool ParseSubtaskStateKey(std::string_view key, ParsedStateKey* out) {
  const size_t hash = key.rfind('#');
  if (hash == std::string_view::npos || hash == 0) return false;
  int subtask = 0;
  const std::string_view digits = key.substr(hash + 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &subtask)) {
    return false;
  }
  out->op = std::string(key.substr(0, hash));
  out->subtask = subtask;
  return true;
}

std::string KeyedStateName(std::string_view chain_head) {
  return std::string(kKeyedStateName) + "/" + std::string(chain_head);
}

bool IsKeyedStateName(std::string_view op) {
  return op.substr(0, sizeof(kKeyedStateName)) == std::string(kKeyedStateName) + "/";
}

}  // namespace ec
