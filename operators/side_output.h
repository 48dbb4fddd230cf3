// SideOutput: where a transform writes records besides its main output (its dead letters, a
// window's late events). The operator API names it; a connector implements it
// (connectors/kafka/kafka_side_output), and the catalog (operators/registry) says which, so no
// built-in operator speaks to an external system itself.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "operators/operator.h"
#include "runtime/job_spec.h"

namespace ec {

// One side output's writer. Owned by one operator and used from its task thread, like the
// operator itself; errors fail the task.
class SideOutput {
 public:
  virtual ~SideOutput() = default;
  // Queues one record, unchanged.
  virtual absl::Status Write(std::string_view record) = 0;
  // Serves acknowledgements without blocking (every Tick).
  virtual absl::Status Poll() = 0;
  // Waits until everything written is acknowledged, or `deadline` (at a snapshot, at the end).
  virtual absl::Status Flush(absl::Time deadline) = 0;
};

// How side outputs are checked at submit and opened in a task.
struct SideOutputProvider {
  // OK when operator `op` of `job` can write side outputs (its connection settings resolve);
  // else the error names the setting.
  std::function<absl::Status(const JobSpec& job, const OperatorSpec& op)> validate;
  // A writer to `topic` for the operator of `ctx`.
  std::function<absl::StatusOr<std::unique_ptr<SideOutput>>(const OperatorContext& ctx,
                                                            const std::string& topic)>
      open;
};

}  // namespace ec
