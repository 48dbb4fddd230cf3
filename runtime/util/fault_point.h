// Fault injection for tests: EC_FAULT_POINT=NAME[:N] makes the process die as SIGKILL would
// (no flush, no destructors, no cleanup) the Nth time it reaches the named point.
//
// The points, by process (each is reached where its name says; see the folder READMEs):
//   TaskManager: after-snapshot-before-ack, after-complete-before-commit,
//                between-subtask-commits, during-recovery-commit, during-lingering-abort
//   JobManager:  after-complete-before-notify
//
// Thread safety: InitFaultPoints is called once from main() before any other thread starts;
// ReachFaultPoint may then be called from any thread. With the variable unset a reach costs one
// relaxed atomic load.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ec {

enum class FaultProcess { kTaskManager, kJobManager };

// The environment variable that arms a fault point.
inline constexpr char kFaultPointVariable[] = "EC_FAULT_POINT";

// The valid point names of `process`, in the order the documentation lists them.
const std::vector<std::string_view>& FaultPointNames(FaultProcess process);

// The armed point: which one and on which reach (1 = the first) the process dies.
struct FaultPointSetting {
  std::string name;
  int64_t reach = 1;
};

// Parses a value of EC_FAULT_POINT for `process`: "NAME" or "NAME:N" with N >= 1. An unknown
// name, a name of the other process kind or a bad N is InvalidArgument, one line naming the
// variable and listing the valid names.
absl::StatusOr<FaultPointSetting> ParseFaultPoint(FaultProcess process, std::string_view value);

// Reads EC_FAULT_POINT and arms the point it names; unset or empty arms nothing. Errors as
// ParseFaultPoint; the caller prints the message and exits non-zero.
absl::Status InitFaultPoints(FaultProcess process);

// Arms `setting` directly (what InitFaultPoints does after parsing); for tests.
void ArmFaultPoint(const FaultPointSetting& setting);

// Marks that the process has reached point `name` (a name from FaultPointNames of either
// process; any other is a programming error, which aborts in a debug build). When `name` is the
// armed point and this is its Nth reach, logs one line to stderr naming the point and kills the
// process with SIGKILL.
void ReachFaultPoint(std::string_view name);

}  // namespace ec
