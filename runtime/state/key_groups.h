// Key groups: how keys are spread over subtasks, so that rescaling moves whole ranges of them.
#pragma once

#include <string_view>

namespace ec {

// Keys are spread over `max_parallelism` key groups by a stable hash (xxHash3 of the key bytes
// modulo max_parallelism), as in Flink: a subtask owns a contiguous range of key groups, so
// rescaling moves whole ranges, never single keys.
int KeyGroupOf(std::string_view key, int max_parallelism);

// An inclusive range of key groups; empty when last < first.
struct KeyGroupRange {
  int first = 0;
  int last = -1;  // inclusive
  bool Contains(int key_group) const { return key_group >= first && key_group <= last; }
  bool Contains(const KeyGroupRange& other) const {
    return other.first >= first && other.last <= last;
  }
  bool Overlaps(const KeyGroupRange& other) const {
    return first <= other.last && other.first <= last;
  }
  bool empty() const { return last < first; }
  friend bool operator==(const KeyGroupRange&, const KeyGroupRange&) = default;
};

// Flink's KeyGroupRangeAssignment: subtask i of p owns the contiguous key groups
// [ceil(i·max/p), floor(((i+1)·max − 1)/p)], and key group g belongs to subtask g·p/max.
// Requires 0 ≤ subtask < parallelism ≤ max_parallelism.
int SubtaskForKeyGroup(int key_group, int parallelism, int max_parallelism);
KeyGroupRange KeyGroupRangeOf(int subtask, int parallelism, int max_parallelism);

}  // namespace ec
