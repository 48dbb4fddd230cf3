// Scheduler alone, over a real TaskManagerRegistry with hand-written fake gateways and hooks:
// all-or-nothing deploys, slots spread over TaskManagers, what each deploy carries, the slot
// timeout, failed deploys, rescaling and the reactive mode.
#include "jobmanager/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "operators/registry.h"
#include "tests/jobmanager/recording_gateway.h"

namespace ec {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kEpoch = 9;
const absl::Time kNow = absl::FromUnixSeconds(1'000'000);

constexpr char kParallelJob[] = R"({"name": "parallel", "parallelism": 3, "pipeline": [
  {"type": "kafka-source", "topic": "in", "kafka-bootstrap-servers": "127.0.0.1:9092"},
  {"type": "json-parse", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

// Two chains: the source at parallelism 1, then a rebalance to the rest at the job's.
constexpr char kTwoChainJob[] = R"({"name": "two", "parallelism": 2, "pipeline": [
  {"type": "socket-source", "hostname": "127.0.0.1", "port": 9999, "parallelism": 1},
  {"type": "json-parse", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

using test_support::RecordingGateway;

class SchedulerTest : public ::testing::Test {
 protected:
  struct Failure {
    std::string job_id;
    bool retryable;
    std::string reason;
  };
  struct DeployFailure {
    proto::TaskId task;
    std::string taskmanager_id;
    absl::Status status;
  };

  std::unique_ptr<Scheduler> NewScheduler(bool reactive = false) {
    Scheduler::Hooks hooks;
    hooks.enqueue = [this](std::function<void()> call) { queued_.push_back(std::move(call)); };
    hooks.deploy_failed = [this](const proto::TaskId& task, const std::string& tm,
                                 const absl::Status& status) {
      deploy_failures_.push_back({task, tm, status});
    };
    hooks.fail_job = [this](Job& job, bool retryable, const std::string& reason) {
      failures_.push_back({job.id, retryable, reason});
    };
    hooks.trigger_checkpoint = [this](Job& job, bool stop) {
      triggered_.push_back({job.id, stop});
      ++job.next_checkpoint_id;
    };
    hooks.checkpoint_dir = [](const std::string& job_id) { return "/ckpt/" + job_id; };
    hooks.persist = [this](const Job& job) { persisted_.push_back(job.spec.parallelism); };
    return std::make_unique<Scheduler>(Scheduler::Options{kEpoch, reactive}, registry_,
                                       std::move(hooks));
  }

  std::shared_ptr<RecordingGateway> AddTaskManager(const std::string& id, int slots) {
    auto gateway = std::make_shared<RecordingGateway>();
    proto::RegisterTaskManagerRequest request;
    request.set_taskmanager_id(id);
    request.set_rpc_address(id + ":1");
    request.set_data_address(id + ":data");
    request.set_slots(slots);
    registry_.Register(request, gateway, kNow);
    gateways_[id] = gateway;
    return gateway;
  }

  static Job MakeJob(const char* json, std::map<std::string, std::string> parameters = {}) {
    Job job;
    auto spec = ParseJobSpec(json, parameters);
    EXPECT_TRUE(spec.ok()) << spec.status();
    auto graph = BuildJobGraph(*spec, TraitsOf);
    EXPECT_TRUE(graph.ok()) << graph.status();
    job.id = "job-1";
    job.spec = *spec;
    job.graph = *graph;
    job.spec_json = job.spec.ToJson().dump();
    job.submitted = kNow;
    return job;
  }

  // Makes the queued TaskManager calls, as the Dispatcher's worker would.
  void RunQueued() {
    auto calls = std::move(queued_);
    queued_.clear();
    for (auto& call : calls) call();
  }

  std::vector<proto::DeployTaskRequest> AllDeploys() const {
    std::vector<proto::DeployTaskRequest> all;
    for (const auto& [id, gateway] : gateways_) {
      all.insert(all.end(), gateway->deploys.begin(), gateway->deploys.end());
    }
    return all;
  }

  TaskManagerRegistry registry_;
  std::map<std::string, std::shared_ptr<RecordingGateway>> gateways_;
  std::vector<std::function<void()>> queued_;
  std::vector<Failure> failures_;
  std::vector<DeployFailure> deploy_failures_;
  std::vector<std::pair<std::string, bool>> triggered_;
  std::vector<int> persisted_;
};

TEST_F(SchedulerTest, DeploysNothingUntilEverySubtaskHasASlot) {
  auto scheduler = NewScheduler();
  Job job = MakeJob(kParallelJob);
  AddTaskManager("tm-1", 2);
  EXPECT_FALSE(scheduler->TryDeploy(job));
  EXPECT_TRUE(queued_.empty());
  EXPECT_EQ(job.attempt, 0);
  EXPECT_EQ(registry_.FreeSlots(), 2);

  AddTaskManager("tm-2", 1);
  ASSERT_TRUE(scheduler->TryDeploy(job));
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(job.executions.size(), 3u);
  EXPECT_EQ(registry_.FreeSlots(), 0);
  EXPECT_EQ(queued_.size(), 3u);
  EXPECT_TRUE(AllDeploys().empty());  // nothing is called until the queue runs
  RunQueued();
  std::vector<proto::DeployTaskRequest> deploys = AllDeploys();
  ASSERT_EQ(deploys.size(), 3u);
  for (const auto& d : deploys) {
    EXPECT_EQ(d.jobmanager_epoch(), kEpoch);
    EXPECT_EQ(d.task().attempt(), 1);
    EXPECT_EQ(d.parallelism(), 3);
    EXPECT_EQ(d.checkpoint_dir(), "/ckpt/job-1");
    EXPECT_EQ(d.restore_state_size(), 0);
  }
}

TEST_F(SchedulerTest, SpreadsSlotsEvenlyOverTaskManagers) {
  auto scheduler = NewScheduler();
  Job job = MakeJob(kParallelJob, {{"parallelism", "4"}});
  AddTaskManager("tm-1", 4);
  AddTaskManager("tm-2", 4);
  ASSERT_TRUE(scheduler->TryDeploy(job));
  RunQueued();
  EXPECT_EQ(gateways_["tm-1"]->deploys.size(), 2u);
  EXPECT_EQ(gateways_["tm-2"]->deploys.size(), 2u);
  EXPECT_EQ(registry_.Find("tm-1")->used_slots, 2);
  EXPECT_EQ(registry_.Find("tm-2")->used_slots, 2);
}

TEST_F(SchedulerTest, OnlyTheWidestChainHoldsSlotsAndOutputsNameConsumers) {
  auto scheduler = NewScheduler();
  Job job = MakeJob(kTwoChainJob);
  ASSERT_EQ(job.graph.vertices.size(), 2u);
  AddTaskManager("tm-1", 1);
  AddTaskManager("tm-2", 1);
  ASSERT_TRUE(scheduler->TryDeploy(job));
  ASSERT_EQ(job.executions.size(), 3u);  // 1 source + 2 downstream
  int holding = 0;
  for (const Execution& e : job.executions) {
    holding += e.holds_slot;
    EXPECT_EQ(e.holds_slot, e.id.vertex() == 1);
  }
  EXPECT_EQ(holding, 2);
  RunQueued();
  for (const auto& d : AllDeploys()) {
    if (d.task().vertex() != 0) {
      EXPECT_EQ(d.input_parallelism(), 1);
      continue;
    }
    ASSERT_EQ(d.output().consumer_addresses_size(), 2);
    EXPECT_EQ(d.output().consumer_addresses(0), "tm-1:data");
    EXPECT_EQ(d.output().consumer_addresses(1), "tm-2:data");
  }
}

TEST_F(SchedulerTest, RestoresEachSubtaskFromTheLatestCheckpoint) {
  auto scheduler = NewScheduler();
  Job job = MakeJob(kParallelJob, {{"parallelism", "2"}});
  job.latest_checkpoint.set_id(4);
  job.latest_state.parallelism = 2;
  job.latest_state.base_dir = "/ckpt/job-1";
  const std::string source = job.spec.pipeline[0].name;
  job.latest_state.state[source + "#0"] = "zero";
  job.latest_state.state[source + "#1"] = "one";
  AddTaskManager("tm-1", 2);
  ASSERT_TRUE(scheduler->TryDeploy(job));
  RunQueued();
  for (const auto& d : AllDeploys()) {
    EXPECT_EQ(d.restore_checkpoint_id(), 4);
    EXPECT_EQ(d.restore_dir(), "/ckpt/job-1");
    const std::string own = absl::StrCat(source, "#", d.task().subtask());
    ASSERT_EQ(d.restore_state_size(), 1) << own;
    EXPECT_EQ(d.restore_state().at(own), d.task().subtask() == 0 ? "zero" : "one");
  }
}

TEST_F(SchedulerTest, JobWaitingPastItsSlotTimeoutFailsNotRetryable) {
  auto scheduler = NewScheduler();
  std::map<std::string, Job> jobs;
  jobs["job-1"] = MakeJob(kParallelJob, {{"slot-timeout", "10s"}});
  AddTaskManager("tm-1", 1);
  scheduler->ScheduleJobs(jobs, kNow + absl::Seconds(5));
  EXPECT_TRUE(failures_.empty());
  scheduler->ScheduleJobs(jobs, kNow + absl::Seconds(11));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_FALSE(failures_[0].retryable);
  EXPECT_THAT(failures_[0].reason,
              HasSubstr("not 3 free slots (one a subtask) within slot-timeout 10s "
                        "(1 TaskManagers registered, 1 slots free)"));
}

TEST_F(SchedulerTest, ScheduleJobsSkipsJobsNotCreatedOrAlreadyDeployed) {
  auto scheduler = NewScheduler();
  AddTaskManager("tm-1", 8);
  std::map<std::string, Job> jobs;
  jobs["a"] = MakeJob(kParallelJob);
  jobs["a"].state = proto::RUNNING;
  jobs["b"] = MakeJob(kParallelJob);
  jobs["b"].executions.resize(3);
  jobs["c"] = MakeJob(kParallelJob);
  scheduler->ScheduleJobs(jobs, kNow);
  EXPECT_EQ(jobs["a"].attempt, 0);
  EXPECT_EQ(jobs["b"].attempt, 0);
  EXPECT_EQ(jobs["c"].attempt, 1);
  EXPECT_EQ(registry_.FreeSlots(), 5);
}

TEST_F(SchedulerTest, FailedDeployIsReportedWithItsTaskAndTaskManager) {
  auto scheduler = NewScheduler();
  Job job = MakeJob(kParallelJob, {{"parallelism", "1"}});
  AddTaskManager("tm-1", 1)->deploy_result = absl::UnavailableError("refused");
  ASSERT_TRUE(scheduler->TryDeploy(job));
  RunQueued();
  ASSERT_EQ(deploy_failures_.size(), 1u);
  EXPECT_EQ(deploy_failures_[0].taskmanager_id, "tm-1");
  EXPECT_EQ(deploy_failures_[0].task.subtask(), 0);
  EXPECT_EQ(deploy_failures_[0].status.message(), "refused");
}

TEST_F(SchedulerTest, RescaleIsRefusedOutOfRangeOrWhenNotRunning) {
  auto scheduler = NewScheduler();
  Job job = MakeJob(kParallelJob, {{"max-parallelism", "8"}});
  EXPECT_EQ(scheduler->StartRescale(job, 2).status().code(), absl::StatusCode::kFailedPrecondition);
  job.state = proto::RUNNING;
  EXPECT_EQ(scheduler->StartRescale(job, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler->StartRescale(job, 9).status().code(), absl::StatusCode::kInvalidArgument);
  job.pending_checkpoint.emplace();
  EXPECT_EQ(scheduler->StartRescale(job, 2).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(triggered_.empty());
}

TEST_F(SchedulerTest, RescaleStopsAfterACheckpointThenTakesTheNewParallelism) {
  auto scheduler = NewScheduler();
  Job job = MakeJob(kParallelJob);
  job.state = proto::RUNNING;
  job.next_checkpoint_id = 5;
  auto checkpoint = scheduler->StartRescale(job, 2);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(*checkpoint, 5);
  ASSERT_EQ(triggered_.size(), 1u);
  EXPECT_TRUE(triggered_[0].second);  // a stopping checkpoint
  EXPECT_EQ(job.rescale_to, 2);
  EXPECT_EQ(scheduler->StartRescale(job, 2).status().code(),
            absl::StatusCode::kFailedPrecondition);  // already rescaling

  scheduler->OnCheckpointComplete(job, 4);  // not the rescale's checkpoint
  EXPECT_EQ(job.spec.parallelism, 3);
  scheduler->OnCheckpointComplete(job, 5);
  EXPECT_EQ(job.spec.parallelism, 2);
  EXPECT_EQ(job.graph.max_vertex_parallelism(), 2);
  EXPECT_EQ(job.rescale_to, 0);
  EXPECT_TRUE(job.rescaling);
  EXPECT_EQ(persisted_, std::vector<int>{2});
  EXPECT_THAT(job.spec_json, HasSubstr("\"parallelism\":2"));
}

TEST_F(SchedulerTest, ReactiveModeDeploysAtTheParallelismTheFreeSlotsAllow) {
  auto scheduler = NewScheduler(/*reactive=*/true);
  Job job = MakeJob(kParallelJob, {{"max-parallelism", "4"}});
  EXPECT_FALSE(scheduler->TryDeploy(job));  // no slot at all
  AddTaskManager("tm-1", 2);
  ASSERT_TRUE(scheduler->TryDeploy(job));
  EXPECT_EQ(job.spec.parallelism, 2);
  EXPECT_EQ(job.executions.size(), 2u);
  EXPECT_EQ(persisted_, std::vector<int>{2});
}

TEST_F(SchedulerTest, ReactiveModeGrowsRunningJobsIntoFreeSlots) {
  auto scheduler = NewScheduler(/*reactive=*/true);
  std::map<std::string, Job> jobs;
  jobs["job-1"] = MakeJob(kParallelJob, {{"parallelism", "1"}, {"max-parallelism", "3"}});
  jobs["job-1"].state = proto::RUNNING;
  scheduler->GrowReactiveJobs(jobs);  // no free slot
  EXPECT_TRUE(triggered_.empty());
  AddTaskManager("tm-1", 5);
  scheduler->GrowReactiveJobs(jobs);
  ASSERT_EQ(triggered_.size(), 1u);
  EXPECT_EQ(jobs["job-1"].rescale_to, 3);  // capped at the max parallelism
  scheduler->GrowReactiveJobs(jobs);       // already rescaling
  EXPECT_EQ(triggered_.size(), 1u);
}

}  // namespace
}  // namespace ec
