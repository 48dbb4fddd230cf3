// The job lifecycle: task reports, failures and restarts, cancellation, lost TaskManagers.
#include "jobmanager/job_master.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "jobmanager/job_state_machine.h"
#include "jobmanager/restart_strategy.h"
#include "runtime/logging.h"

namespace ec {
namespace {

std::string DescribeFailure(const proto::TaskFailure& failure) {
  const char* domain = failure.domain() == proto::USER       ? "user"
                       : failure.domain() == proto::EXTERNAL ? "external"
                                                             : "internal";
  return absl::StrCat(failure.message(), " [", domain, " error, ",
                      failure.retryable() ? "retryable" : "not retryable", "]");
}

}  // namespace

JobMaster::JobMaster(int64_t epoch, TaskManagerRegistry& registry, Hooks hooks)
    : epoch_(epoch), registry_(registry), hooks_(std::move(hooks)) {}

void JobMaster::Cancel(Job& job) {
  Transition(job, proto::CANCELLING);
  job.cancel_started = absl::Now();
  CancelExecutions(job);
  MaybeComplete(job);
}

void JobMaster::ExpireCancellations(std::map<std::string, Job>& jobs, absl::Time now,
                                    absl::Duration timeout) {
  for (auto& [id, job] : jobs) {
    if (job.state == proto::CANCELLING && now - job.cancel_started > timeout) {
      Logger("jobmanager")
          ->warn("job={} tasks did not confirm cancellation within {}s", id,
                 absl::ToInt64Seconds(timeout));
      for (auto& e : job.executions) ReleaseSlot(e);
      Transition(job, proto::CANCELED);
    }
  }
}

void JobMaster::CancelExecutions(Job& job) {
  for (auto& e : job.executions) {
    if (IsTerminalTask(e.state)) continue;
    std::shared_ptr<TaskManagerGateway> gateway = registry_.GatewayOf(e.taskmanager_id);
    if (!gateway) {
      e.state = proto::TASK_CANCELED;
      continue;
    }
    proto::CancelTaskRequest request;
    request.set_jobmanager_epoch(epoch_);
    *request.mutable_task() = e.id;
    hooks_.enqueue([gateway, request] {
      if (auto s = gateway->CancelTask(request); !s.ok()) {
        Logger("jobmanager")
            ->warn("job={} cancel of subtask {} failed: {}", request.task().job_id(),
                   request.task().subtask(), s.message());
      }
    });
  }
}

void JobMaster::OnDeployFailed(Job& job, const proto::TaskId& task,
                               const std::string& taskmanager_id, const absl::Status& status) {
  // Only this task: the others were deployed and hold their slots until they are cancelled,
  // as the failover below does.
  Execution* e = FindExecution(job, task);
  if (e && !IsTerminalTask(e->state)) {
    e->state = proto::TASK_FAILED;
    ReleaseSlot(*e);
  }
  if (job.state == proto::CANCELLING) {
    MaybeComplete(job);
  } else if (!IsTerminal(job.state)) {
    Fail(job, /*retryable=*/true,
         absl::StrCat("deploying ", TaskName(job, task), " to TaskManager ", taskmanager_id,
                      " failed: ", status.message()),
         Origin(job, task, taskmanager_id));
  }
}

void JobMaster::ReleaseSlot(Execution& e) {
  if (e.taskmanager_id.empty()) return;
  if (e.holds_slot) registry_.ReleaseSlot(e.taskmanager_id);
  e.taskmanager_id.clear();
}

void JobMaster::Transition(Job& job, proto::JobState to, const std::string& reason) {
  if (job.state == to) return;
  if (!CanTransition(job.state, to)) {
    Logger("jobmanager")
        ->error("job={} illegal transition {} -> {} ignored", job.id, JobStateName(job.state),
                JobStateName(to));
    return;
  }
  Logger("jobmanager")
      ->info("job={} {} -> {}{}{}", job.id, JobStateName(job.state), JobStateName(to),
             reason.empty() ? "" : ": ", reason);
  job.state = to;
  if (IsTerminal(to)) job.ended = absl::Now();
  hooks_.persist(job);
  if (to == proto::RUNNING && job.spec.checkpoint_interval) {
    job.next_checkpoint = absl::Now() + *job.spec.checkpoint_interval;
  } else if (to != proto::RUNNING && job.pending_checkpoint) {
    hooks_.abort_checkpoint(job, absl::StrCat("job is ", JobStateName(to)));
  }
}

proto::JobException JobMaster::Origin(const Job& job, const proto::TaskId& task,
                                      const std::string& taskmanager_id) const {
  proto::JobException origin;
  origin.set_task(TaskName(job, task));
  origin.set_taskmanager(taskmanager_id);
  if (const TaskManagerRegistry::Entry* tm = registry_.Find(taskmanager_id)) {
    origin.set_endpoint(tm->info.address());
  }
  return origin;
}

void JobMaster::Fail(Job& job, bool retryable, const std::string& reason,
                     const proto::JobException& origin) {
  if (IsTerminal(job.state)) return;
  if (job.state != proto::CANCELLING && job.state != proto::RESTARTING) {
    proto::JobException exception = origin;
    exception.set_time_ms(absl::ToUnixMillis(absl::Now()));
    exception.set_cause(reason);
    RecordException(job, std::move(exception));
  }
  CancelExecutions(job);
  for (auto& e : job.executions) {
    if (!registry_.Contains(e.taskmanager_id)) ReleaseSlot(e);
  }
  if (job.state == proto::CANCELLING) {
    Transition(job, proto::CANCELED);
    return;
  }
  if (job.state == proto::RESTARTING) return;  // already restarting: one restart per failure
  const absl::Time now = absl::Now();
  RestartDecision decision = DecideRestart(job.spec.restart, job.restart_history, retryable, reason,
                                           now, std::uniform_real_distribution<>(-1, 1)(random_));
  job.restart_history = std::move(decision.history);
  if (decision.restart) {
    job.restart_at = now + decision.delay;
    job.last_failure = reason;
    Transition(job, proto::RESTARTING, decision.message);
    return;
  }
  job.failure = std::move(decision.message);
  Transition(job, proto::FAILED, reason);
}

void JobMaster::RestartDue(std::map<std::string, Job>& jobs, absl::Time now) {
  for (auto& [id, job] : jobs) {
    if (job.state != proto::RESTARTING || now < job.restart_at) continue;
    bool settled = true;
    for (const auto& e : job.executions) settled &= IsTerminalTask(e.state);
    if (!settled) continue;  // wait until the old attempt's tasks have stopped
    job.executions.clear();
    job.submitted = now;  // the slot timeout counts from the restart
    Transition(job, proto::CREATED);
  }
}

void JobMaster::MaybeComplete(Job& job) {
  bool all_terminal = !job.executions.empty();
  bool all_finished = !job.executions.empty();
  bool all_running = !job.executions.empty();
  for (const auto& e : job.executions) {
    all_terminal &= IsTerminalTask(e.state);
    all_finished &= e.state == proto::TASK_FINISHED;
    all_running &= e.state == proto::TASK_RUNNING;
  }
  if (job.state == proto::CANCELLING && (all_terminal || job.executions.empty())) {
    Transition(job, proto::CANCELED);
  } else if (job.state == proto::CREATED && all_running) {
    Transition(job, proto::RUNNING);
  } else if (job.state == proto::RUNNING && all_finished && job.rescaling) {
    // Every task stopped after the rescale's checkpoint: redeploy at the new parallelism.
    job.restart_at = absl::Now();
    Transition(job, proto::RESTARTING,
               absl::StrCat("rescaling to parallelism ", job.spec.parallelism));
  } else if ((job.state == proto::RUNNING || job.state == proto::CREATED) && all_finished) {
    Transition(job, proto::RUNNING);
    Transition(job, proto::FINISHED);
  }
}

void JobMaster::ApplyTaskStatus(std::map<std::string, Job>& jobs, const std::string& taskmanager_id,
                                const proto::TaskStatus& status) {
  auto it = jobs.find(status.task().job_id());
  Execution* execution = it == jobs.end() ? nullptr : FindExecution(it->second, status.task());
  const bool zombie =
      !execution || (IsTerminal(it->second.state) && !IsTerminalTask(status.state()));
  if (zombie) {
    // A task this JobManager no longer wants (its job ended, or an older attempt): stop it.
    std::shared_ptr<TaskManagerGateway> gateway = registry_.GatewayOf(taskmanager_id);
    if (gateway && !IsTerminalTask(status.state())) {
      proto::CancelTaskRequest request;
      request.set_jobmanager_epoch(epoch_);
      *request.mutable_task() = status.task();
      hooks_.enqueue([gateway, request] { (void)gateway->CancelTask(request); });
    }
    if (!execution) return;
  }
  Job& job = it->second;
  execution->status = status;
  if (IsTerminalTask(execution->state)) return;  // late report of a task already settled
  execution->state = status.state();
  if (!IsTerminalTask(status.state())) {
    MaybeComplete(job);
    return;
  }
  ReleaseSlot(*execution);
  if (status.state() == proto::TASK_CANCELED &&
      (job.state == proto::RUNNING || job.state == proto::CREATED)) {
    // Nobody asked for this: its TaskManager is shutting down (SIGTERM). Run it elsewhere.
    Fail(job, /*retryable=*/true,
         absl::StrCat("task ", TaskName(job, status.task()), " was canceled by TaskManager ",
                      taskmanager_id, " (shutting down)"),
         Origin(job, status.task(), taskmanager_id));
    return;
  }
  if (status.state() == proto::TASK_FAILED && job.state != proto::CANCELLING) {
    const std::string reason = absl::StrCat("task ", TaskName(job, status.task()),
                                            " failed: ", DescribeFailure(status.failure()));
    if (const int64_t lost = status.failure().lost_checkpoint_id(); lost > 0 && hooks_.fall_back) {
      // Restarting from the same checkpoint would find the same output lost: an older one.
      if (absl::Status s = hooks_.fall_back(job, lost); !s.ok()) {
        Fail(job, /*retryable=*/false, absl::StrCat(reason, "; ", s.message()),
             Origin(job, status.task(), taskmanager_id));
        return;
      }
    }
    Fail(job, status.failure().retryable(), reason, Origin(job, status.task(), taskmanager_id));
    return;
  }
  MaybeComplete(job);
}

void JobMaster::OnTaskManagerLost(std::map<std::string, Job>& jobs, const std::string& id,
                                  const std::string& address, const std::string& reason) {
  for (auto& [job_id, job] : jobs) {
    bool affected = false;
    for (auto& e : job.executions) {
      if (e.taskmanager_id != id || IsTerminalTask(e.state)) continue;
      affected = true;
      e.state = job.state == proto::CANCELLING ? proto::TASK_CANCELED : proto::TASK_FAILED;
      e.taskmanager_id.clear();
    }
    if (!affected) continue;
    if (job.state == proto::CANCELLING) {
      MaybeComplete(job);
    } else {
      proto::JobException origin;
      origin.set_taskmanager(id);
      origin.set_endpoint(address);
      Fail(job, /*retryable=*/true,
           absl::StrCat("TaskManager ", id, " (", address, ") lost: ", reason), origin);
    }
  }
}

}  // namespace ec
