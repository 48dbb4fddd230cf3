// CheckpointCoordinator alone, with a hand-written fake gateway and hooks and a scratch
// checkpoint directory: triggers at the sources, acknowledgements, completion and what it
// notifies, declines, expiry, tolerable failures, savepoints and a rescale's checkpoint.
#include "jobmanager/checkpoint_coordinator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "tests/jobmanager/recording_gateway.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kEpoch = 11;

using test_support::RecordingGateway;

class CheckpointCoordinatorTest : public ::testing::Test {
 protected:
  CheckpointCoordinatorTest()
      : dir_("checkpoint-coordinator-test"), gateway_(std::make_shared<RecordingGateway>()) {
    CheckpointCoordinator::Hooks hooks;
    hooks.gateway_of = [this](const std::string& id) { return id == "tm-1" ? gateway_ : nullptr; };
    hooks.enqueue = [this](std::function<void()> call) { queued_.push_back(std::move(call)); };
    hooks.fail_job = [this](Job& job, const std::string& reason) {
      failures_.push_back(job.id + ": " + reason);
    };
    hooks.on_complete = [this](Job&, int64_t id) { completed_.push_back(id); };
    hooks.persist = [this](const Job&) { ++persisted_; };
    coordinator_ = std::make_unique<CheckpointCoordinator>(
        (dir_.path() / "checkpoints").string(), 3, kEpoch, absl::Seconds(30), std::move(hooks));
  }

  // A RUNNING job of two chains: two sources (vertex 0) and one sink (vertex 1), on tm-1.
  static Job RunningJob() {
    Job job;
    job.id = "job-1";
    job.state = proto::RUNNING;
    job.attempt = 1;
    job.spec.parallelism = 2;
    job.spec.checkpoint_interval = absl::Seconds(1);
    for (auto [vertex, subtask] : {std::pair{0, 0}, {0, 1}, {1, 0}}) {
      Execution e;
      e.id.set_job_id(job.id);
      e.id.set_vertex(vertex);
      e.id.set_subtask(subtask);
      e.id.set_attempt(1);
      e.taskmanager_id = "tm-1";
      e.state = proto::TASK_RUNNING;
      job.executions.push_back(e);
    }
    return job;
  }

  static proto::CheckpointAck Ack(const Job& job, int index, int64_t checkpoint_id) {
    proto::CheckpointAck ack;
    ack.set_jobmanager_epoch(kEpoch);
    *ack.mutable_task() = job.executions[index].id;
    ack.set_checkpoint_id(checkpoint_id);
    const proto::TaskId& task = job.executions[index].id;
    (*ack.mutable_state())[absl::StrCat(task.vertex() == 0 ? "source" : "sink", "#",
                                        task.subtask())] = "state";
    return ack;
  }

  void AckAll(Job& job, int64_t checkpoint_id) {
    for (int i = 0; i < static_cast<int>(job.executions.size()); ++i) {
      coordinator_->Acknowledge(job, Ack(job, i, checkpoint_id));
    }
  }

  void RunQueued() {
    auto calls = std::move(queued_);
    queued_.clear();
    for (auto& call : calls) call();
  }

  test_support::ScratchDir dir_;
  std::shared_ptr<RecordingGateway> gateway_;
  std::vector<std::function<void()>> queued_;
  std::vector<std::string> failures_;
  std::vector<int64_t> completed_;
  int persisted_ = 0;
  std::unique_ptr<CheckpointCoordinator> coordinator_;
};

TEST_F(CheckpointCoordinatorTest, TriggerGoesToSourceSubtasksOnly) {
  Job job = RunningJob();
  coordinator_->Trigger(job, "", /*stop=*/false);
  ASSERT_TRUE(job.pending_checkpoint);
  EXPECT_EQ(job.pending_checkpoint->id, 1);
  EXPECT_EQ(job.next_checkpoint_id, 2);
  EXPECT_TRUE(gateway_->triggers.empty());  // only queued
  RunQueued();
  ASSERT_EQ(gateway_->triggers.size(), 2u);
  for (const auto& t : gateway_->triggers) {
    EXPECT_EQ(t.task().vertex(), 0);
    EXPECT_EQ(t.checkpoint_id(), 1);
    EXPECT_EQ(t.jobmanager_epoch(), kEpoch);
    EXPECT_FALSE(t.stop_after());
  }
}

TEST_F(CheckpointCoordinatorTest, TriggerSkipsTasksOfUnregisteredTaskManagers) {
  Job job = RunningJob();
  job.executions[0].taskmanager_id = "tm-gone";
  coordinator_->Trigger(job, "", /*stop=*/true);
  RunQueued();
  ASSERT_EQ(gateway_->triggers.size(), 1u);
  EXPECT_EQ(gateway_->triggers[0].task().subtask(), 1);
  EXPECT_TRUE(gateway_->triggers[0].stop_after());
}

TEST_F(CheckpointCoordinatorTest, TriggerDueStartsOnlyRunningJobsWhoseIntervalElapsed) {
  std::map<std::string, Job> jobs;
  jobs["due"] = RunningJob();
  jobs["due"].next_checkpoint = absl::Now() - absl::Seconds(1);
  jobs["later"] = RunningJob();
  jobs["later"].next_checkpoint = absl::Now() + absl::Hours(1);
  jobs["created"] = RunningJob();
  jobs["created"].state = proto::CREATED;
  jobs["created"].next_checkpoint = absl::InfinitePast();
  jobs["no-interval"] = RunningJob();
  jobs["no-interval"].spec.checkpoint_interval.reset();
  jobs["no-interval"].next_checkpoint = absl::InfinitePast();
  coordinator_->TriggerDue(jobs, absl::Now());
  EXPECT_TRUE(jobs["due"].pending_checkpoint);
  EXPECT_FALSE(jobs["later"].pending_checkpoint);
  EXPECT_FALSE(jobs["created"].pending_checkpoint);
  EXPECT_FALSE(jobs["no-interval"].pending_checkpoint);
}

TEST_F(CheckpointCoordinatorTest, TriggerDueAbortsACheckpointPendingPastTheTimeout) {
  std::map<std::string, Job> jobs;
  jobs["job-1"] = RunningJob();
  coordinator_->Trigger(jobs["job-1"], "", false);
  coordinator_->TriggerDue(jobs, absl::Now() + absl::Seconds(10));
  EXPECT_TRUE(jobs["job-1"].pending_checkpoint);
  coordinator_->TriggerDue(jobs, absl::Now() + absl::Seconds(31));
  EXPECT_FALSE(jobs["job-1"].pending_checkpoint);
  EXPECT_EQ(jobs["job-1"].checkpoints_failed, 1);
}

TEST_F(CheckpointCoordinatorTest, LastAcknowledgementCompletesAndNotifiesEveryTask) {
  Job job = RunningJob();
  coordinator_->Trigger(job, "", false);
  coordinator_->Acknowledge(job, Ack(job, 0, 1));
  coordinator_->Acknowledge(job, Ack(job, 0, 1));  // a repeat counts once
  coordinator_->Acknowledge(job, Ack(job, 1, 1));
  EXPECT_TRUE(job.pending_checkpoint);
  coordinator_->Acknowledge(job, Ack(job, 2, 1));
  EXPECT_FALSE(job.pending_checkpoint);
  EXPECT_EQ(job.latest_checkpoint.id(), 1);
  EXPECT_EQ(job.checkpoints_completed, 1);
  EXPECT_EQ(job.latest_state.state.size(), 3u);
  EXPECT_EQ(job.latest_state.state.at("sink#0"), "state");
  EXPECT_EQ(job.latest_state.parallelism, 2);
  EXPECT_EQ(job.latest_state.base_dir, coordinator_->JobDir("job-1"));
  EXPECT_TRUE(std::filesystem::exists(job.latest_checkpoint.path()));
  EXPECT_EQ(completed_, std::vector<int64_t>{1});
  EXPECT_EQ(persisted_, 1);
  RunQueued();
  ASSERT_EQ(gateway_->notifies.size(), 3u);
  for (const auto& n : gateway_->notifies) EXPECT_EQ(n.checkpoint_id(), 1);
}

TEST_F(CheckpointCoordinatorTest, AcknowledgementsOfOtherCheckpointsOrAttemptsAreIgnored) {
  Job job = RunningJob();
  coordinator_->Trigger(job, "", false);
  coordinator_->Acknowledge(job, Ack(job, 0, 7));  // not the pending checkpoint
  proto::CheckpointAck stale = Ack(job, 1, 1);
  stale.mutable_task()->set_attempt(0);  // from a replaced attempt
  coordinator_->Acknowledge(job, stale);
  EXPECT_TRUE(job.pending_checkpoint->acked.empty());
  EXPECT_TRUE(job.pending_checkpoint->data.state.empty());
}

TEST_F(CheckpointCoordinatorTest, DeclineAbortsPendingCheckpoint) {
  Job job = RunningJob();
  coordinator_->Trigger(job, "", false);
  proto::CheckpointAck decline = Ack(job, 1, 1);
  decline.set_decline_reason("disk full");
  coordinator_->Acknowledge(job, decline);
  EXPECT_FALSE(job.pending_checkpoint);
  EXPECT_EQ(job.checkpoints_failed, 1);
  EXPECT_EQ(job.latest_checkpoint.id(), 0);
  EXPECT_TRUE(failures_.empty());  // tolerable-failed-checkpoints unset: never fails the job
}

TEST_F(CheckpointCoordinatorTest, StateUnderAnotherSubtasksNameAborts) {
  Job job = RunningJob();
  coordinator_->Trigger(job, "", false);
  proto::CheckpointAck ack = Ack(job, 1, 1);  // subtask 1
  (*ack.mutable_state())["source#0"] = "not mine";
  coordinator_->Acknowledge(job, ack);
  EXPECT_FALSE(job.pending_checkpoint);
  EXPECT_EQ(job.checkpoints_failed, 1);
}

TEST_F(CheckpointCoordinatorTest, FailsTheJobBeyondTolerableConsecutiveFailures) {
  Job job = RunningJob();
  job.spec.tolerable_failed_checkpoints = 1;
  coordinator_->Trigger(job, "", false);
  coordinator_->Abort(job, "first");
  EXPECT_TRUE(failures_.empty());
  coordinator_->Trigger(job, "", false);
  coordinator_->Abort(job, "second");
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failures_[0], "job-1: more than 1 consecutive checkpoints failed; last: second");
  EXPECT_EQ(job.consecutive_failed_checkpoints, 0);
}

TEST_F(CheckpointCoordinatorTest, CompletedCheckpointResetsTheConsecutiveFailures) {
  Job job = RunningJob();
  job.spec.tolerable_failed_checkpoints = 1;
  coordinator_->Trigger(job, "", false);
  coordinator_->Abort(job, "first");
  coordinator_->Trigger(job, "", false);
  AckAll(job, 2);
  EXPECT_EQ(job.latest_checkpoint.id(), 2);
  coordinator_->Trigger(job, "", false);
  coordinator_->Abort(job, "third");
  EXPECT_TRUE(failures_.empty());
}

TEST_F(CheckpointCoordinatorTest, AbortByAStateChangeDoesNotCountAgainstTheJob) {
  Job job = RunningJob();
  job.spec.tolerable_failed_checkpoints = 0;
  coordinator_->Trigger(job, "", false);
  coordinator_->Abort(job, "job is CANCELLING", /*checkpoint_failure=*/false);
  EXPECT_FALSE(job.pending_checkpoint);
  EXPECT_EQ(job.checkpoints_failed, 1);
  EXPECT_TRUE(failures_.empty());
  coordinator_->Abort(job, "nothing pending");  // no-op
  EXPECT_EQ(job.checkpoints_failed, 1);
}

TEST_F(CheckpointCoordinatorTest, SavepointIsWrittenToItsDirectoryAndItsPathKept) {
  Job job = RunningJob();
  const std::string dir = (dir_.path() / "savepoints" / "sp-1").string();
  coordinator_->Trigger(job, dir, /*stop=*/false);
  EXPECT_FALSE(coordinator_->HasSavepointResult("job-1", 1));
  AckAll(job, 1);
  ASSERT_TRUE(coordinator_->HasSavepointResult("job-1", 1));
  absl::StatusOr<std::string> path = coordinator_->TakeSavepointResult("job-1", 1);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, job.latest_checkpoint.path());
  EXPECT_EQ(job.latest_state.base_dir, *path);
  EXPECT_TRUE(std::filesystem::exists(*path));
  EXPECT_FALSE(coordinator_->HasSavepointResult("job-1", 1));  // taken
}

TEST_F(CheckpointCoordinatorTest, AbortedSavepointReportsWhyAndNeverFailsTheJob) {
  Job job = RunningJob();
  job.spec.tolerable_failed_checkpoints = 0;
  coordinator_->Trigger(job, (dir_.path() / "sp").string(), false);
  coordinator_->Abort(job, "expired");
  ASSERT_TRUE(coordinator_->HasSavepointResult("job-1", 1));
  absl::StatusOr<std::string> result = coordinator_->TakeSavepointResult("job-1", 1);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(result.status().message(), HasSubstr("savepoint aborted: expired"));
  EXPECT_TRUE(failures_.empty());
}

TEST_F(CheckpointCoordinatorTest, AbortingARescalesCheckpointCallsTheRescaleOff) {
  Job job = RunningJob();
  job.rescale_to = 4;
  job.rescale_checkpoint = job.next_checkpoint_id;
  coordinator_->Trigger(job, "", /*stop=*/true);
  coordinator_->Abort(job, "declined");
  EXPECT_EQ(job.rescale_to, 0);
}

}  // namespace
}  // namespace ec
