// Names of state entries in a checkpoint: one entry per operator and subtask.
#pragma once

#include <string>
#include <string_view>

namespace ec {

// The name under which a task's keyed-state snapshot is stored among its operators' states:
// "@keyed-state/<the first operator of its chain>", one per vertex that keeps keyed state.
inline constexpr char kKeyedStateName[] = "@keyed-state";
std::string KeyedStateName(std::string_view chain_head);
bool IsKeyedStateName(std::string_view op);

// A checkpoint holds each subtask's state separately, under "<operator>#<subtask>" (the task's
// keyed state under "@keyed-state#<subtask>"): tasks acknowledge with such names, the
// JobManager stores and hands them back unchanged, and a redeployed subtask is given its own
// entries (or, when the job was rescaled, every subtask's entries of an operator whose state
// can be redistributed).
std::string SubtaskStateKey(std::string_view op, int subtask);

struct ParsedStateKey {
  std::string op;
  int subtask = 0;
};

// Splits a key at its last '#' (operator names may contain '#' themselves); false when `key`
// has no "#<non-negative integer>" suffix.
bool ParseSubtaskStateKey(std::string_view key, ParsedStateKey* out);

}  // namespace ec
