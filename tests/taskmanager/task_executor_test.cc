// TaskExecutor: epoch fencing, slots, bad specs, and a real socket-source → json-parse →
// discard-sink task against a loopback server, reporting RUNNING, its counters, then CANCELED;
// with windows-event-map after json-parse (fused), the counters of each; checkpoint state named
// and restored per subtask.
#include "taskmanager/task_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "runtime/job_spec.h"
#include "tests/eventually.h"
#include "tests/operators/sources/line_server.h"

namespace ec {
namespace {

using test_support::Eventually;
using test_support::LineServer;

constexpr int64_t kEpoch = 7;

constexpr char kParse[] = R"({"type": "json-parse", "dead-letter-topic": "none"})";

// The job spec a JobManager would send for a chain reading 127.0.0.1:`port`, with `transforms`
// (comma-separated operators) between the source and a discard sink.
std::string SpecJson(int port, const std::string& transforms) {
  auto spec =
      ParseJobSpec(absl::StrCat(R"({"name": "tm-test", "pipeline": [
      {"type": "socket-source", "hostname": "127.0.0.1", "port": )",
                                port, R"(, "initial-backoff": "10ms", "max-backoff": "50ms"},
      )",
                                transforms, R"(,
      {"type": "discard-sink"}]})"));
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec->ToJson().dump();
}

proto::DeployTaskRequest Deployment(const std::string& job_id, int port, int64_t epoch = kEpoch,
                                    const std::string& transforms = kParse) {
  proto::DeployTaskRequest request;
  request.set_jobmanager_epoch(epoch);
  request.mutable_task()->set_job_id(job_id);
  request.mutable_task()->set_attempt(1);
  request.set_job_name("tm-test");
  request.set_job_spec_json(SpecJson(port, transforms));
  const int steps = static_cast<int>(ParseJobSpec(request.job_spec_json())->pipeline.size());
  for (int i = 0; i < steps; ++i) request.add_chain(i);
  return request;
}

proto::CancelTaskRequest Cancellation(const proto::TaskId& task, int64_t epoch = kEpoch) {
  proto::CancelTaskRequest request;
  request.set_jobmanager_epoch(epoch);
  *request.mutable_task() = task;
  return request;
}

class TaskExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { executor_->SetEpoch(kEpoch); }

  // Creates the executor with `slots` (SetUp made one with a single slot).
  void Recreate(int slots) {
    executor_.reset();
    executor_ = NewExecutor(slots);
    executor_->SetEpoch(kEpoch);
  }

  std::unique_ptr<TaskExecutor> NewExecutor(int slots) {
    return std::make_unique<TaskExecutor>(slots, [this](const proto::TaskStatus& status) {
      absl::MutexLock lock(&mu_);
      reported_.push_back(status);
    });
  }

  // The states the task of `job_id` reported through the listener, in order.
  std::vector<proto::TaskState> Reported(const std::string& job_id) {
    absl::MutexLock lock(&mu_);
    std::vector<proto::TaskState> states;
    for (const auto& s : reported_) {
      if (s.task().job_id() == job_id) states.push_back(s.state());
    }
    return states;
  }

  bool HasReported(const std::string& job_id, proto::TaskState state) {
    auto states = Reported(job_id);
    return std::find(states.begin(), states.end(), state) != states.end();
  }

  // A port on which connections are refused (bound, never listening) for tasks that only need
  // to keep running: the source retries with backoff.
  LineServer refusing_{{}, /*listen_now=*/false};

  absl::Mutex mu_;
  std::vector<proto::TaskStatus> reported_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<TaskExecutor> executor_ = NewExecutor(1);  // last: stopped before the rest
};

TEST_F(TaskExecutorTest, DeployWithAStaleEpochIsFailedPrecondition) {
  absl::Status s = executor_->Deploy(Deployment("job-1", refusing_.port(), kEpoch + 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("stale JobManager epoch"));
  EXPECT_EQ(executor_->free_slots(), 1);
  EXPECT_TRUE(executor_->CollectStatuses().empty());
}

TEST_F(TaskExecutorTest, SetEpochMovesTheFence) {
  executor_->SetEpoch(kEpoch + 1);
  EXPECT_EQ(executor_->epoch(), kEpoch + 1);
  EXPECT_EQ(executor_->Deploy(Deployment("job-1", refusing_.port())).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(executor_->Deploy(Deployment("job-1", refusing_.port(), kEpoch + 1)).ok());
}

TEST_F(TaskExecutorTest, DeployWhenAllSlotsAreUsedIsResourceExhausted) {
  ASSERT_TRUE(executor_->Deploy(Deployment("job-1", refusing_.port())).ok());
  EXPECT_EQ(executor_->free_slots(), 0);
  absl::Status s = executor_->Deploy(Deployment("job-2", refusing_.port()));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("all 1 slots are in use"));
}

TEST_F(TaskExecutorTest, UnparsableSpecIsInvalidArgument) {
  proto::DeployTaskRequest request = Deployment("job-1", refusing_.port());
  request.set_job_spec_json("{");
  EXPECT_EQ(executor_->Deploy(request).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(executor_->free_slots(), 1);
}

TEST_F(TaskExecutorTest, SpecThatFailsValidationIsRefused) {
  proto::DeployTaskRequest request = Deployment("job-1", refusing_.port());
  request.set_job_spec_json(R"({"name": "x", "pipeline": [{"type": "json-parse"}]})");
  EXPECT_EQ(executor_->Deploy(request).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(executor_->free_slots(), 1);
}

TEST_F(TaskExecutorTest, RunsAChainReportsRunningThenCanceledAfterCancel) {
  LineServer server(
      {LineServer::Send({"{\"seq\":0}\n{\"seq\":1}\nnot json\n{\"seq\":2}\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  proto::DeployTaskRequest request = Deployment("job-1", server.port());
  ASSERT_TRUE(executor_->Deploy(request).ok());
  ASSERT_TRUE(Eventually([&] { return HasReported("job-1", proto::TASK_RUNNING); }));

  // Counters flow to the statuses the heartbeat sends.
  proto::TaskStatus status;
  ASSERT_TRUE(Eventually([&] {
    auto statuses = executor_->CollectStatuses();
    if (statuses.size() != 1) return false;
    status = statuses[0];
    return status.operators_size() == 3 && status.operators(2).records_out() == 3;
  })) << status.DebugString();
  EXPECT_EQ(status.state(), proto::TASK_RUNNING);
  EXPECT_EQ(status.operators(0).name(), "socket-source");
  EXPECT_EQ(status.operators(0).records_in(), 4u);
  EXPECT_EQ(status.operators(0).records_out(), 4u);
  EXPECT_EQ(status.operators(1).records_in(), 4u);
  EXPECT_EQ(status.operators(1).records_out(), 3u);
  EXPECT_EQ(status.operators(1).records_dead_letter(), 1u);
  EXPECT_EQ(status.operators(2).records_in(), 3u);

  ASSERT_TRUE(executor_->Cancel(Cancellation(request.task())).ok());
  ASSERT_TRUE(Eventually([&] { return HasReported("job-1", proto::TASK_CANCELED); }));
  EXPECT_EQ(Reported("job-1"),
            (std::vector<proto::TaskState>{proto::TASK_RUNNING, proto::TASK_CANCELED}));
  EXPECT_EQ(executor_->free_slots(), 1);
}

TEST_F(TaskExecutorTest, FusedParseAndMapCountEachOperatorAsUnfused) {
  // json-parse and windows-event-map run as one pass (CreateChain fuses them); each keeps its
  // own counters: one line is not JSON (json-parse's), one lacks a field (the map's).
  const std::string event =
      R"({"seq":0,"timestamp":"2026-01-01T00:00:00.000Z","source":"Security","level":"Error",)"
      R"("event_id":4625,"computer":"WS-1","user":"u","message":"m"})";
  const std::string no_user =
      R"({"seq":2,"timestamp":"2026-01-01T00:00:00.000Z","source":"Security","level":"Error",)"
      R"("event_id":4625,"computer":"WS-1","message":"m"})";
  LineServer server(
      {LineServer::Send({event + "\nnot json\n" + no_user + "\n" + event + "\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  proto::DeployTaskRequest request = Deployment(
      "job-1", server.port(), kEpoch,
      absl::StrCat(kParse, R"(, {"type": "windows-event-map", "dead-letter-topic": "none"})"));
  ASSERT_TRUE(executor_->Deploy(request).ok());
  proto::TaskStatus status;
  ASSERT_TRUE(Eventually([&] {
    auto statuses = executor_->CollectStatuses();
    if (statuses.size() != 1) return false;
    status = statuses[0];
    return status.operators_size() == 4 && status.operators(3).records_out() == 2;
  })) << status.DebugString();
  EXPECT_EQ(status.operators(1).name(), "json-parse");
  EXPECT_EQ(status.operators(1).records_in(), 4u);
  EXPECT_EQ(status.operators(1).records_out(), 3u);
  EXPECT_EQ(status.operators(1).bytes_out(), 2 * event.size() + no_user.size());
  EXPECT_EQ(status.operators(1).records_dead_letter(), 1u);
  EXPECT_EQ(status.operators(2).name(), "windows-event-map");
  EXPECT_EQ(status.operators(2).records_in(), 3u);
  EXPECT_EQ(status.operators(2).bytes_in(), 2 * event.size() + no_user.size());
  EXPECT_EQ(status.operators(2).records_out(), 2u);
  EXPECT_EQ(status.operators(2).records_dead_letter(), 1u);
  EXPECT_EQ(status.operators(3).records_in(), 2u);
  EXPECT_EQ(status.operators(3).bytes_in(), status.operators(2).bytes_out());
  ASSERT_TRUE(executor_->Cancel(Cancellation(request.task())).ok());
  ASSERT_TRUE(Eventually([&] { return HasReported("job-1", proto::TASK_CANCELED); }));
}

TEST_F(TaskExecutorTest, EndedTaskIsReportedOnceThenDropped) {
  proto::DeployTaskRequest request = Deployment("job-1", refusing_.port());
  ASSERT_TRUE(executor_->Deploy(request).ok());
  ASSERT_TRUE(Eventually([&] { return HasReported("job-1", proto::TASK_RUNNING); }));
  ASSERT_TRUE(executor_->Cancel(Cancellation(request.task())).ok());
  ASSERT_TRUE(Eventually([&] { return HasReported("job-1", proto::TASK_CANCELED); }));
  auto statuses = executor_->CollectStatuses();
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].state(), proto::TASK_CANCELED);
  EXPECT_TRUE(executor_->CollectStatuses().empty());
}

TEST_F(TaskExecutorTest, SlotIsReusableAfterTheTaskEnds) {
  proto::DeployTaskRequest request = Deployment("job-1", refusing_.port());
  ASSERT_TRUE(executor_->Deploy(request).ok());
  ASSERT_TRUE(executor_->Cancel(Cancellation(request.task())).ok());
  ASSERT_TRUE(Eventually([&] { return executor_->free_slots() == 1; }));
  EXPECT_TRUE(executor_->Deploy(Deployment("job-2", refusing_.port())).ok());
}

TEST_F(TaskExecutorTest, CancelWithAStaleEpochIsFailedPrecondition) {
  proto::DeployTaskRequest request = Deployment("job-1", refusing_.port());
  ASSERT_TRUE(executor_->Deploy(request).ok());
  EXPECT_EQ(executor_->Cancel(Cancellation(request.task(), kEpoch - 1)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(executor_->free_slots(), 0);
}

TEST_F(TaskExecutorTest, CancelOfAnUnknownTaskIsNotFound) {
  proto::TaskId task;
  task.set_job_id("nope");
  EXPECT_EQ(executor_->Cancel(Cancellation(task)).code(), absl::StatusCode::kNotFound);
}

TEST_F(TaskExecutorTest, SubtaskRestoresItsOwnStateAndAcknowledgesUnderItsSubtask) {
  absl::Mutex mu;
  std::vector<proto::CheckpointAck> acks;
  executor_.reset();
  executor_ = std::make_unique<TaskExecutor>(
      1, [](const proto::TaskStatus&) {},
      [&](const proto::CheckpointAck& ack) {
        absl::MutexLock lock(&mu);
        acks.push_back(ack);
      });
  executor_->SetEpoch(kEpoch);
  proto::DeployTaskRequest request = Deployment("job-1", refusing_.port());
  request.mutable_task()->set_subtask(2);
  (*request.mutable_restore_state())["socket-source#2"] = "41";
  (*request.mutable_restore_state())["json-parse#2"] = "ignored";
  ASSERT_TRUE(executor_->Deploy(request).ok());
  proto::TriggerCheckpointRequest trigger;
  trigger.set_jobmanager_epoch(kEpoch);
  *trigger.mutable_task() = request.task();
  trigger.set_checkpoint_id(5);
  ASSERT_TRUE(Eventually([&] {
    (void)executor_->TriggerCheckpoint(trigger);  // fails until the task is registered
    absl::MutexLock lock(&mu);
    return !acks.empty();
  }));
  executor_->CancelAll();  // no more acks into this test's locals
  absl::MutexLock lock(&mu);
  EXPECT_EQ(acks[0].task().subtask(), 2);
  EXPECT_EQ(acks[0].checkpoint_id(), 5);
  // Nothing was read (the port refuses connections): the restored position, under subtask 2.
  EXPECT_EQ((std::map<std::string, std::string>(acks[0].state().begin(), acks[0].state().end())),
            (std::map<std::string, std::string>{{"socket-source#2", "41"}}));
}

TEST_F(TaskExecutorTest, CancelAllStopsEveryTask) {
  Recreate(2);
  ASSERT_TRUE(executor_->Deploy(Deployment("job-1", refusing_.port())).ok());
  ASSERT_TRUE(executor_->Deploy(Deployment("job-2", refusing_.port())).ok());
  EXPECT_EQ(executor_->free_slots(), 0);
  executor_->CancelAll();  // returns once both have stopped
  EXPECT_TRUE(HasReported("job-1", proto::TASK_CANCELED));
  EXPECT_TRUE(HasReported("job-2", proto::TASK_CANCELED));
  EXPECT_EQ(executor_->free_slots(), 2);
}

}  // namespace
}  // namespace ec
