#include "jobmanager/flink_rest.h"

#include <gtest/gtest.h>

#include "jobmanager/job.h"
#include "jobmanager/prometheus_metrics.h"
#include "runtime/prometheus_text.h"

namespace ec {
namespace {

// A job of two chains: [source] x1 -> [map -> sink] x2, as the JobManager reports it.
proto::JobStatus TwoChainJob(proto::JobState state) {
  proto::JobStatus job;
  job.set_id("0123456789abcdef0123456789abcdef");
  job.set_name("Data\"Consumer\"\nFlink");
  job.set_state(state);
  job.set_start_time_ms(1000);
  job.set_restarts(2);
  job.set_checkpoints_completed(7);
  job.mutable_latest_checkpoint()->set_duration_ms(35);
  job.mutable_latest_checkpoint()->set_size_bytes(123456789);
  auto add = [&](int vertex, const std::string& name, int parallelism, uint64_t records) {
    proto::OperatorStatus* op = job.add_operators();
    op->set_vertex(vertex);
    op->mutable_metrics()->set_name(name);
    for (int i = 0; i < parallelism; ++i) {
      proto::SubtaskInfo* sub = op->add_subtasks();
      sub->set_subtask(i);
      sub->set_taskmanager_id("tm-" + std::to_string(i));
      sub->set_state(i == 0 ? proto::TASK_RUNNING : proto::TASK_DEPLOYING);
      sub->mutable_metrics()->set_records_in(records);
      sub->mutable_metrics()->set_records_out(records);
      sub->mutable_metrics()->set_bytes_in(records * 10);
      sub->mutable_metrics()->set_bytes_out(records * 20);
      sub->set_running_ms(1000);
      sub->set_backpressured_ms(100);
      sub->set_idle_ms(300);
    }
  };
  add(0, "socket-source", 1, 5000);
  add(1, "event-map", 2, 2500);
  add(1, "kafka-sink", 2, 2500);
  job.set_max_parallelism(128);
  job.set_attempt(3);
  proto::VertexInfo* source = job.add_vertices();
  source->set_id(0);
  source->set_name("socket-source");
  source->set_parallelism(1);
  proto::VertexInfo* chain = job.add_vertices();
  chain->set_id(1);
  chain->set_name("event-map -> kafka-sink");
  chain->set_parallelism(2);
  chain->set_input(proto::PARTITIONING_REBALANCE);
  return job;
}

TEST(FlinkRestTest, JobsOverviewCountsEachChainsSubtasksOnceByState) {
  nlohmann::json o = FlinkJobOverview(TwoChainJob(proto::RUNNING), 6000);
  EXPECT_EQ(o["jid"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(o["state"], "RUNNING");
  EXPECT_EQ(o["start-time"], 1000);
  EXPECT_EQ(o["end-time"], -1);  // Flink's "still running"
  EXPECT_EQ(o["duration"], 5000);
  EXPECT_EQ(o["tasks"]["total"], 3);  // 1 source subtask + 2 of the map->sink chain, not 5
  EXPECT_EQ(o["tasks"]["running"], 2);
  EXPECT_EQ(o["tasks"]["deploying"], 1);
  EXPECT_EQ(o["tasks"]["failed"], 0);
}

TEST(FlinkRestTest, AnEndedJobHasItsEndTimeAndFixedDuration) {
  proto::JobStatus job = TwoChainJob(proto::CANCELED);
  job.set_end_time_ms(4000);
  nlohmann::json o = FlinkJobOverview(job, 999999);
  EXPECT_EQ(o["state"], "CANCELED");
  EXPECT_EQ(o["end-time"], 4000);
  EXPECT_EQ(o["duration"], 3000);
}

TEST(FlinkRestTest, OverviewCountsSlotsAndJobsByState) {
  std::vector<proto::TaskManagerInfo> tms(2);
  tms[0].set_slots(2);
  tms[0].set_free_slots(1);
  tms[1].set_slots(4);
  tms[1].set_free_slots(4);
  std::vector<proto::JobStatus> jobs = {TwoChainJob(proto::RUNNING), TwoChainJob(proto::FAILED),
                                        TwoChainJob(proto::CANCELED),
                                        TwoChainJob(proto::RESTARTING)};
  nlohmann::json o = FlinkOverview(jobs, tms);
  EXPECT_EQ(o["taskmanagers"], 2);
  EXPECT_EQ(o["slots-total"], 6);
  EXPECT_EQ(o["slots-available"], 5);
  EXPECT_EQ(o["jobs-running"], 2);
  EXPECT_EQ(o["jobs-failed"], 1);
  EXPECT_EQ(o["jobs-cancelled"], 1);
  EXPECT_EQ(o["jobs-finished"], 0);
  EXPECT_TRUE(o.contains("eventcluster-version"));
}

TEST(FlinkRestTest, TaskManagersUseFlinksFieldNames) {
  std::vector<proto::TaskManagerInfo> tms(1);
  tms[0].set_id("tm-a");
  tms[0].set_address("10.0.0.5:6124");
  tms[0].set_data_address("10.0.0.5:41000");
  tms[0].set_slots(2);
  tms[0].set_free_slots(1);
  tms[0].set_last_heartbeat_ms(1234);
  nlohmann::json t = FlinkTaskManagers(tms)["taskmanagers"][0];
  EXPECT_EQ(t["id"], "tm-a");
  EXPECT_EQ(t["path"], "10.0.0.5:6124");
  EXPECT_EQ(t["dataPort"], 41000);
  EXPECT_EQ(t["slotsNumber"], 2);
  EXPECT_EQ(t["freeSlots"], 1);
  EXPECT_EQ(t["timeSinceLastHeartbeat"], 1234);
}

proto::CheckpointStats Checkpoint(int64_t id, const std::string& status, int64_t duration_ms,
                                  bool savepoint = false) {
  proto::CheckpointStats c;
  c.set_id(id);
  c.set_status(status);
  c.set_savepoint(savepoint);
  c.set_trigger_time_ms(1000 * id);
  c.set_end_time_ms(1000 * id + duration_ms);
  c.set_duration_ms(duration_ms);
  c.set_size_bytes(100 * id);
  c.set_subtasks(3);
  c.set_acknowledged(status == "COMPLETED" ? 3 : 1);
  if (status == "FAILED") c.set_failure("declined by subtask 1: all 3 transactional ids busy");
  return c;
}

TEST(FlinkRestTest, CheckpointsKeepTheLatestTenAndSummariseTheCompleted) {
  Job job;
  for (int64_t id = 1; id <= 12; ++id) {
    const std::string status = id == 11 ? "FAILED" : "COMPLETED";
    RecordCheckpoint(job, Checkpoint(id, status, /*duration_ms=*/10 * id, id == 9));
    if (status == "COMPLETED") ++job.checkpoints_completed;
    else ++job.checkpoints_failed;
  }
  Job::PendingCheckpoint pending;
  pending.id = 13;
  job.pending_checkpoint = std::move(pending);
  const nlohmann::json out = FlinkCheckpoints(ToStatus(job));
  EXPECT_EQ(out["counts"]["completed"], 11);
  EXPECT_EQ(out["counts"]["failed"], 1);
  EXPECT_EQ(out["counts"]["in_progress"], 1);
  EXPECT_EQ(out["counts"]["total"], 13);
  ASSERT_EQ(out["history"].size(), 11u) << "the one in progress and the latest ten";
  EXPECT_EQ(out["history"][0]["status"], "IN_PROGRESS");
  EXPECT_EQ(out["history"][1]["id"], 12);
  EXPECT_EQ(out["history"][1]["className"], ".CompletedCheckpointStatistics");
  EXPECT_EQ(out["history"][10]["id"], 3);
  EXPECT_EQ(out["latest"]["completed"]["id"], 12);
  EXPECT_EQ(out["latest"]["savepoint"]["id"], 9);
  EXPECT_EQ(out["latest"]["savepoint"]["checkpoint_type"], "SAVEPOINT");
  EXPECT_EQ(out["latest"]["failed"]["id"], 11);
  EXPECT_EQ(out["latest"]["failed"]["failure_message"],
            "declined by subtask 1: all 3 transactional ids busy");
  EXPECT_TRUE(out["latest"]["restored"].is_null());
  // The 11 completed took 10, 20, ... 100 and 120 ms.
  const nlohmann::json& duration = out["summary"]["end_to_end_duration"];
  EXPECT_EQ(duration["min"], 10);
  EXPECT_EQ(duration["max"], 120);
  EXPECT_EQ(duration["avg"], (550 + 120) / 11);
  EXPECT_EQ(duration["p50"], 60.0);
  EXPECT_EQ(duration["p99"], 120.0);
  EXPECT_EQ(out["summary"]["state_size"]["max"], 1200);
}

TEST(FlinkRestTest, PercentilesTakeTheNearestRank) {
  std::vector<int64_t> values;
  for (int64_t v = 1000; v >= 1; --v) values.push_back(v);
  const proto::Percentiles p = PercentilesOf(values);
  EXPECT_EQ(p.min(), 1);
  EXPECT_EQ(p.max(), 1000);
  EXPECT_EQ(p.p50(), 500);
  EXPECT_EQ(p.p90(), 900);
  EXPECT_EQ(p.p999(), 999);
  EXPECT_EQ(PercentilesOf({}).max(), 0);
}

TEST(FlinkRestTest, ExceptionsAreFlinksHistoryNewestFirstAndBounded) {
  Job job;
  for (int i = 0; i < 20; ++i) {
    proto::JobException e;
    e.set_time_ms(1000 + i);
    e.set_cause("task event-map#1 failed: boom " + std::to_string(i));
    e.set_task("event-map#1");
    e.set_taskmanager("tm-2");
    e.set_endpoint("127.0.0.1:6122");
    RecordException(job, e);
  }
  const nlohmann::json out = FlinkExceptions(ToStatus(job));
  const nlohmann::json& entries = out["exceptionHistory"]["entries"];
  ASSERT_EQ(entries.size(), 16u);
  EXPECT_EQ(entries[0]["timestamp"], 1019);
  EXPECT_EQ(entries[0]["stacktrace"], "task event-map#1 failed: boom 19");
  EXPECT_EQ(entries[0]["taskName"], "event-map#1");
  EXPECT_EQ(entries[0]["taskManagerId"], "tm-2");
  EXPECT_EQ(entries[0]["endpoint"], "127.0.0.1:6122");
  EXPECT_EQ(out["exceptionHistory"]["truncated"], false);
}

TEST(FlinkRestTest, JobDetailsHaveVerticesWithNetworkIoAndThePlanWithShipStrategies) {
  const nlohmann::json d = FlinkJobDetails(TwoChainJob(proto::RUNNING), 6000);
  EXPECT_EQ(d["job-type"], "STREAMING");
  EXPECT_EQ(d["maxParallelism"], 128);
  ASSERT_EQ(d["vertices"].size(), 2u);
  const nlohmann::json& source = d["vertices"][0];
  const nlohmann::json& chain = d["vertices"][1];
  EXPECT_EQ(source["id"], FlinkVertexId(0));
  EXPECT_EQ(VertexOfFlinkId(chain["id"]), 1);
  EXPECT_EQ(chain["name"], "event-map -> kafka-sink");
  EXPECT_EQ(chain["parallelism"], 2);
  EXPECT_EQ(chain["status"], "RUNNING") << "one running, one deploying";
  EXPECT_EQ(chain["tasks"]["RUNNING"], 1);
  EXPECT_EQ(chain["tasks"]["DEPLOYING"], 1);
  // As Flink counts: a source reads nothing from the network, a sink writes nothing to it.
  EXPECT_EQ(source["metrics"]["read-records"], 0);
  EXPECT_EQ(source["metrics"]["write-records"], 5000);
  EXPECT_EQ(source["metrics"]["write-bytes"], 100000);
  EXPECT_EQ(chain["metrics"]["read-records"], 5000);
  EXPECT_EQ(chain["metrics"]["write-records"], 0);
  EXPECT_EQ(chain["metrics"]["read-records-complete"], true);
  EXPECT_EQ(d["status-counts"]["RUNNING"], 2);
  const nlohmann::json& nodes = d["plan"]["nodes"];
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_FALSE(nodes[0].contains("inputs"));
  EXPECT_EQ(nodes[1]["inputs"][0]["id"], FlinkVertexId(0));
  EXPECT_EQ(nodes[1]["inputs"][0]["ship_strategy"], "REBALANCE");
}

TEST(FlinkRestTest, VertexDetailsListSubtasksWithTheirTaskManagersAddress) {
  proto::TaskManagerInfo tm;
  tm.set_id("tm-1");
  tm.set_address("10.0.0.7:6122");
  auto d = FlinkVertexDetails(TwoChainJob(proto::RUNNING), 1, {tm}, 6000);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ((*d)["subtasks"].size(), 2u);
  EXPECT_EQ((*d)["subtasks"][1]["taskmanager-id"], "tm-1");
  EXPECT_EQ((*d)["subtasks"][1]["endpoint"], "10.0.0.7:6122");
  EXPECT_EQ((*d)["subtasks"][1]["attempt"], 3);
  EXPECT_EQ((*d)["subtasks"][0]["metrics"]["read-records"], 2500);
  EXPECT_EQ(FlinkVertexDetails(TwoChainJob(proto::RUNNING), 2, {}, 6000).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(VertexOfFlinkId("zz"), -1);
}

TEST(FlinkRestTest, BackPressureLevelsFollowFlinksThresholds) {
  proto::JobStatus job = TwoChainJob(proto::RUNNING);
  // Subtask time split: running 1000 ms; back-pressured 100 (ok), then 300 (low), then 600.
  auto b = FlinkBackPressure(job, 1, 6000);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)["backpressureLevel"], "ok");
  EXPECT_DOUBLE_EQ((*b)["subtasks"][0]["ratio"], 0.1);
  EXPECT_DOUBLE_EQ((*b)["subtasks"][0]["idleRatio"], 0.3);
  EXPECT_DOUBLE_EQ((*b)["subtasks"][0]["busyRatio"], 0.6);
  job.mutable_operators(1)->mutable_subtasks(1)->set_backpressured_ms(300);
  job.mutable_operators(1)->mutable_subtasks(1)->set_idle_ms(0);
  EXPECT_EQ((*FlinkBackPressure(job, 1, 6000))["backpressureLevel"], "low");
  job.mutable_operators(1)->mutable_subtasks(1)->set_backpressured_ms(600);
  EXPECT_EQ((*FlinkBackPressure(job, 1, 6000))["backpressureLevel"], "high");
  EXPECT_EQ((*FlinkBackPressure(job, 1, 6000))["subtasks"][0]["backpressureLevel"], "ok");
}

TEST(FlinkRestTest, JobConfigShowsParametersWithSecretsMasked) {
  Job job;
  job.id = "0123456789abcdef0123456789abcdef";
  job.spec.name = "j";
  job.spec.parallelism = 3;
  job.spec.parameters = {{"kafka-sasl-username", "alice"},
                         {"kafka-sasl-password", "alice-secret"},
                         {"my-api-token", "t0k"},
                         {"empty-password", ""}};
  const nlohmann::json config = FlinkJobConfig(ToStatus(job));
  const nlohmann::json& user = config["execution-config"]["user-config"];
  EXPECT_EQ(user["kafka-sasl-username"], "alice");
  EXPECT_EQ(user["kafka-sasl-password"], "******");
  EXPECT_EQ(user["my-api-token"], "******");
  EXPECT_EQ(user["empty-password"], "") << "an empty one is shown as not set";
  EXPECT_EQ(config["execution-config"]["job-parallelism"], 3);
  EXPECT_EQ(FlinkCheckpointConfig(ToStatus(job)).status().code(), absl::StatusCode::kNotFound)
      << "Flink's answer for a job without checkpoints";
  job.spec.checkpoint_interval = absl::Milliseconds(300);
  job.spec.tolerable_failed_checkpoints = 2;
  auto checkpoints = FlinkCheckpointConfig(ToStatus(job));
  ASSERT_TRUE(checkpoints.ok());
  EXPECT_EQ((*checkpoints)["interval"], 300);
  EXPECT_EQ((*checkpoints)["mode"], "exactly_once");
  EXPECT_EQ((*checkpoints)["tolerable_failed_checkpoints"], 2);
}

TEST(FlinkRestTest, ErrorsAreAListUnderErrors) {
  EXPECT_EQ(FlinkErrors("no such job").dump(), R"({"errors":["no such job"]})");
}

TEST(PrometheusMetricsTest, FlinkNamesLabelsAndExactIntegers) {
  std::vector<proto::TaskManagerInfo> tms(1);
  tms[0].set_slots(2);
  tms[0].set_free_slots(0);
  const std::string text = PrometheusMetrics({TwoChainJob(proto::RUNNING)}, tms, 6000, "flink");
  EXPECT_NE(text.find("# TYPE flink_jobmanager_numRegisteredTaskManagers gauge\n"
                      "flink_jobmanager_numRegisteredTaskManagers 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("flink_jobmanager_taskSlotsTotal 2\n"), std::string::npos);
  EXPECT_NE(text.find("flink_jobmanager_numRunningJobs 1\n"), std::string::npos);
  // Label values escaped (quote, newline); large values written whole, not as 1.23457e+08.
  const std::string job_labels =
      R"({job_id="0123456789abcdef0123456789abcdef",job_name="Data\"Consumer\"\nFlink"})";
  EXPECT_NE(text.find("flink_jobmanager_job_lastCheckpointSize" + job_labels + " 123456789\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("flink_jobmanager_job_numRestarts" + job_labels + " 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("flink_jobmanager_job_uptime" + job_labels + " 5000\n"), std::string::npos);
  // This process's CPU and memory; the tasks' metrics are the TaskManagers' to serve (each
  // record counted once over all scrape targets).
  EXPECT_NE(text.find("\nflink_jobmanager_Status_Memory_RSS "), std::string::npos) << text;
  EXPECT_NE(text.find("\nflink_jobmanager_Status_CPU_Time "), std::string::npos) << text;
  EXPECT_EQ(text.find("taskmanager_job_task"), std::string::npos) << text;
  EXPECT_NE(text.find("eventcluster_build_info{version="), std::string::npos) << text;
}

TEST(PrometheusMetricsTest, PrefixIsTheUsers) {
  const std::string text = PrometheusMetrics({TwoChainJob(proto::RUNNING)}, {}, 6000,
                                             kDefaultMetricsPrefix);
  EXPECT_NE(text.find("\neventcluster_jobmanager_numRunningJobs 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("flink_"), std::string::npos) << text;
  EXPECT_EQ(CheckMetricsPrefix("flink"), "");
  EXPECT_EQ(CheckMetricsPrefix("my_cluster2"), "");
  EXPECT_NE(CheckMetricsPrefix("2fast"), "");
  EXPECT_NE(CheckMetricsPrefix("with-dash"), "");
  EXPECT_NE(CheckMetricsPrefix(""), "");
}

}  // namespace
}  // namespace ec
