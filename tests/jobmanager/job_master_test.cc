// JobMaster alone, over a real TaskManagerRegistry with a hand-written fake gateway and hooks:
// task reports moving a job on, failures and restarts, cancellation and its timeout, tasks no
// longer wanted, failed deploys and lost TaskManagers.
#include "jobmanager/job_master.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "tests/jobmanager/recording_gateway.h"

namespace ec {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kEpoch = 5;

using test_support::RecordingGateway;

class JobMasterTest : public ::testing::Test {
 protected:
  JobMasterTest() : gateway_(std::make_shared<RecordingGateway>()) {
    proto::RegisterTaskManagerRequest request;
    request.set_taskmanager_id("tm-1");
    request.set_slots(2);
    registry_.Register(request, gateway_, absl::Now());
    JobMaster::Hooks hooks;
    hooks.enqueue = [this](std::function<void()> call) { queued_.push_back(std::move(call)); };
    hooks.persist = [this](const Job& job) { persisted_.push_back(job.state); };
    hooks.abort_checkpoint = [this](Job& job, const std::string& reason) {
      aborted_.push_back(reason);
      job.pending_checkpoint.reset();
    };
    hooks.fall_back = [this](Job&, int64_t lost) {
      fell_back_.push_back(lost);
      return fall_back_result_;
    };
    master_ = std::make_unique<JobMaster>(kEpoch, registry_, std::move(hooks));
  }

  // A job of two subtasks deployed on tm-1 as attempt 1, each holding one of its slots.
  Job& DeployedJob(proto::JobState state = proto::RUNNING) {
    Job& job = jobs_["job-1"];
    job.id = "job-1";
    job.spec.name = "events";
    job.spec.restart.delay = absl::Seconds(1);
    job.state = state;
    job.attempt = 1;
    for (int subtask = 0; subtask < 2; ++subtask) {
      Execution e;
      e.id.set_job_id(job.id);
      e.id.set_subtask(subtask);
      e.id.set_attempt(1);
      e.taskmanager_id = "tm-1";
      e.holds_slot = true;
      e.state = state == proto::RUNNING ? proto::TASK_RUNNING : proto::TASK_DEPLOYING;
      job.executions.push_back(e);
      registry_.TakeSlot("tm-1");
    }
    return job;
  }

  void Report(int subtask, proto::TaskState state, int64_t attempt = 1) {
    proto::TaskStatus status;
    status.mutable_task()->set_job_id("job-1");
    status.mutable_task()->set_subtask(subtask);
    status.mutable_task()->set_attempt(attempt);
    status.set_state(state);
    status.mutable_failure()->set_retryable(true);
    master_->ApplyTaskStatus(jobs_, "tm-1", status);
  }

  void RunQueued() {
    auto calls = std::move(queued_);
    queued_.clear();
    for (auto& call : calls) call();
  }

  TaskManagerRegistry registry_;
  std::shared_ptr<RecordingGateway> gateway_;
  std::map<std::string, Job> jobs_;
  std::vector<std::function<void()>> queued_;
  std::vector<proto::JobState> persisted_;
  std::vector<std::string> aborted_;
  std::vector<int64_t> fell_back_;
  absl::Status fall_back_result_;
  std::unique_ptr<JobMaster> master_;
};

TEST_F(JobMasterTest, TaskReportsMoveTheJobToRunningThenFinished) {
  Job& job = DeployedJob(proto::CREATED);
  Report(0, proto::TASK_RUNNING);
  EXPECT_EQ(job.state, proto::CREATED);
  Report(1, proto::TASK_RUNNING);
  EXPECT_EQ(job.state, proto::RUNNING);
  Report(0, proto::TASK_FINISHED);
  Report(1, proto::TASK_FINISHED);
  EXPECT_EQ(job.state, proto::FINISHED);
  EXPECT_EQ(registry_.FreeSlots(), 2);  // both given back
  EXPECT_EQ(persisted_, (std::vector<proto::JobState>{proto::RUNNING, proto::FINISHED}));
}

TEST_F(JobMasterTest, RetryableFailureRestartsAfterTheDelayOnceOldTasksSettled) {
  Job& job = DeployedJob();
  Report(1, proto::TASK_FAILED);
  EXPECT_EQ(job.state, proto::RESTARTING);
  EXPECT_EQ(job.restart_history.restarts, 1);
  EXPECT_THAT(job.last_failure, HasSubstr("task events#1 failed"));
  RunQueued();
  ASSERT_EQ(gateway_->cancels.size(), 1u);  // the other subtask
  EXPECT_EQ(gateway_->cancels[0].task().subtask(), 0);
  EXPECT_EQ(gateway_->cancels[0].jobmanager_epoch(), kEpoch);

  master_->RestartDue(jobs_, job.restart_at + absl::Seconds(1));
  EXPECT_EQ(job.state, proto::RESTARTING);  // subtask 0 has not stopped yet
  Report(0, proto::TASK_CANCELED);
  master_->RestartDue(jobs_, job.restart_at - absl::Milliseconds(1));
  EXPECT_EQ(job.state, proto::RESTARTING);  // the delay is not over
  const absl::Time at = job.restart_at;
  master_->RestartDue(jobs_, at);
  EXPECT_EQ(job.state, proto::CREATED);
  EXPECT_TRUE(job.executions.empty());
  EXPECT_EQ(job.submitted, at);
}

TEST_F(JobMasterTest, NotRetryableFailureEndsTheJobFailed) {
  Job& job = DeployedJob();
  master_->Fail(job, /*retryable=*/false, "bad input");
  EXPECT_EQ(job.state, proto::FAILED);
  EXPECT_EQ(job.failure, "bad input");
  EXPECT_NE(job.ended, absl::InfinitePast());
  master_->Fail(job, true, "again");  // an ended job stays as it ended
  EXPECT_EQ(job.failure, "bad input");
}

TEST_F(JobMasterTest, LeavingRunningAbortsThePendingCheckpoint) {
  Job& job = DeployedJob();
  job.pending_checkpoint.emplace();
  master_->Fail(job, true, "boom");
  EXPECT_EQ(aborted_, std::vector<std::string>{"job is RESTARTING"});
}

TEST_F(JobMasterTest, EnteringRunningSchedulesTheNextCheckpoint) {
  Job& job = DeployedJob(proto::CREATED);
  job.spec.checkpoint_interval = absl::Seconds(10);
  const absl::Time before = absl::Now();
  master_->Transition(job, proto::RUNNING);
  EXPECT_GE(job.next_checkpoint, before + absl::Seconds(10));
}

TEST_F(JobMasterTest, IllegalTransitionIsIgnored) {
  Job& job = DeployedJob();
  master_->Transition(job, proto::FINISHED);
  master_->Transition(job, proto::CREATED);  // FINISHED is final
  EXPECT_EQ(job.state, proto::FINISHED);
}

TEST_F(JobMasterTest, CancelWaitsForEveryTaskToConfirm) {
  Job& job = DeployedJob();
  master_->Cancel(job);
  EXPECT_EQ(job.state, proto::CANCELLING);
  RunQueued();
  EXPECT_EQ(gateway_->cancels.size(), 2u);
  Report(0, proto::TASK_CANCELED);
  EXPECT_EQ(job.state, proto::CANCELLING);
  Report(1, proto::TASK_FAILED);  // failing while cancelling still ends CANCELED
  EXPECT_EQ(job.state, proto::CANCELED);
  EXPECT_EQ(registry_.FreeSlots(), 2);
}

TEST_F(JobMasterTest, CancelOfTasksWithoutATaskManagerEndsAtOnce) {
  Job& job = DeployedJob();
  for (auto& e : job.executions) e.taskmanager_id = "tm-gone";
  master_->Cancel(job);
  EXPECT_EQ(job.state, proto::CANCELED);
  EXPECT_TRUE(queued_.empty());
}

TEST_F(JobMasterTest, CancellationNotConfirmedInTimeEndsCanceled) {
  Job& job = DeployedJob();
  master_->Cancel(job);
  master_->ExpireCancellations(jobs_, job.cancel_started + absl::Seconds(5), absl::Seconds(40));
  EXPECT_EQ(job.state, proto::CANCELLING);
  master_->ExpireCancellations(jobs_, job.cancel_started + absl::Seconds(41), absl::Seconds(40));
  EXPECT_EQ(job.state, proto::CANCELED);
  EXPECT_EQ(registry_.FreeSlots(), 2);
}

TEST_F(JobMasterTest, TaskOfAnOlderAttemptIsToldToCancel) {
  Job& job = DeployedJob();
  Report(0, proto::TASK_RUNNING, /*attempt=*/0);
  RunQueued();
  ASSERT_EQ(gateway_->cancels.size(), 1u);
  EXPECT_EQ(gateway_->cancels[0].task().attempt(), 0);
  EXPECT_EQ(job.state, proto::RUNNING);
}

TEST_F(JobMasterTest, TaskCanceledByItsTaskManagerFailsTheJobOver) {
  Job& job = DeployedJob();
  Report(0, proto::TASK_CANCELED);
  EXPECT_EQ(job.state, proto::RESTARTING);
  EXPECT_THAT(job.last_failure, HasSubstr("was canceled by TaskManager tm-1 (shutting down)"));
}

TEST_F(JobMasterTest, FailedDeployFailsTheJobOver) {
  Job& job = DeployedJob(proto::CREATED);
  master_->OnDeployFailed(job, job.executions[1].id, "tm-1", absl::UnavailableError("refused"));
  EXPECT_EQ(job.executions[1].state, proto::TASK_FAILED);
  EXPECT_EQ(job.state, proto::RESTARTING);
  EXPECT_THAT(job.last_failure,
              HasSubstr("deploying events#1 to TaskManager tm-1 failed: refused"));
}

TEST_F(JobMasterTest, LostTaskManagerFailsItsJobsOver) {
  Job& job = DeployedJob();
  master_->OnTaskManagerLost(jobs_, "tm-1", "tm-1:1", "no heartbeat");
  EXPECT_EQ(job.state, proto::RESTARTING);
  EXPECT_EQ(job.last_failure, "TaskManager tm-1 (tm-1:1) lost: no heartbeat");
  for (const auto& e : job.executions) {
    EXPECT_EQ(e.state, proto::TASK_FAILED);
    EXPECT_TRUE(e.taskmanager_id.empty());
  }
}

TEST_F(JobMasterTest, LostTaskManagerCompletesACancellation) {
  Job& job = DeployedJob();
  master_->Cancel(job);
  master_->OnTaskManagerLost(jobs_, "tm-1", "tm-1:1", "gone");
  EXPECT_EQ(job.state, proto::CANCELED);
}

TEST_F(JobMasterTest, RestartsRunOutThenTheJobFails) {
  Job& job = DeployedJob();
  job.spec.restart.strategy = "fixed-delay";
  job.spec.restart.attempts = 1;
  master_->Fail(job, true, "first");
  EXPECT_EQ(job.state, proto::RESTARTING);
  for (auto& e : job.executions) e.state = proto::TASK_CANCELED;
  master_->RestartDue(jobs_, job.restart_at);
  ASSERT_EQ(job.state, proto::CREATED);
  master_->Fail(job, true, "second");
  EXPECT_EQ(job.state, proto::FAILED);
  EXPECT_EQ(job.failure, "second (no restart left after 1)");
}

TEST_F(JobMasterTest, TheDefaultStrategyNeverRunsOutOfRestarts) {
  Job& job = DeployedJob();
  job.spec.restart = RestartSpec{};  // no restart settings: exponential-delay, unlimited
  for (int i = 1; i <= 8; ++i) {
    master_->Fail(job, true, "taskmanager lost");
    ASSERT_EQ(job.state, proto::RESTARTING) << i;
    for (auto& e : job.executions) e.state = proto::TASK_CANCELED;
    master_->RestartDue(jobs_, job.restart_at);
    ASSERT_EQ(job.state, proto::CREATED) << i;
  }
  EXPECT_EQ(job.restart_history.restarts, 8);
  EXPECT_EQ(ToStatus(job).restarts(), 8);
}

TEST_F(JobMasterTest, StatusShowsTheRestartStrategy) {
  Job& job = DeployedJob();
  job.spec.restart = RestartSpec{};
  EXPECT_EQ(ToStatus(job).restart_strategy(),
            "exponential-delay (1s ×1.5 up to 1m, reset after 1h, jitter 0.1, unlimited)");
  job.spec.restart.strategy = "fixed-delay";
  job.spec.restart.attempts = 3;
  EXPECT_EQ(ToStatus(job).restart_strategy(), "fixed-delay (1s, 3 attempts)");
}

}  // namespace
}  // namespace ec

namespace ec {
namespace {

TEST_F(JobMasterTest, LostCheckpointOutputFallsBackToAnOlderCheckpointAndRestarts) {
  Job& job = DeployedJob();
  proto::TaskStatus status;
  status.mutable_task()->set_job_id("job-1");
  status.mutable_task()->set_subtask(0);
  status.mutable_task()->set_attempt(1);
  status.set_state(proto::TASK_FAILED);
  status.mutable_failure()->set_retryable(true);
  status.mutable_failure()->set_message("transactions of checkpoint 7 aborted");
  status.mutable_failure()->set_lost_checkpoint_id(7);
  master_->ApplyTaskStatus(jobs_, "tm-1", status);
  EXPECT_EQ(fell_back_, std::vector<int64_t>{7});
  EXPECT_EQ(job.state, proto::RESTARTING);
}

TEST_F(JobMasterTest, LostCheckpointOutputWithNothingOlderFailsTheJobNamingIt) {
  Job& job = DeployedJob();
  fall_back_result_ = absl::FailedPreconditionError("checkpoint 7 cannot be restored");
  proto::TaskStatus status;
  status.mutable_task()->set_job_id("job-1");
  status.mutable_task()->set_subtask(1);
  status.mutable_task()->set_attempt(1);
  status.set_state(proto::TASK_FAILED);
  status.mutable_failure()->set_retryable(true);
  status.mutable_failure()->set_lost_checkpoint_id(7);
  master_->ApplyTaskStatus(jobs_, "tm-1", status);
  EXPECT_EQ(job.state, proto::FAILED);
  EXPECT_THAT(job.failure, HasSubstr("checkpoint 7 cannot be restored"));
}

}  // namespace
}  // namespace ec
