// The dispatcher's checkpoint coordination with a fake TaskManager: periodic triggers, acks,
// declines, timeouts, retention, restore on restart, savepoints and job recovery after a
// JobManager restart; for parallel jobs, completion after every subtask's ack, state kept and
// restored per subtask, and savepoints restored at another parallelism.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "jobmanager/dispatcher.h"
#include "tests/eventually.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kEpoch = 7;
constexpr char kJob[] = R"({"name": "events", "pipeline": [
  {"name": "source", "type": "socket-source", "hostname": "127.0.0.1", "port": 9999},
  {"type": "json-parse", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

// Three subtasks; the sink keeps no state, so the state per subtask is the source's.
constexpr char kParallelJob[] = R"({"name": "parallel", "parallelism": 3, "pipeline": [
  {"name": "source", "type": "kafka-source", "topic": "in",
   "kafka-bootstrap-servers": "127.0.0.1:9092"},
  {"type": "json-parse", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

// Records what the dispatcher asks of TaskManagers.
class Recorder {
 public:
  void Deploy(const proto::DeployTaskRequest& r) {
    absl::MutexLock lock(&mu_);
    deploys_.push_back(r);
  }
  void Trigger(const proto::TriggerCheckpointRequest& r) {
    absl::MutexLock lock(&mu_);
    triggers_.push_back(r);
  }
  void Notify(const proto::CheckpointCompleteRequest& r) {
    absl::MutexLock lock(&mu_);
    notifies_.push_back(r);
  }
  std::vector<proto::DeployTaskRequest> deploys() const {
    absl::MutexLock lock(&mu_);
    return deploys_;
  }
  std::vector<proto::TriggerCheckpointRequest> triggers() const {
    absl::MutexLock lock(&mu_);
    return triggers_;
  }
  std::vector<proto::CheckpointCompleteRequest> notifies() const {
    absl::MutexLock lock(&mu_);
    return notifies_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<proto::DeployTaskRequest> deploys_ ABSL_GUARDED_BY(mu_);
  std::vector<proto::TriggerCheckpointRequest> triggers_ ABSL_GUARDED_BY(mu_);
  std::vector<proto::CheckpointCompleteRequest> notifies_ ABSL_GUARDED_BY(mu_);
};

class RecordingGateway : public TaskManagerGateway {
 public:
  explicit RecordingGateway(std::shared_ptr<Recorder> recorder) : recorder_(std::move(recorder)) {}
  absl::Status DeployTask(const proto::DeployTaskRequest& r) override {
    recorder_->Deploy(r);
    return absl::OkStatus();
  }
  absl::Status CancelTask(const proto::CancelTaskRequest&) override { return absl::OkStatus(); }
  absl::Status TriggerCheckpoint(const proto::TriggerCheckpointRequest& r) override {
    recorder_->Trigger(r);
    return absl::OkStatus();
  }
  absl::Status NotifyCheckpointComplete(const proto::CheckpointCompleteRequest& r) override {
    recorder_->Notify(r);
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<Recorder> recorder_;
};

using test_support::Eventually;

class CheckpointCoordinationTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { dispatcher_->Stop(); }

  void Start(absl::Duration checkpoint_timeout = absl::Seconds(30)) {
    if (dispatcher_) dispatcher_->Stop();
    Dispatcher::Options options;
    options.epoch = kEpoch;
    options.heartbeat_timeout = absl::Minutes(5);
    options.checkpoint_dir = (dir_ / "checkpoints").string();
    options.savepoint_dirs = {(dir_ / "sp").string()};
    options.jobs_dir = (dir_ / "jobs").string();
    options.checkpoint_timeout = checkpoint_timeout;
    recorder_ = std::make_shared<Recorder>();
    dispatcher_ = std::make_unique<Dispatcher>(options, [r = recorder_](const std::string&) {
      return std::make_unique<RecordingGateway>(r);
    });
    dispatcher_->Start();
  }

  // Submits, registers a TaskManager and reports the task RUNNING; returns the task id.
  proto::TaskId RunningJob(std::string* job_id, const std::string& interval = "50ms",
                           std::map<std::string, std::string> parameters = {}) {
    parameters.emplace("checkpoint-interval", interval);
    parameters.emplace("restart-delay", "10ms");
    auto id = dispatcher_->SubmitJob(kJob, parameters);
    EXPECT_TRUE(id.ok()) << id.status();
    *job_id = *id;
    proto::RegisterTaskManagerRequest tm;
    tm.set_taskmanager_id("tm-1");
    tm.set_rpc_address("fake:1");
    tm.set_slots(2);
    dispatcher_->RegisterTaskManager(tm);
    EXPECT_TRUE(Eventually([&] { return !recorder_->deploys().empty(); }));
    proto::TaskId task = recorder_->deploys().back().task();
    ReportState(task, proto::TASK_RUNNING);
    return task;
  }

  void ReportState(const proto::TaskId& task, proto::TaskState state) {
    proto::TaskStateUpdate update;
    update.set_taskmanager_id("tm-1");
    update.set_jobmanager_epoch(kEpoch);
    *update.mutable_status()->mutable_task() = task;
    update.mutable_status()->set_state(state);
    if (state == proto::TASK_FAILED) {
      update.mutable_status()->mutable_failure()->set_retryable(true);
      update.mutable_status()->mutable_failure()->set_message("boom");
    }
    dispatcher_->UpdateTaskState(update);
  }

  // Acknowledges with the source's state `seq` (under the task's own subtask), and with keyed
  // state and a state file when `keyed` is set.
  void Ack(const proto::TaskId& task, int64_t id, const std::string& seq,
           const std::string& decline = "", const std::string& keyed = "") {
    proto::CheckpointAck ack;
    ack.set_taskmanager_id("tm-1");
    ack.set_jobmanager_epoch(kEpoch);
    *ack.mutable_task() = task;
    ack.set_checkpoint_id(id);
    if (decline.empty()) {
      (*ack.mutable_state())[absl::StrCat("source#", task.subtask())] = seq;
      if (!keyed.empty()) {
        (*ack.mutable_state())[absl::StrCat("@keyed-state/source#", task.subtask())] = keyed;
        ack.add_state_files(absl::StrCat("shared/", keyed, ".sst"));
      }
    } else {
      ack.set_decline_reason(decline);
    }
    dispatcher_->AcknowledgeCheckpoint(ack);
  }

  // Submits the three-subtask job (from `savepoint`, if given), registers `taskmanager` with
  // three slots and reports every subtask RUNNING (through tm-1, as ReportState does); returns
  // the tasks by subtask.
  std::vector<proto::TaskId> RunningParallelJob(std::string* job_id,
                                                const std::string& interval = "50ms",
                                                const std::string& savepoint = "",
                                                const std::string& taskmanager = "tm-1") {
    std::map<std::string, std::string> parameters = {{"checkpoint-interval", interval},
                                                     {"restart-delay", "10ms"}};
    auto id = dispatcher_->SubmitJob(kParallelJob, parameters, savepoint);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return {};
    *job_id = *id;
    const size_t before = recorder_->deploys().size();
    proto::RegisterTaskManagerRequest tm;
    tm.set_taskmanager_id(taskmanager);
    tm.set_rpc_address("fake:1");
    tm.set_slots(3);
    dispatcher_->RegisterTaskManager(tm);
    return RunningSubtasks(before);
  }

  // The three deploys from the `from`-th on (0-based), reported RUNNING; tasks by subtask.
  std::vector<proto::TaskId> RunningSubtasks(size_t from) {
    EXPECT_TRUE(Eventually([&] { return recorder_->deploys().size() >= from + 3; }));
    const auto deploys = recorder_->deploys();
    std::vector<proto::TaskId> tasks(3);
    for (size_t i = from; i < from + 3 && i < deploys.size(); ++i) {
      tasks.at(deploys[i].task().subtask()) = deploys[i].task();
    }
    for (const auto& task : tasks) ReportState(task, proto::TASK_RUNNING);
    return tasks;
  }

  // The restore state of the deploy of `subtask` among the three from the `from`-th on.
  std::map<std::string, std::string> RestoreOf(size_t from, int subtask) {
    const auto deploys = recorder_->deploys();
    for (size_t i = from; i < from + 3 && i < deploys.size(); ++i) {
      const proto::DeployTaskRequest& deploy = deploys[i];
      if (deploy.task().subtask() == subtask) {
        return {deploy.restore_state().begin(), deploy.restore_state().end()};
      }
    }
    ADD_FAILURE() << "no deploy of subtask " << subtask;
    return {};
  }

  proto::JobStatus Status(const std::string& job_id) { return *dispatcher_->GetJobStatus(job_id); }

  int64_t WaitForTrigger(size_t n) {
    EXPECT_TRUE(Eventually([&] { return recorder_->triggers().size() >= n; }));
    return recorder_->triggers().at(n - 1).checkpoint_id();
  }

  test_support::ScratchDir scratch_{"ckpt-coord"};
  const fs::path dir_ = scratch_.path();
  std::shared_ptr<Recorder> recorder_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(CheckpointCoordinationTest, RunningJobIsCheckpointedPeriodicallyWithIncreasingIds) {
  std::string job;
  proto::TaskId task = RunningJob(&job);
  const int64_t first = WaitForTrigger(1);
  EXPECT_EQ(recorder_->triggers()[0].jobmanager_epoch(), kEpoch);
  Ack(task, first, "100");
  EXPECT_GT(WaitForTrigger(2), first);
}

TEST_F(CheckpointCoordinationTest, AckOfEveryTaskCompletesDurablyAndNotifies) {
  std::string job;
  proto::TaskId task = RunningJob(&job);
  const int64_t id = WaitForTrigger(1);
  Ack(task, id, "123");
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == 1; }));
  const auto latest = Status(job).latest_checkpoint();
  EXPECT_EQ(latest.id(), id);
  EXPECT_GT(latest.size_bytes(), 0);
  EXPECT_TRUE(fs::exists(fs::path(latest.path()) / "_metadata"));
  EXPECT_TRUE(Eventually([&] { return !recorder_->notifies().empty(); }));
  EXPECT_EQ(recorder_->notifies()[0].checkpoint_id(), id);
}

TEST_F(CheckpointCoordinationTest, DeclineAbortsThePendingCheckpoint) {
  std::string job;
  proto::TaskId task = RunningJob(&job);
  const int64_t id = WaitForTrigger(1);
  Ack(task, id, "", "sink flush timed out");
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_failed() == 1; }));
  EXPECT_EQ(Status(job).checkpoints_completed(), 0);
  EXPECT_GT(WaitForTrigger(2), id);  // the next one is triggered anyway
}

TEST_F(CheckpointCoordinationTest, CheckpointNotAcknowledgedInTimeExpires) {
  Start(/*checkpoint_timeout=*/absl::Milliseconds(100));
  std::string job;
  RunningJob(&job);
  WaitForTrigger(1);
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_failed() >= 1; }));
  EXPECT_EQ(Status(job).checkpoints_completed(), 0);
}

TEST_F(CheckpointCoordinationTest, AckForAnotherCheckpointOrAttemptIsIgnored) {
  std::string job;
  proto::TaskId task = RunningJob(&job);
  const int64_t id = WaitForTrigger(1);
  Ack(task, id + 5, "1");
  proto::TaskId old = task;
  old.set_attempt(task.attempt() + 9);
  Ack(old, id, "1");
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(Status(job).checkpoints_completed(), 0);
}

TEST_F(CheckpointCoordinationTest, OnlyTheLastThreeCheckpointsAreKept) {
  std::string job;
  proto::TaskId task = RunningJob(&job, "10ms");
  for (size_t n = 1; n <= 6; ++n) {
    const int64_t id = WaitForTrigger(n);
    Ack(task, id, std::to_string(n));
    ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == int64_t(n); }));
  }
  size_t kept = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "checkpoints" / job)) kept += e.is_directory();
  EXPECT_EQ(kept, 3u);
}

TEST_F(CheckpointCoordinationTest, RestartRestoresTheLatestCompletedState) {
  std::string job;
  proto::TaskId task = RunningJob(&job);
  Ack(task, WaitForTrigger(1), "4242");
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == 1; }));
  ReportState(task, proto::TASK_FAILED);
  ASSERT_TRUE(Eventually([&] { return recorder_->deploys().size() == 2; }));
  const auto redeploy = recorder_->deploys()[1];
  EXPECT_EQ(redeploy.restore_state().at("source#0"), "4242");
  EXPECT_GT(redeploy.restore_checkpoint_id(), 0);
  // State files are relative to the job's checkpoint directory, where tasks also write them.
  EXPECT_EQ(redeploy.checkpoint_dir(), (dir_ / "checkpoints" / job).string());
  EXPECT_EQ(redeploy.restore_dir(), redeploy.checkpoint_dir());
}

TEST_F(CheckpointCoordinationTest, FailedCheckpointsBeyondTheTolerableNumberFailTheJobOver) {
  std::string job;
  proto::TaskId task = RunningJob(&job, "50ms", {{"tolerable-failed-checkpoints", "1"}});
  Ack(task, WaitForTrigger(1), "", "first decline");
  Ack(task, WaitForTrigger(2), "1");  // a completed checkpoint resets the count
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == 1; }));
  Ack(task, WaitForTrigger(3), "", "second decline");
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_failed() == 2; }));
  EXPECT_EQ(Status(job).restarts(), 0);
  Ack(task, WaitForTrigger(4), "", "third decline");
  ASSERT_TRUE(Eventually([&] { return Status(job).restarts() == 1; }));
  EXPECT_NE(Status(job).failure().find("more than 1 consecutive checkpoints failed"),
            std::string::npos)
      << Status(job).failure();
  ReportState(task, proto::TASK_CANCELED);  // the failover cancelled the running task
  ASSERT_TRUE(Eventually([&] { return recorder_->deploys().size() == 2; }));
}

TEST_F(CheckpointCoordinationTest, StateFilesAreRecordedWithTheCheckpoint) {
  std::string job;
  proto::TaskId task = RunningJob(&job);
  const int64_t id = WaitForTrigger(1);
  fs::create_directories(dir_ / "checkpoints" / job / "shared");
  std::ofstream(dir_ / "checkpoints" / job / "shared" / "x.sst") << std::string(1000, 'x');
  proto::CheckpointAck ack;
  ack.set_taskmanager_id("tm-1");
  ack.set_jobmanager_epoch(kEpoch);
  *ack.mutable_task() = task;
  ack.set_checkpoint_id(id);
  (*ack.mutable_state())["@keyed-state/source#0"] = "handle";
  ack.add_state_files("shared/x.sst");
  dispatcher_->AcknowledgeCheckpoint(ack);
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == 1; }));
  EXPECT_GT(Status(job).latest_checkpoint().size_bytes(), 1000);  // the full size
  auto data = CheckpointStore::Read(Status(job).latest_checkpoint().path());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->files, std::set<std::string>{"shared/x.sst"});
  EXPECT_TRUE(fs::exists(dir_ / "checkpoints" / job / "shared" / "x.sst"));
}

TEST_F(CheckpointCoordinationTest, SavepointIsWrittenWhereAskedAndReported) {
  std::string job;
  proto::TaskId task = RunningJob(&job, "1h");  // no periodic checkpoint in the way
  auto result = std::async(std::launch::async, [&] {
    return dispatcher_->TriggerSavepoint(job, (dir_ / "sp").string(), /*stop=*/true);
  });
  const int64_t id = WaitForTrigger(1);
  EXPECT_TRUE(recorder_->triggers()[0].stop_after());
  Ack(task, id, "77");
  auto path = result.get();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_THAT(*path, HasSubstr((dir_ / "sp").string()));
  EXPECT_TRUE(fs::exists(fs::path(*path) / "_metadata"));
}

TEST_F(CheckpointCoordinationTest, RestartedJobManagerRecoversTheJobWithItsCheckpoint) {
  std::string job;
  proto::TaskId task = RunningJob(&job);
  Ack(task, WaitForTrigger(1), "999");
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == 1; }));
  Start();  // a new dispatcher over the same directories
  auto status = dispatcher_->GetJobStatus(job);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->state(), proto::CREATED);
  proto::RegisterTaskManagerRequest tm;
  tm.set_taskmanager_id("tm-1");
  tm.set_rpc_address("fake:1");
  tm.set_slots(2);
  dispatcher_->RegisterTaskManager(tm);
  ASSERT_TRUE(Eventually([&] { return !recorder_->deploys().empty(); }));
  EXPECT_EQ(recorder_->deploys()[0].restore_state().at("source#0"), "999");
}

TEST_F(CheckpointCoordinationTest,
       EverySubtaskIsTriggeredAndTheCheckpointCompletesAfterTheLastAck) {
  std::string job;
  std::vector<proto::TaskId> tasks = RunningParallelJob(&job);
  ASSERT_EQ(tasks.size(), 3u);
  const int64_t id = WaitForTrigger(1);
  ASSERT_TRUE(Eventually([&] { return recorder_->triggers().size() >= 3; }));
  std::set<int> triggered;
  for (const auto& t : recorder_->triggers()) {
    if (t.checkpoint_id() == id) triggered.insert(t.task().subtask());
  }
  EXPECT_EQ(triggered, (std::set<int>{0, 1, 2}));
  Ack(tasks[2], id, "offsets-2", "", "keyed-2");
  Ack(tasks[0], id, "offsets-0", "", "keyed-0");
  Ack(tasks[0], id, "offsets-0", "", "keyed-0");  // a repeated ack counts once
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(Status(job).checkpoints_completed(), 0);
  Ack(tasks[1], id, "offsets-1", "", "keyed-1");
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == 1; }));
  auto data = CheckpointStore::Read(Status(job).latest_checkpoint().path());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->parallelism, 3);
  EXPECT_EQ(data->max_parallelism, 128);
  EXPECT_EQ(data->state,
            (std::map<std::string, std::string>{{"source#0", "offsets-0"},
                                                {"source#1", "offsets-1"},
                                                {"source#2", "offsets-2"},
                                                {"@keyed-state/source#0", "keyed-0"},
                                                {"@keyed-state/source#1", "keyed-1"},
                                                {"@keyed-state/source#2", "keyed-2"}}));
  EXPECT_EQ(data->files, (std::set<std::string>{"shared/keyed-0.sst", "shared/keyed-1.sst",
                                                "shared/keyed-2.sst"}));
  ASSERT_TRUE(Eventually([&] { return recorder_->notifies().size() == 3; }));
  std::set<int> notified;
  for (const auto& n : recorder_->notifies()) notified.insert(n.task().subtask());
  EXPECT_EQ(notified, (std::set<int>{0, 1, 2}));
}

TEST_F(CheckpointCoordinationTest, DeclineOfOneSubtaskAbortsTheCheckpoint) {
  std::string job;
  std::vector<proto::TaskId> tasks = RunningParallelJob(&job);
  const int64_t id = WaitForTrigger(1);
  Ack(tasks[0], id, "offsets-0");
  Ack(tasks[1], id, "", "sink flush timed out");
  Ack(tasks[2], id, "offsets-2");
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_failed() == 1; }));
  EXPECT_EQ(Status(job).checkpoints_completed(), 0);
}

TEST_F(CheckpointCoordinationTest, AckCarryingAnotherSubtasksStateAbortsTheCheckpoint) {
  std::string job;
  std::vector<proto::TaskId> tasks = RunningParallelJob(&job);
  const int64_t id = WaitForTrigger(1);
  proto::CheckpointAck ack;
  ack.set_taskmanager_id("tm-1");
  ack.set_jobmanager_epoch(kEpoch);
  *ack.mutable_task() = tasks[1];
  ack.set_checkpoint_id(id);
  (*ack.mutable_state())["source#0"] = "not mine";
  dispatcher_->AcknowledgeCheckpoint(ack);
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_failed() == 1; }));
}

TEST_F(CheckpointCoordinationTest, FailureOfOneSubtaskRestoresEverySubtaskWithItsOwnState) {
  std::string job;
  std::vector<proto::TaskId> tasks = RunningParallelJob(&job);
  const int64_t id = WaitForTrigger(1);
  for (int i = 0; i < 3; ++i)
    Ack(tasks[i], id, absl::StrCat("offsets-", i), "", absl::StrCat("keyed-", i));
  ASSERT_TRUE(Eventually([&] { return Status(job).checkpoints_completed() == 1; }));
  ReportState(tasks[2], proto::TASK_FAILED);
  // The failover cancels the other two; they confirm, then all three are redeployed.
  ReportState(tasks[0], proto::TASK_CANCELED);
  ReportState(tasks[1], proto::TASK_CANCELED);
  std::vector<proto::TaskId> second = RunningSubtasks(3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(second[i].attempt(), tasks[i].attempt() + 1);
    EXPECT_EQ(RestoreOf(3, i),
              (std::map<std::string, std::string>{
                  {absl::StrCat("source#", i), absl::StrCat("offsets-", i)},
                  {absl::StrCat("@keyed-state/source#", i), absl::StrCat("keyed-", i)}}))
        << "subtask " << i;
  }
  EXPECT_EQ(recorder_->deploys()[3].restore_checkpoint_id(), id);
}

TEST_F(CheckpointCoordinationTest, SavepointAtAnotherParallelismGivesEverySubtaskAllOperatorState) {
  std::string job;
  proto::TaskId task = RunningJob(&job, "1h");
  auto result = std::async(std::launch::async, [&] {
    return dispatcher_->TriggerSavepoint(job, (dir_ / "sp").string(), /*stop=*/false);
  });
  Ack(task, WaitForTrigger(1), R"({"topic": "in", "offsets": {"0": 5, "1": 7, "2": 9}})");
  auto path = result.get();
  ASSERT_TRUE(path.ok()) << path.status();
  std::string parallel;
  RunningParallelJob(&parallel, "1h", *path, /*taskmanager=*/"tm-2");  // tm-1 still runs `job`
  const std::map<std::string, std::string> all = {
      {"source#0", R"({"topic": "in", "offsets": {"0": 5, "1": 7, "2": 9}})"}};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(RestoreOf(1, i), all) << "subtask " << i;
}

TEST_F(CheckpointCoordinationTest, SavepointWithStateTheJobLacksNeedsAllowNonRestoredState) {
  std::string job;
  proto::TaskId task = RunningJob(&job, "1h");
  auto result = std::async(std::launch::async, [&] {
    return dispatcher_->TriggerSavepoint(job, (dir_ / "sp").string(), /*stop=*/false);
  });
  Ack(task, WaitForTrigger(1), "offsets");
  auto path = result.get();
  ASSERT_TRUE(path.ok()) << path.status();
  std::string renamed = kJob;
  renamed.replace(renamed.find(R"("name": "source")"), 16, R"("name": "reader")");
  auto refused = dispatcher_->SubmitJob(renamed, {}, *path, /*allow_non_restored_state=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("holds state of source, which the job does not have"));
  auto allowed = dispatcher_->SubmitJob(renamed, {}, *path, /*allow_non_restored_state=*/true);
  EXPECT_TRUE(allowed.ok()) << allowed.status();
  auto same = dispatcher_->SubmitJob(kJob, {}, *path, /*allow_non_restored_state=*/false);
  EXPECT_TRUE(same.ok()) << same.status();
}

TEST_F(CheckpointCoordinationTest, KeyedStateAtAnotherParallelismGoesByKeyGroupRange) {
  std::string job;
  std::vector<proto::TaskId> tasks = RunningParallelJob(&job, "1h");
  auto result = std::async(std::launch::async, [&] {
    return dispatcher_->TriggerSavepoint(job, (dir_ / "sp").string(), /*stop=*/false);
  });
  const int64_t id = WaitForTrigger(1);
  fs::create_directories(dir_ / "checkpoints" / job / "shared");
  for (int i = 0; i < 3; ++i) {
    std::ofstream(dir_ / "checkpoints" / job / "shared" / absl::StrCat("keyed-", i, ".sst")) << i;
    Ack(tasks[i], id, "offsets", "", absl::StrCat("keyed-", i));
  }
  auto path = result.get();
  ASSERT_TRUE(path.ok()) << path.status();
  auto rescaled = dispatcher_->SubmitJob(kParallelJob, {{"parallelism", "2"}}, *path);
  ASSERT_TRUE(rescaled.ok()) << rescaled.status();
  const size_t before = recorder_->deploys().size();
  proto::RegisterTaskManagerRequest tm;  // tm-1 still runs `job`
  tm.set_taskmanager_id("tm-2");
  tm.set_rpc_address("fake:1");
  tm.set_slots(2);
  dispatcher_->RegisterTaskManager(tm);
  ASSERT_TRUE(Eventually([&] { return recorder_->deploys().size() >= before + 2; }));
  // Old key groups (of 128): #0 [0, 42], #1 [43, 85], #2 [86, 127]; new: [0, 63], [64, 127].
  const std::vector<std::vector<int>> old_subtasks = {{0, 1}, {1, 2}};
  const auto deploys = recorder_->deploys();
  for (size_t d = before; d < before + 2; ++d) {
    const proto::DeployTaskRequest& deploy = deploys[d];
    const int subtask = deploy.task().subtask();
    EXPECT_EQ(deploy.parallelism(), 2);
    std::map<std::string, std::string> expected = {
        {"source#0", "offsets"}, {"source#1", "offsets"}, {"source#2", "offsets"}};
    for (int old : old_subtasks.at(subtask)) {
      expected[absl::StrCat("@keyed-state/source#", old)] = absl::StrCat("keyed-", old);
    }
    const std::map<std::string, std::string> restore(deploy.restore_state().begin(),
                                                     deploy.restore_state().end());
    EXPECT_EQ(restore, expected) << "subtask " << subtask;
  }
  auto other_max = dispatcher_->SubmitJob(kParallelJob, {{"max-parallelism", "64"}}, *path);
  ASSERT_FALSE(other_max.ok());
  EXPECT_THAT(std::string(other_max.status().message()), HasSubstr("job file: max-parallelism:"));
  auto same = dispatcher_->SubmitJob(kParallelJob, {}, *path);
  EXPECT_TRUE(same.ok()) << same.status();
}

TEST_F(CheckpointCoordinationTest, RescaleStopsAfterACheckpointAndRedeploysFromIt) {
  std::string job;
  // No periodic checkpoints in the way: the rescale's is the first.
  std::vector<proto::TaskId> tasks = RunningParallelJob(&job, "1h");
  absl::Status rescaled;
  std::thread rescale([&] { rescaled = dispatcher_->RescaleJob(job, 2); });
  const int64_t id = WaitForTrigger(1);
  // Like stop-with-savepoint: the sources are told to stop after it.
  for (const auto& trigger : recorder_->triggers()) EXPECT_TRUE(trigger.stop_after());
  for (int i = 0; i < 3; ++i) Ack(tasks[i], id, absl::StrCat("offsets-", i));
  rescale.join();
  EXPECT_TRUE(rescaled.ok()) << rescaled;
  for (int i = 0; i < 3; ++i) ReportState(tasks[i], proto::TASK_FINISHED);
  // Redeployed at parallelism 2 from that checkpoint, not counted as a restart.
  ASSERT_TRUE(Eventually([&] { return recorder_->deploys().size() == 5; }));
  const auto deploys = recorder_->deploys();
  std::set<int> subtasks;
  for (size_t i = 3; i < 5; ++i) {
    EXPECT_EQ(deploys[i].task().attempt(), tasks[0].attempt() + 1);
    EXPECT_EQ(deploys[i].restore_checkpoint_id(), id);
    subtasks.insert(deploys[i].task().subtask());
    // Every old subtask's offsets (union), since the parallelism changed.
    EXPECT_EQ(deploys[i].restore_state_size(), 3);
  }
  EXPECT_EQ(subtasks, (std::set<int>{0, 1}));
  EXPECT_EQ(Status(job).restarts(), 0);
  EXPECT_FALSE(dispatcher_->RescaleJob(job, 0).ok());
}

}  // namespace
}  // namespace ec
