// Dispatcher with hand-written fake TaskManagers: scheduling onto slots, the job lifecycle driven
// by task reports, cancellation, restarts, lost TaskManagers (stream closed, heartbeat timeout),
// slot timeout, validation at submit and epoch fencing; parallel jobs: every subtask deployed as
// one attempt, spread over TaskManagers, all restarted or cancelled together.
#include "jobmanager/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/synchronization/mutex.h"
#include "tests/eventually.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kEpoch = 42;

constexpr char kJob[] = R"({"name": "events", "pipeline": [
  {"type": "socket-source", "hostname": "127.0.0.1", "port": 9999},
  {"type": "json-parse", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

// Three subtasks of a forward chain (a socket source cannot run in parallel).
constexpr char kParallelJob[] = R"({"name": "parallel", "parallelism": 3, "pipeline": [
  {"type": "kafka-source", "topic": "in", "kafka-bootstrap-servers": "127.0.0.1:9092"},
  {"type": "json-parse", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

// What every fake TaskManager was asked to do; shared by all gateways the dispatcher creates.
class FakeTaskManagers {
 public:
  struct Call {
    std::string address;
    proto::DeployTaskRequest deploy;
    proto::CancelTaskRequest cancel;
  };

  // What deploys return; with `address`, only deploys to that TaskManager.
  void SetDeployResult(absl::Status status, const std::string& address = "") {
    absl::MutexLock lock(&mu_);
    deploy_results_[address] = std::move(status);
  }
  absl::Status Deploy(const std::string& address, const proto::DeployTaskRequest& request) {
    absl::MutexLock lock(&mu_);
    deploys_.push_back({address, request, {}});
    auto it = deploy_results_.find(address);
    return it != deploy_results_.end() ? it->second : deploy_results_[""];
  }
  absl::Status Cancel(const std::string& address, const proto::CancelTaskRequest& request) {
    absl::MutexLock lock(&mu_);
    cancels_.push_back({address, {}, request});
    return absl::OkStatus();
  }
  std::vector<Call> deploys() const {
    absl::MutexLock lock(&mu_);
    return deploys_;
  }
  std::vector<Call> cancels() const {
    absl::MutexLock lock(&mu_);
    return cancels_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, absl::Status> deploy_results_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> deploys_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> cancels_ ABSL_GUARDED_BY(mu_);
};

class FakeGateway : public TaskManagerGateway {
 public:
  FakeGateway(std::shared_ptr<FakeTaskManagers> fakes, std::string address)
      : fakes_(std::move(fakes)), address_(std::move(address)) {}
  absl::Status DeployTask(const proto::DeployTaskRequest& request) override {
    return fakes_->Deploy(address_, request);
  }
  absl::Status CancelTask(const proto::CancelTaskRequest& request) override {
    return fakes_->Cancel(address_, request);
  }

 private:
  std::shared_ptr<FakeTaskManagers> fakes_;
  std::string address_;
};

using test_support::Eventually;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void TearDown() override { dispatcher_->Stop(); }

  // (Re)starts the dispatcher; heartbeats time out only when a test asks for it.
  void Start(Dispatcher::Options options) {
    if (dispatcher_) dispatcher_->Stop();
    options.epoch = kEpoch;
    if (options.heartbeat_timeout == Dispatcher::Options{}.heartbeat_timeout) {
      options.heartbeat_timeout = absl::Minutes(5);
    }
    dispatcher_ = std::make_unique<Dispatcher>(options, [fakes = fakes_](const std::string& a) {
      return std::make_unique<FakeGateway>(fakes, a);
    });
    dispatcher_->Start();
  }

  std::string Submit(const std::map<std::string, std::string>& parameters = {
                         {"restart-strategy", "none"}}) {
    auto id = dispatcher_->SubmitJob(kJob, parameters);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  proto::RegisterTaskManagerResponse Register(const std::string& id, int slots = 2) {
    proto::RegisterTaskManagerRequest request;
    request.set_taskmanager_id(id);
    request.set_rpc_address(id + ":6124");
    request.set_slots(slots);
    request.set_data_address("data-" + id + ":6121");
    return dispatcher_->RegisterTaskManager(request);
  }

  proto::JobState State(const std::string& job_id) {
    auto status = dispatcher_->GetJobStatus(job_id);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? status->state() : proto::JOB_STATE_UNSPECIFIED;
  }

  bool ReachesState(const std::string& job_id, proto::JobState state) {
    bool reached = Eventually([&] { return State(job_id) == state; });
    EXPECT_TRUE(reached) << "job stayed " << proto::JobState_Name(State(job_id)) << ", expected "
                         << proto::JobState_Name(state);
    return reached;
  }

  std::string Failure(const std::string& job_id) {
    return dispatcher_->GetJobStatus(job_id)->failure();
  }

  // Waits for the n-th deploy (1-based) and returns it.
  FakeTaskManagers::Call WaitForDeploy(size_t n = 1) {
    EXPECT_TRUE(Eventually([&] { return fakes_->deploys().size() >= n; }))
        << "deploys: " << fakes_->deploys().size();
    auto deploys = fakes_->deploys();
    return deploys.size() >= n ? deploys[n - 1] : FakeTaskManagers::Call{};
  }

  void Report(const std::string& taskmanager_id, const proto::TaskId& task, proto::TaskState state,
              const proto::TaskFailure& failure = {}) {
    proto::TaskStateUpdate update;
    update.set_taskmanager_id(taskmanager_id);
    update.set_jobmanager_epoch(kEpoch);
    update.mutable_status()->mutable_task()->CopyFrom(task);
    update.mutable_status()->set_state(state);
    if (state == proto::TASK_FAILED) update.mutable_status()->mutable_failure()->CopyFrom(failure);
    dispatcher_->UpdateTaskState(update);
  }

  // The job submitted, deployed to tm-1 and reported RUNNING; returns the deployed task.
  proto::TaskId RunningJob(const std::string& job_id) {
    auto deploy = WaitForDeploy();
    Report("tm-1", deploy.deploy.task(), proto::TASK_RUNNING);
    ReachesState(job_id, proto::RUNNING);
    return deploy.deploy.task();
  }

  std::string SubmitParallel(const std::map<std::string, std::string>& parameters = {
                                 {"restart-strategy", "none"}}) {
    auto id = dispatcher_->SubmitJob(kParallelJob, parameters);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  // The deploys from the `from`-th on (0-based), by subtask, once there are `count` of them.
  std::map<int, FakeTaskManagers::Call> DeploysBySubtask(size_t from, size_t count) {
    WaitForDeploy(from + count);
    auto deploys = fakes_->deploys();
    std::map<int, FakeTaskManagers::Call> by_subtask;
    for (size_t i = from; i < deploys.size() && i < from + count; ++i) {
      by_subtask[deploys[i].deploy.task().subtask()] = deploys[i];
    }
    EXPECT_EQ(by_subtask.size(), count);
    return by_subtask;
  }

  static std::string TaskManagerOf(const FakeTaskManagers::Call& call) {
    return call.address.substr(0, call.address.find(':'));
  }

  // Reports every deployed subtask in `state` from the TaskManager it was deployed to.
  void ReportAll(const std::map<int, FakeTaskManagers::Call>& deploys, proto::TaskState state) {
    for (const auto& [subtask, call] : deploys)
      Report(TaskManagerOf(call), call.deploy.task(), state);
  }

  int FreeSlots(const std::string& taskmanager_id) {
    for (const auto& tm : dispatcher_->ListTaskManagers()) {
      if (tm.id() == taskmanager_id) return tm.free_slots();
    }
    return -1;
  }

  bool IsRegistered(const std::string& taskmanager_id) { return FreeSlots(taskmanager_id) >= 0; }

  static proto::TaskFailure MakeFailure(proto::ErrorDomain domain, bool retryable,
                                        const std::string& message) {
    proto::TaskFailure failure;
    failure.set_domain(domain);
    failure.set_retryable(retryable);
    failure.set_message(message);
    return failure;
  }

  std::shared_ptr<FakeTaskManagers> fakes_ = std::make_shared<FakeTaskManagers>();
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, SubmittedJobIsCreated) {
  const std::string id = Submit();
  auto status = dispatcher_->GetJobStatus(id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state(), proto::CREATED);
  EXPECT_EQ(status->name(), "events");
  ASSERT_EQ(status->operators_size(), 3);
  EXPECT_EQ(status->operators(1).metrics().name(), "json-parse");
  EXPECT_EQ(dispatcher_->ListJobs().size(), 1u);
}

TEST_F(DispatcherTest, InvalidJobIsRefusedNamingTheField) {
  auto bad_port = dispatcher_->SubmitJob(
      R"({"name": "j", "pipeline": [{"type": "socket-source", "hostname": "h", "port": 99999},
                                    {"type": "discard-sink"}]})",
      {});
  ASSERT_FALSE(bad_port.ok());
  EXPECT_EQ(bad_port.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_port.status().message()), HasSubstr("pipeline[0].port"));
  EXPECT_TRUE(dispatcher_->ListJobs().empty());
}

TEST_F(DispatcherTest, UnparsableJobIsInvalidArgument) {
  auto id = dispatcher_->SubmitJob("{", {});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DispatcherTest, RegistrationReturnsTheEpochAndHeartbeatInterval) {
  proto::RegisterTaskManagerResponse response = Register("tm-1", 3);
  EXPECT_EQ(response.jobmanager_epoch(), kEpoch);
  EXPECT_EQ(response.heartbeat_interval_ms(), 500);
  auto tms = dispatcher_->ListTaskManagers();
  ASSERT_EQ(tms.size(), 1u);
  EXPECT_EQ(tms[0].address(), "tm-1:6124");
  EXPECT_EQ(tms[0].slots(), 3);
  EXPECT_EQ(tms[0].free_slots(), 3);
}

TEST_F(DispatcherTest, RegisteringTaskManagerGetsTheWaitingJobWithEpochAndSpec) {
  const std::string id = Submit();
  Register("tm-1");
  FakeTaskManagers::Call call = WaitForDeploy();
  EXPECT_EQ(call.address, "tm-1:6124");
  EXPECT_EQ(call.deploy.jobmanager_epoch(), kEpoch);
  EXPECT_EQ(call.deploy.task().job_id(), id);
  EXPECT_EQ(call.deploy.task().attempt(), 1);
  EXPECT_EQ(call.deploy.job_name(), "events");
  EXPECT_THAT(call.deploy.chain(), ::testing::ElementsAre(0, 1, 2));
  auto spec = ParseJobSpec(call.deploy.job_spec_json());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "events");
  ASSERT_EQ(spec->pipeline.size(), 3u);
  EXPECT_EQ(spec->pipeline[0].config["port"], 9999);
  EXPECT_EQ(spec->restart.strategy, "none");
  EXPECT_EQ(FreeSlots("tm-1"), 1);
  EXPECT_EQ(State(id), proto::CREATED);  // until the task reports RUNNING
}

TEST_F(DispatcherTest, JobSubmittedAfterRegistrationIsDeployedAtOnce) {
  Register("tm-1");
  const std::string id = Submit();
  EXPECT_EQ(WaitForDeploy().deploy.task().job_id(), id);
}

TEST_F(DispatcherTest, JobGoesToTheTaskManagerWithTheMostFreeSlots) {
  Register("tm-small", 1);
  Register("tm-big", 4);
  Submit();
  EXPECT_EQ(WaitForDeploy().address, "tm-big:6124");
}

TEST_F(DispatcherTest, TaskRunningMakesTheJobRunning) {
  const std::string id = Submit();
  Register("tm-1");
  RunningJob(id);
  EXPECT_EQ(dispatcher_->GetJobStatus(id)->operators(0).subtasks(0).state(), proto::TASK_RUNNING);
}

TEST_F(DispatcherTest, RunningReportedInAHeartbeatCounts) {
  const std::string id = Submit();
  Register("tm-1");
  auto deploy = WaitForDeploy();
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-1");
  heartbeat.set_jobmanager_epoch(kEpoch);
  proto::TaskStatus* task = heartbeat.add_tasks();
  *task->mutable_task() = deploy.deploy.task();
  task->set_state(proto::TASK_RUNNING);
  proto::OperatorMetrics* source = task->add_operators();
  source->set_name("socket-source");
  source->set_records_out(12);
  source->set_bytes_in(345);
  int64_t session = 0;
  EXPECT_TRUE(dispatcher_->OnHeartbeat(heartbeat, &session));
  EXPECT_NE(session, 0);
  EXPECT_EQ(State(id), proto::RUNNING);
  auto status = dispatcher_->GetJobStatus(id);
  EXPECT_EQ(status->operators(0).metrics().records_out(), 12u);
  EXPECT_EQ(status->operators(0).metrics().bytes_in(), 345u);
}

TEST_F(DispatcherTest, TaskFailureFailsTheJobWithTheFailureText) {
  const std::string id = Submit();
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  Report("tm-1", task, proto::TASK_FAILED,
         MakeFailure(proto::EXTERNAL, true, "broker unreachable"));
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("broker unreachable"));
  EXPECT_THAT(Failure(id), HasSubstr("external error, retryable"));
  EXPECT_EQ(FreeSlots("tm-1"), 2);
  EXPECT_NE(dispatcher_->GetJobStatus(id)->end_time_ms(), 0);
}

TEST_F(DispatcherTest, UserErrorFailsTheJobAtOnceDespiteRestarts) {
  const std::string id = Submit({{"restart-strategy", "fixed-delay"}, {"restart-attempts", "3"}});
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  Report("tm-1", task, proto::TASK_FAILED,
         MakeFailure(proto::USER, false, "authentication failed"));
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("authentication failed [user error, not retryable]"));
  EXPECT_EQ(dispatcher_->GetJobStatus(id)->restarts(), 0);
}

TEST_F(DispatcherTest, RetryableFailureRestartsTheJobAsANewAttempt) {
  const std::string id = Submit(
      {{"restart-strategy", "fixed-delay"}, {"restart-attempts", "2"}, {"restart-delay", "50ms"}});
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  Report("tm-1", task, proto::TASK_FAILED, MakeFailure(proto::EXTERNAL, true, "socket reset"));
  FakeTaskManagers::Call second = WaitForDeploy(2);
  EXPECT_EQ(second.deploy.task().job_id(), id);
  EXPECT_EQ(second.deploy.task().attempt(), 2);
  auto status = dispatcher_->GetJobStatus(id);
  EXPECT_EQ(status->restarts(), 1);
  EXPECT_THAT(status->failure(), HasSubstr("socket reset"));
  Report("tm-1", second.deploy.task(), proto::TASK_RUNNING);
  EXPECT_TRUE(ReachesState(id, proto::RUNNING));
}

// Regression: a TaskManager shutting down (SIGTERM) cancels its tasks on its own; the job used to
// stay RUNNING with its subtask CANCELED on no TaskManager.
TEST_F(DispatcherTest, TaskCanceledByItsTaskManagerRestartsTheJob) {
  const std::string id = Submit(
      {{"restart-strategy", "fixed-delay"}, {"restart-attempts", "2"}, {"restart-delay", "50ms"}});
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  Report("tm-1", task, proto::TASK_CANCELED);
  FakeTaskManagers::Call second = WaitForDeploy(2);
  EXPECT_EQ(second.deploy.task().attempt(), 2);
  EXPECT_THAT(dispatcher_->GetJobStatus(id)->failure(), HasSubstr("shutting down"));
}

TEST_F(DispatcherTest, JobFailsWhenRestartsAreUsedUp) {
  const std::string id = Submit(
      {{"restart-strategy", "fixed-delay"}, {"restart-attempts", "1"}, {"restart-delay", "10ms"}});
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  Report("tm-1", task, proto::TASK_FAILED, MakeFailure(proto::EXTERNAL, true, "first"));
  FakeTaskManagers::Call second = WaitForDeploy(2);
  Report("tm-1", second.deploy.task(), proto::TASK_RUNNING);
  ASSERT_TRUE(ReachesState(id, proto::RUNNING));
  Report("tm-1", second.deploy.task(), proto::TASK_FAILED,
         MakeFailure(proto::EXTERNAL, true, "second"));
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("second"));
  EXPECT_THAT(Failure(id), HasSubstr("no restart left after 1"));
}

TEST_F(DispatcherTest, FailureRateFailsTheJobOnlyWhenFailuresComeTooOften) {
  const std::string id = Submit({{"restart-strategy", "failure-rate"},
                                 {"restart-attempts", "1"},
                                 {"restart-failure-rate-interval", "300ms"},
                                 {"restart-delay", "10ms"}});
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  // Failures further apart than the interval restart the job, however many there are.
  for (int attempt = 2; attempt <= 3; ++attempt) {
    Report("tm-1", task, proto::TASK_FAILED, MakeFailure(proto::EXTERNAL, true, "spaced"));
    FakeTaskManagers::Call next = WaitForDeploy(attempt);
    task = next.deploy.task();
    Report("tm-1", task, proto::TASK_RUNNING);
    ASSERT_TRUE(ReachesState(id, proto::RUNNING));
    absl::SleepFor(absl::Milliseconds(400));  // let the interval pass: a lower bound, not a wait
  }
  // Two within the interval: the second fails the job.
  Report("tm-1", task, proto::TASK_FAILED, MakeFailure(proto::EXTERNAL, true, "first"));
  FakeTaskManagers::Call next = WaitForDeploy(4);
  Report("tm-1", next.deploy.task(), proto::TASK_FAILED,
         MakeFailure(proto::EXTERNAL, true, "second"));
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("more than 1 failures within"));
}

TEST_F(DispatcherTest, RetryableFailureBeforeRunningAlsoRestarts) {
  // A task can fail while opening its operators, before it ever reports RUNNING.
  const std::string id = Submit(
      {{"restart-strategy", "fixed-delay"}, {"restart-attempts", "2"}, {"restart-delay", "10ms"}});
  Register("tm-1");
  FakeTaskManagers::Call first = WaitForDeploy();
  Report("tm-1", first.deploy.task(), proto::TASK_FAILED,
         MakeFailure(proto::EXTERNAL, true, "broker unreachable"));
  FakeTaskManagers::Call second = WaitForDeploy(2);
  EXPECT_EQ(second.deploy.task().attempt(), 2);
  Report("tm-1", second.deploy.task(), proto::TASK_RUNNING);
  EXPECT_TRUE(ReachesState(id, proto::RUNNING));
}

TEST_F(DispatcherTest, FailedDeployFailsTheJobAndFreesTheSlot) {
  fakes_->SetDeployResult(absl::UnavailableError("connection refused"));
  const std::string id = Submit();
  Register("tm-1");
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("#0 to TaskManager tm-1 failed: connection refused"));
  EXPECT_EQ(FreeSlots("tm-1"), 2);
}

TEST_F(DispatcherTest, FailedDeployIsRetriedUnderARestartStrategy) {
  fakes_->SetDeployResult(absl::UnavailableError("connection refused"));
  const std::string id = Submit(
      {{"restart-strategy", "fixed-delay"}, {"restart-attempts", "1"}, {"restart-delay", "10ms"}});
  Register("tm-1");
  WaitForDeploy(2);
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("no restart left after 1"));
  EXPECT_EQ(FreeSlots("tm-1"), 2);
}

TEST_F(DispatcherTest, TaskFinishedFinishesTheJob) {
  const std::string id = Submit();
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  Report("tm-1", task, proto::TASK_FINISHED);
  ASSERT_TRUE(ReachesState(id, proto::FINISHED));
  EXPECT_EQ(FreeSlots("tm-1"), 2);
}

TEST_F(DispatcherTest, CancelGoesThroughCancellingToCanceledAndFreesTheSlot) {
  const std::string id = Submit();
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  EXPECT_EQ(FreeSlots("tm-1"), 1);
  ASSERT_TRUE(dispatcher_->CancelJob(id).ok());
  EXPECT_EQ(State(id), proto::CANCELLING);
  ASSERT_TRUE(Eventually([&] { return !fakes_->cancels().empty(); }));
  FakeTaskManagers::Call cancel = fakes_->cancels()[0];
  EXPECT_EQ(cancel.address, "tm-1:6124");
  EXPECT_EQ(cancel.cancel.jobmanager_epoch(), kEpoch);
  EXPECT_EQ(cancel.cancel.task().job_id(), id);
  EXPECT_EQ(cancel.cancel.task().attempt(), task.attempt());
  EXPECT_EQ(State(id), proto::CANCELLING);  // until the task confirms
  Report("tm-1", task, proto::TASK_CANCELED);
  ASSERT_TRUE(ReachesState(id, proto::CANCELED));
  EXPECT_EQ(FreeSlots("tm-1"), 2);
}

TEST_F(DispatcherTest, CancellingAgainIsAccepted) {
  const std::string id = Submit();
  Register("tm-1");
  RunningJob(id);
  ASSERT_TRUE(dispatcher_->CancelJob(id).ok());
  EXPECT_TRUE(dispatcher_->CancelJob(id).ok());
  EXPECT_EQ(State(id), proto::CANCELLING);
}

TEST_F(DispatcherTest, CancelOfAJobWaitingForASlotIsImmediate) {
  const std::string id = Submit();
  ASSERT_TRUE(dispatcher_->CancelJob(id).ok());
  EXPECT_EQ(State(id), proto::CANCELED);
}

TEST_F(DispatcherTest, JobsBeyondMaxJobsAreRefusedUntilOneEnds) {
  Dispatcher::Options options;
  options.max_jobs = 2;
  Start(options);
  const std::string first = Submit();
  Submit();
  auto refused = dispatcher_->SubmitJob(kJob, {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(), HasSubstr("--max-jobs"));
  EXPECT_EQ(dispatcher_->ListJobs().size(), 2u);
  ASSERT_TRUE(dispatcher_->CancelJob(first).ok());
  ASSERT_EQ(State(first), proto::CANCELED);
  EXPECT_TRUE(dispatcher_->SubmitJob(kJob, {}).ok());
}

TEST_F(DispatcherTest, EndedJobsBeyondTheCapacityAreForgottenFirstEndedFirst) {
  Dispatcher::Options options;
  options.max_ended_jobs = 2;
  Start(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Submit());
  // Ended in the order 2, 0, 3; job 1 still waits for a slot.
  for (int i : {2, 0, 3}) {
    ASSERT_TRUE(dispatcher_->CancelJob(ids[i]).ok());
    absl::SleepFor(absl::Milliseconds(2));  // distinct end times
  }
  ASSERT_TRUE(Eventually([&] { return dispatcher_->ListJobs().size() == 3; }));
  EXPECT_EQ(dispatcher_->GetJobStatus(ids[2]).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(State(ids[0]), proto::CANCELED);
  EXPECT_EQ(State(ids[3]), proto::CANCELED);
  EXPECT_NE(State(ids[1]), proto::CANCELED);
}

TEST_F(DispatcherTest, AForgottenJobIsNotRecoveredAfterARestart) {
  test_support::ScratchDir scratch("dispatcher");
  Dispatcher::Options options;
  options.max_ended_jobs = 1;
  options.jobs_dir = (scratch.path() / "jobs").string();
  Start(options);
  const std::string first = Submit(), second = Submit();
  ASSERT_TRUE(dispatcher_->CancelJob(first).ok());
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_TRUE(dispatcher_->CancelJob(second).ok());
  ASSERT_TRUE(Eventually([&] { return dispatcher_->ListJobs().size() == 1; }));
  Start(options);
  auto jobs = dispatcher_->ListJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id(), second);
  dispatcher_->Stop();  // before its directory goes
}

TEST_F(DispatcherTest, CancelOfAnUnknownJobIsNotFound) {
  EXPECT_EQ(dispatcher_->CancelJob("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(dispatcher_->GetJobStatus("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DispatcherTest, CancelOfAnEndedJobIsFailedPrecondition) {
  const std::string id = Submit();
  ASSERT_TRUE(dispatcher_->CancelJob(id).ok());
  ASSERT_EQ(State(id), proto::CANCELED);
  EXPECT_EQ(dispatcher_->CancelJob(id).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(DispatcherTest, TaskFailingWhileCancellingStillEndsCanceled) {
  const std::string id = Submit();
  Register("tm-1");
  proto::TaskId task = RunningJob(id);
  ASSERT_TRUE(dispatcher_->CancelJob(id).ok());
  Report("tm-1", task, proto::TASK_FAILED, MakeFailure(proto::INTERNAL, true, "flush failed"));
  EXPECT_TRUE(ReachesState(id, proto::CANCELED));
}

TEST_F(DispatcherTest, ClosedHeartbeatStreamFailsTheJobNamingTheTaskManager) {
  const std::string id = Submit();
  Register("tm-1");
  RunningJob(id);
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-1");
  heartbeat.set_jobmanager_epoch(kEpoch);
  int64_t session = 0;
  ASSERT_TRUE(dispatcher_->OnHeartbeat(heartbeat, &session));
  dispatcher_->OnHeartbeatStreamClosed("tm-1", session);
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("TaskManager tm-1 (tm-1:6124) lost"));
  EXPECT_FALSE(IsRegistered("tm-1"));
}

TEST_F(DispatcherTest, ClosedStreamOfAnOlderSessionIsIgnored) {
  Register("tm-1");
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-1");
  heartbeat.set_jobmanager_epoch(kEpoch);
  int64_t session = 0;
  ASSERT_TRUE(dispatcher_->OnHeartbeat(heartbeat, &session));
  dispatcher_->OnHeartbeatStreamClosed("tm-1", session + 1000);
  EXPECT_TRUE(IsRegistered("tm-1"));
}

TEST_F(DispatcherTest, HeartbeatOfAnotherSessionIsRefused) {
  Register("tm-1");
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-1");
  heartbeat.set_jobmanager_epoch(kEpoch);
  int64_t session = 0;
  ASSERT_TRUE(dispatcher_->OnHeartbeat(heartbeat, &session));
  int64_t other = session + 1;
  EXPECT_FALSE(dispatcher_->OnHeartbeat(heartbeat, &other));
}

TEST_F(DispatcherTest, HeartbeatWithAStaleEpochIsRefused) {
  Register("tm-1");
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-1");
  heartbeat.set_jobmanager_epoch(kEpoch - 1);
  int64_t session = 0;
  EXPECT_FALSE(dispatcher_->OnHeartbeat(heartbeat, &session));
}

TEST_F(DispatcherTest, HeartbeatFromAnUnknownTaskManagerIsRefused) {
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-unknown");
  heartbeat.set_jobmanager_epoch(kEpoch);
  int64_t session = 0;
  EXPECT_FALSE(dispatcher_->OnHeartbeat(heartbeat, &session));
}

TEST_F(DispatcherTest, TaskUpdateWithAStaleEpochIsIgnored) {
  const std::string id = Submit();
  Register("tm-1");
  auto deploy = WaitForDeploy();
  proto::TaskStateUpdate update;
  update.set_taskmanager_id("tm-1");
  update.set_jobmanager_epoch(kEpoch + 1);
  *update.mutable_status()->mutable_task() = deploy.deploy.task();
  update.mutable_status()->set_state(proto::TASK_RUNNING);
  dispatcher_->UpdateTaskState(update);
  EXPECT_EQ(State(id), proto::CREATED);
}

TEST_F(DispatcherTest, HeartbeatTimeoutLosesTheTaskManager) {
  Dispatcher::Options options;
  options.heartbeat_timeout = absl::Milliseconds(300);
  Start(options);
  const std::string id = Submit();
  Register("tm-1");  // and never a heartbeat
  WaitForDeploy();
  ASSERT_TRUE(Eventually([&] { return !IsRegistered("tm-1"); }));
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("TaskManager tm-1 (tm-1:6124) lost: no heartbeat for 300ms"));
}

TEST_F(DispatcherTest, HeartbeatRefreshesTheLastHeartbeatTime) {
  Register("tm-1");
  const int64_t registered = dispatcher_->ListTaskManagers()[0].last_heartbeat_ms();
  absl::SleepFor(absl::Milliseconds(20));
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-1");
  heartbeat.set_jobmanager_epoch(kEpoch);
  int64_t session = 0;
  ASSERT_TRUE(dispatcher_->OnHeartbeat(heartbeat, &session));
  EXPECT_GT(dispatcher_->ListTaskManagers()[0].last_heartbeat_ms(), registered);
}

TEST_F(DispatcherTest, NoFreeSlotWithinSlotTimeoutFailsTheJob) {
  const std::string id = Submit({{"slot-timeout", "500ms"}});
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("no free slot within slot-timeout 500ms"));
  EXPECT_THAT(Failure(id), HasSubstr("0 TaskManagers registered"));
}

TEST_F(DispatcherTest, JobWaitsForAFreeSlot) {
  Register("tm-1", 1);
  const std::string first = Submit();
  RunningJob(first);
  const std::string second = Submit();
  absl::SleepFor(absl::Milliseconds(250));  // a few scheduling rounds of the timer thread
  EXPECT_EQ(fakes_->deploys().size(), 1u);
  EXPECT_EQ(State(second), proto::CREATED);
  ASSERT_TRUE(dispatcher_->CancelJob(first).ok());
  Report("tm-1", fakes_->deploys()[0].deploy.task(), proto::TASK_CANCELED);
  EXPECT_EQ(WaitForDeploy(2).deploy.task().job_id(), second);
}

TEST_F(DispatcherTest, ReportOfATaskNoLongerWantedCancelsIt) {
  Register("tm-1");
  proto::TaskId stray;
  stray.set_job_id("not-a-job");
  stray.set_attempt(1);
  Report("tm-1", stray, proto::TASK_RUNNING);
  ASSERT_TRUE(Eventually([&] { return !fakes_->cancels().empty(); }));
  EXPECT_EQ(fakes_->cancels()[0].cancel.task().job_id(), "not-a-job");
  EXPECT_EQ(fakes_->cancels()[0].cancel.jobmanager_epoch(), kEpoch);
}

TEST_F(DispatcherTest, ParallelJobDeploysEverySubtaskAsOneAttempt) {
  Register("tm-1", 3);
  const std::string id = SubmitParallel();
  auto deploys = DeploysBySubtask(0, 3);
  for (int subtask = 0; subtask < 3; ++subtask) {
    const proto::DeployTaskRequest& deploy = deploys.at(subtask).deploy;
    EXPECT_EQ(deploy.task().job_id(), id);
    EXPECT_EQ(deploy.task().attempt(), 1);
    EXPECT_THAT(deploy.chain(), ::testing::ElementsAre(0, 1, 2));
    EXPECT_EQ(ParseJobSpec(deploy.job_spec_json())->parallelism, 3);
  }
  EXPECT_EQ(FreeSlots("tm-1"), 0);
  Report("tm-1", deploys.at(0).deploy.task(), proto::TASK_RUNNING);
  Report("tm-1", deploys.at(1).deploy.task(), proto::TASK_RUNNING);
  EXPECT_EQ(State(id), proto::CREATED);  // until every subtask runs
  Report("tm-1", deploys.at(2).deploy.task(), proto::TASK_RUNNING);
  EXPECT_TRUE(ReachesState(id, proto::RUNNING));
}

TEST_F(DispatcherTest, SubtasksAreSpreadEvenlyOverTaskManagersAndShownInTheStatus) {
  Register("tm-1", 2);
  Register("tm-2", 2);
  Register("tm-3", 2);
  const std::string id = SubmitParallel();
  auto deploys = DeploysBySubtask(0, 3);
  std::set<std::string> used;
  for (const auto& [subtask, call] : deploys) used.insert(TaskManagerOf(call));
  EXPECT_EQ(used, (std::set<std::string>{"tm-1", "tm-2", "tm-3"}));
  for (const char* tm : {"tm-1", "tm-2", "tm-3"}) EXPECT_EQ(FreeSlots(tm), 1) << tm;
  auto status = dispatcher_->GetJobStatus(id);
  ASSERT_EQ(status->operators_size(), 3);
  for (const auto& op : status->operators()) {
    ASSERT_EQ(op.subtasks_size(), 3);
    for (const auto& sub : op.subtasks()) {
      EXPECT_EQ(sub.taskmanager_id(), TaskManagerOf(deploys.at(sub.subtask())));
    }
  }
}

TEST_F(DispatcherTest, SubtasksGoWhereMostSlotsAreFree) {
  Register("tm-small", 1);
  Register("tm-big", 3);
  SubmitParallel();
  std::map<std::string, int> per_tm;
  for (const auto& [subtask, call] : DeploysBySubtask(0, 3)) per_tm[TaskManagerOf(call)]++;
  // 3 free vs 1: the first two go to tm-big; then both have one free, and the third goes to
  // tm-small, which has none of the job's subtasks yet.
  EXPECT_EQ(per_tm["tm-big"], 2);
  EXPECT_EQ(per_tm["tm-small"], 1);
}

TEST_F(DispatcherTest, ParallelJobWaitsForASlotPerSubtask) {
  Register("tm-1", 2);
  const std::string id = SubmitParallel();
  absl::SleepFor(absl::Milliseconds(250));  // a few scheduling rounds of the timer thread
  EXPECT_TRUE(fakes_->deploys().empty());   // never a part of the job
  EXPECT_EQ(FreeSlots("tm-1"), 2);
  Register("tm-2", 1);
  DeploysBySubtask(0, 3);
  EXPECT_EQ(State(id), proto::CREATED);
}

TEST_F(DispatcherTest, TooFewSlotsWithinSlotTimeoutFailsTheParallelJob) {
  Register("tm-1", 2);
  const std::string id = SubmitParallel({{"slot-timeout", "300ms"}});
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("not 3 free slots (one a subtask) within slot-timeout 300ms"));
  EXPECT_THAT(Failure(id), HasSubstr("1 TaskManagers registered, 2 slots free"));
  EXPECT_TRUE(fakes_->deploys().empty());
}

TEST_F(DispatcherTest, FailureOfOneSubtaskRestartsEverySubtask) {
  Register("tm-1", 2);
  Register("tm-2", 2);
  const std::string id = SubmitParallel(
      {{"restart-strategy", "fixed-delay"}, {"restart-attempts", "2"}, {"restart-delay", "10ms"}});
  auto first = DeploysBySubtask(0, 3);
  ReportAll(first, proto::TASK_RUNNING);
  ASSERT_TRUE(ReachesState(id, proto::RUNNING));
  Report(TaskManagerOf(first.at(1)), first.at(1).deploy.task(), proto::TASK_FAILED,
         MakeFailure(proto::EXTERNAL, true, "broker unreachable"));
  ASSERT_TRUE(ReachesState(id, proto::RESTARTING));
  // The other two are cancelled, each on its own TaskManager.
  ASSERT_TRUE(Eventually([&] { return fakes_->cancels().size() >= 2; }));
  std::set<int> cancelled;
  for (const auto& call : fakes_->cancels()) {
    EXPECT_EQ(call.cancel.task().attempt(), 1);
    EXPECT_EQ(call.address, first.at(call.cancel.task().subtask()).address);
    cancelled.insert(call.cancel.task().subtask());
  }
  EXPECT_EQ(cancelled, (std::set<int>{0, 2}));
  // No new attempt while an old subtask still runs.
  Report(TaskManagerOf(first.at(0)), first.at(0).deploy.task(), proto::TASK_CANCELED);
  absl::SleepFor(absl::Milliseconds(150));
  EXPECT_EQ(fakes_->deploys().size(), 3u);
  Report(TaskManagerOf(first.at(2)), first.at(2).deploy.task(), proto::TASK_CANCELED);
  auto second = DeploysBySubtask(3, 3);
  for (const auto& [subtask, call] : second) EXPECT_EQ(call.deploy.task().attempt(), 2);
  EXPECT_EQ(dispatcher_->GetJobStatus(id)->restarts(), 1);
  EXPECT_THAT(Failure(id), HasSubstr("parallel#1 failed: broker unreachable"));
  ReportAll(second, proto::TASK_RUNNING);
  EXPECT_TRUE(ReachesState(id, proto::RUNNING));
}

TEST_F(DispatcherTest, LostTaskManagerRestartsEverySubtask) {
  Register("tm-1", 1);
  Register("tm-2", 1);
  Register("tm-3", 1);
  const std::string id = SubmitParallel(
      {{"restart-strategy", "fixed-delay"}, {"restart-attempts", "2"}, {"restart-delay", "10ms"}});
  auto first = DeploysBySubtask(0, 3);
  ReportAll(first, proto::TASK_RUNNING);
  ASSERT_TRUE(ReachesState(id, proto::RUNNING));
  proto::Heartbeat heartbeat;
  heartbeat.set_taskmanager_id("tm-2");
  heartbeat.set_jobmanager_epoch(kEpoch);
  int64_t session = 0;
  ASSERT_TRUE(dispatcher_->OnHeartbeat(heartbeat, &session));
  dispatcher_->OnHeartbeatStreamClosed("tm-2", session);
  ASSERT_TRUE(ReachesState(id, proto::RESTARTING));
  EXPECT_THAT(Failure(id), HasSubstr("TaskManager tm-2 (tm-2:6124) lost"));
  ASSERT_TRUE(Eventually([&] { return fakes_->cancels().size() >= 2; }));
  for (const auto& [subtask, call] : first) {
    if (TaskManagerOf(call) != "tm-2")
      Report(TaskManagerOf(call), call.deploy.task(), proto::TASK_CANCELED);
  }
  // Two TaskManagers with one slot each are left: the job waits for a third.
  absl::SleepFor(absl::Milliseconds(250));
  EXPECT_EQ(fakes_->deploys().size(), 3u);
  Register("tm-4", 1);
  auto second = DeploysBySubtask(3, 3);
  std::set<std::string> used;
  for (const auto& [subtask, call] : second) {
    EXPECT_EQ(call.deploy.task().attempt(), 2);
    used.insert(TaskManagerOf(call));
  }
  EXPECT_EQ(used, (std::set<std::string>{"tm-1", "tm-3", "tm-4"}));
}

// Regression: a failed deploy of one subtask marked every subtask of the attempt failed and freed
// their slots, so the subtasks deployed elsewhere were never cancelled.
TEST_F(DispatcherTest, FailedDeployOfOneSubtaskCancelsTheOthers) {
  Register("tm-1", 1);
  Register("tm-2", 1);
  Register("tm-3", 1);
  fakes_->SetDeployResult(absl::UnavailableError("connection refused"), "tm-2:6124");
  const std::string id = SubmitParallel();
  auto deploys = DeploysBySubtask(0, 3);
  ASSERT_TRUE(ReachesState(id, proto::FAILED));
  EXPECT_THAT(Failure(id), HasSubstr("to TaskManager tm-2 failed: connection refused"));
  ASSERT_TRUE(Eventually([&] { return fakes_->cancels().size() == 2; }));
  std::set<std::string> cancelled_on;
  for (const auto& call : fakes_->cancels()) cancelled_on.insert(call.address);
  EXPECT_EQ(cancelled_on, (std::set<std::string>{"tm-1:6124", "tm-3:6124"}));
  EXPECT_EQ(FreeSlots("tm-2"), 1);
  EXPECT_EQ(FreeSlots("tm-1"), 0);  // until its subtask confirms
  for (const auto& [subtask, call] : deploys) {
    if (TaskManagerOf(call) != "tm-2")
      Report(TaskManagerOf(call), call.deploy.task(), proto::TASK_CANCELED);
  }
  EXPECT_TRUE(Eventually([&] { return FreeSlots("tm-1") == 1 && FreeSlots("tm-3") == 1; }));
}

TEST_F(DispatcherTest, CancelCancelsEverySubtaskAndEndsWhenAllConfirm) {
  Register("tm-1", 3);
  const std::string id = SubmitParallel();
  auto deploys = DeploysBySubtask(0, 3);
  ReportAll(deploys, proto::TASK_RUNNING);
  ASSERT_TRUE(ReachesState(id, proto::RUNNING));
  ASSERT_TRUE(dispatcher_->CancelJob(id).ok());
  ASSERT_TRUE(Eventually([&] { return fakes_->cancels().size() == 3; }));
  Report("tm-1", deploys.at(0).deploy.task(), proto::TASK_CANCELED);
  Report("tm-1", deploys.at(1).deploy.task(), proto::TASK_CANCELED);
  EXPECT_EQ(State(id), proto::CANCELLING);
  Report("tm-1", deploys.at(2).deploy.task(), proto::TASK_CANCELED);
  EXPECT_TRUE(ReachesState(id, proto::CANCELED));
  EXPECT_EQ(FreeSlots("tm-1"), 3);
}

TEST_F(DispatcherTest, ParallelJobFinishesWhenEverySubtaskFinished) {
  Register("tm-1", 3);
  const std::string id = SubmitParallel();
  auto deploys = DeploysBySubtask(0, 3);
  ReportAll(deploys, proto::TASK_RUNNING);
  ASSERT_TRUE(ReachesState(id, proto::RUNNING));
  Report("tm-1", deploys.at(0).deploy.task(), proto::TASK_FINISHED);
  Report("tm-1", deploys.at(2).deploy.task(), proto::TASK_FINISHED);
  EXPECT_EQ(State(id), proto::RUNNING);
  Report("tm-1", deploys.at(1).deploy.task(), proto::TASK_FINISHED);
  EXPECT_TRUE(ReachesState(id, proto::FINISHED));
}

TEST_F(DispatcherTest, SocketSourceRunsOnceAndFeedsTheParallelRestThroughAnExchange) {
  Register("tm-1");
  Register("tm-2");
  Submit({{"parallelism", "2"}, {"restart-strategy", "none"}});
  ASSERT_TRUE(Eventually([&] { return fakes_->deploys().size() == 3; }));
  std::map<std::pair<int, int>, proto::DeployTaskRequest> tasks;
  for (const auto& call : fakes_->deploys()) {
    tasks[{call.deploy.task().vertex(), call.deploy.task().subtask()}] = call.deploy;
  }
  ASSERT_EQ(tasks.size(), 3u);
  const proto::DeployTaskRequest& source = tasks[{0, 0}];
  EXPECT_EQ(source.input_parallelism(), 0);
  EXPECT_EQ(std::vector<int>(source.chain().begin(), source.chain().end()), std::vector<int>{0});
  EXPECT_EQ(source.output().partitioning(), proto::PARTITIONING_REBALANCE);
  // Slot k runs subtask k of every chain; the two slots are on different TaskManagers.
  ASSERT_EQ(source.output().consumer_addresses_size(), 2);
  EXPECT_EQ(source.output().consumer_addresses(0), "data-tm-1:6121");
  EXPECT_EQ(source.output().consumer_addresses(1), "data-tm-2:6121");
  for (int subtask = 0; subtask < 2; ++subtask) {
    const proto::DeployTaskRequest& rest = tasks[{1, subtask}];
    EXPECT_EQ(rest.input_parallelism(), 1);
    EXPECT_FALSE(rest.has_output());
    EXPECT_EQ(std::vector<int>(rest.chain().begin(), rest.chain().end()), (std::vector<int>{1, 2}));
  }
}

TEST_F(DispatcherTest, ParallelSocketSourceIsRefusedNamingTheField) {
  auto id = dispatcher_->SubmitJob(
      R"({"name": "events", "pipeline": [
        {"type": "socket-source", "hostname": "127.0.0.1", "port": 9999, "parallelism": 2},
        {"type": "discard-sink"}]})",
      {});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()),
              HasSubstr("job file: pipeline[0].parallelism: expected 1 for a socket-source"));
}

TEST_F(DispatcherTest, StopIsIdempotent) {
  Submit();
  dispatcher_->Stop();
  dispatcher_->Stop();
}

}  // namespace
}  // namespace ec
