// Task: one subtask's operator chain, run in its own thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "operators/operator.h"
#include "proto/jobmanager.pb.h"
#include "runtime/job_spec.h"
#include "runtime/metrics.h"

namespace ec {

// Runs the operators of one chain in one thread: the source polls a batch, each operator turns
// it into the next batch, the sink writes it. Lifecycle: Create → Start → (Cancel) → Join; the
// owner is told of every state change through `on_state` (called from the task's thread).
// Status() may be called from any thread.
class Task {
 public:
  using StateListener = std::function<void(const proto::TaskStatus&)>;

  static absl::StatusOr<std::unique_ptr<Task>> Create(proto::TaskId id, JobSpec spec,
                                                      StateListener on_state);
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  void Start();
  // Asks the task to stop; it flushes its sink and reports CANCELED. Returns at once.
  void Cancel() { cancelled_.store(true); }
  void Join();

  const proto::TaskId& id() const { return id_; }
  proto::TaskStatus Status() const;
  bool IsTerminal() const;

 private:
  Task(proto::TaskId id, JobSpec spec, StateListener on_state);
  void Run();
  absl::Status RunChain();
  void SetState(proto::TaskState state, const absl::Status& failure = absl::OkStatus());

  proto::TaskId id_;
  JobSpec spec_;
  StateListener on_state_;
  std::vector<std::unique_ptr<Operator>> chain_;
  std::vector<std::unique_ptr<OperatorCounters>> counters_;
  std::vector<OperatorContext> contexts_;
  std::atomic<bool> cancelled_{false};
  std::thread thread_;

  mutable absl::Mutex mu_;
  proto::TaskState state_ ABSL_GUARDED_BY(mu_) = proto::TASK_DEPLOYING;
  proto::TaskFailure failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
