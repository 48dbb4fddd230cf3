// Key groups of keys and the key-group ranges of subtasks.
#include "runtime/state/key_groups.h"

#include <cstdint>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace ec {

int KeyGroupOf(std::string_view key, int max_parallelism) {
  return static_cast<int>(XXH3_64bits(key.data(), key.size()) %
                          static_cast<uint64_t>(max_parallelism));
}

int SubtaskForKeyGroup(int key_group, int parallelism, int max_parallelism) {
  return static_cast<int>(int64_t{key_group} * parallelism / max_parallelism);
}

KeyGroupRange KeyGroupRangeOf(int subtask, int parallelism, int max_parallelism) {
  const int64_t max = max_parallelism;
  return {static_cast<int>((subtask * max + parallelism - 1) / parallelism),
          static_cast<int>(((subtask + 1) * max - 1) / parallelism)};
}

}  // namespace ec
