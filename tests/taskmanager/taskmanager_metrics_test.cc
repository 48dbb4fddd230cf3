// A TaskManager's Prometheus exposition: Flink's task and operator scopes with their labels,
// rates of busy/idle/back-pressured time, watermarks and operator gauges; the metrics port
// (ranges, tokens) over a real loopback HTTP server.
#include "taskmanager/taskmanager_metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "taskmanager/metrics_server.h"

namespace ec {
namespace {

// A running task of a socket-source -> kafka-sink chain, subtask 1.
TaskMetricsSnapshot ChainTask(int64_t running_ms, int64_t idle_ms, int64_t backpressured_ms) {
  TaskMetricsSnapshot task;
  task.job_name = "Data\"Consumer\"";
  auto& s = task.status;
  s.mutable_task()->set_job_id("0123456789abcdef0123456789abcdef");
  s.mutable_task()->set_vertex(0);
  s.mutable_task()->set_subtask(1);
  s.set_running_ms(running_ms);
  s.set_idle_ms(idle_ms);
  s.set_backpressured_ms(backpressured_ms);
  auto* source = s.add_operators();
  source->set_name("socket-source");
  source->set_records_out(1000);
  source->set_bytes_in(123456789012);
  auto* sink = s.add_operators();
  sink->set_name("kafka-sink");
  sink->set_records_in(1000);
  sink->set_records_out(990);
  sink->set_bytes_out(5000);
  task.operators.resize(2);
  task.operators[1].watermark = 1700000000000;
  task.operators[1].gauges.push_back({"recordsInFlight", "records in flight", {}, 10});
  task.operators[0].gauges.push_back(
      {"KafkaSourceReader_topic_partition_lag", "lag", {{"topic", "in"}, {"partition", "3"}}, 42});
  return task;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(TaskManagerMetricsTest, FlinkScopesAndLabels) {
  TaskManagerMetrics metrics("flink", "tm-1");
  const std::string text = metrics.Render({ChainTask(10000, 2000, 3000)}, 4, 3, 50000);
  const std::string task =
      R"(job_id="0123456789abcdef0123456789abcdef",job_name="Data\"Consumer\"",)"
      R"(task_name="socket-source -> kafka-sink")";
  const std::string sink = task + R"(,operator_name="kafka-sink",subtask_index="1",tm_id="tm-1")";
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_operator_numRecordsOut{" + sink + "} 990"))
      << text;
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_operator_currentOutputWatermark{" + sink +
                            "} 1700000000000"))
      << text;
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_operator_recordsInFlight{" + sink + "} 10"));
  // A gauge's own labels follow the operator's.
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_lag{" +
                            task +
                            R"(,operator_name="socket-source",subtask_index="1",tm_id="tm-1",)"
                            R"(topic="in",partition="3"} 42)"))
      << text;
  // Task scope: bytes in at the head, out at the tail, written whole; busy = running - bp - idle.
  const std::string task_labels = task + R"(,subtask_index="1",tm_id="tm-1")";
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_numBytesIn{" + task_labels + "} 123456789012"));
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_numBytesOut{" + task_labels + "} 5000"));
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_accumulatedBusyTime{" + task_labels + "} 5000"));
  // The first rates are since the task started.
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_busyTimeMsPerSecond{" + task_labels + "} 500"))
      << text;
  EXPECT_TRUE(Has(text, "flink_taskmanager_job_task_idleTimeMsPerSecond{" + task_labels + "} 200"));
  // No watermark yet: no sample, rather than Long.MIN_VALUE.
  EXPECT_EQ(text.find("currentOutputWatermark{" + task + R"(,operator_name="socket-source")"),
            std::string::npos);
  EXPECT_TRUE(Has(text, R"(flink_taskmanager_Status_TaskSlots_Free{tm_id="tm-1"} 3)"));
  EXPECT_NE(text.find("\nflink_taskmanager_Status_Memory_RSS{tm_id=\"tm-1\"} "),
            std::string::npos);
  // One TYPE line per family.
  const std::string type = "# TYPE flink_taskmanager_job_task_operator_numRecordsIn gauge";
  EXPECT_EQ(text.find(type), text.rfind(type));
}

TEST(TaskManagerMetricsTest, RatesAreOverTheLastSecondOrMore) {
  TaskManagerMetrics metrics("eventcluster", "tm-1");
  metrics.Render({ChainTask(10000, 2000, 3000)}, 1, 0, 50000);
  // 2 s later: 2000 ms more running, all of it back-pressured.
  std::string text = metrics.Render({ChainTask(12000, 2000, 5000)}, 1, 0, 52000);
  EXPECT_NE(text.find("backPressuredTimeMsPerSecond{"), std::string::npos);
  EXPECT_NE(text.find("subtask_index=\"1\",tm_id=\"tm-1\"} 1000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("busyTimeMsPerSecond{job_id=\"0123456789abcdef0123456789abcdef\","
                      "job_name=\"Data\\\"Consumer\\\"\",task_name=\"socket-source -> "
                      "kafka-sink\",subtask_index=\"1\",tm_id=\"tm-1\"} 0\n"),
            std::string::npos)
      << text;
  // A scrape within the second repeats the last rates instead of dividing by almost nothing.
  std::string again = metrics.Render({ChainTask(12100, 2100, 5000)}, 1, 0, 52100);
  EXPECT_NE(again.find("subtask_index=\"1\",tm_id=\"tm-1\"} 1000\n"), std::string::npos) << again;
}

TEST(MetricsPortTest, PortsAndRanges) {
  auto one = ParsePortRange("9249");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->first, 9249);
  EXPECT_EQ(one->last, 9249);
  auto range = ParsePortRange("9249-9259");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->last, 9259);
  EXPECT_TRUE(ParsePortRange("0").ok());
  for (const char* bad : {"", "x", "9259-9249", "1-2-3", "70000", "0-10", "-5"}) {
    auto parsed = ParsePortRange(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("--metrics-port"), std::string::npos);
    }
  }
}

TEST(MetricsPortTest, ServesViewersOnlyAndTakesTheNextFreePortOfARange) {
  const auto dir = std::filesystem::path(testing::TempDir()) / "metrics_server_test";
  std::filesystem::create_directories(dir);
  const auto token_file = dir / "tokens";
  std::ofstream(token_file) << "prometheus viewer s3cret-viewer-token\n";
  auto tokens = UserTokens::Load(token_file.string());
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  MetricsServer first([] { return std::string("eventcluster_up 1\n"); }, tokens->get(), {});
  ASSERT_TRUE(first.Start("127.0.0.1", {0, 0}).ok());
  const int port = first.port();
  ASSERT_GT(port, 0);

  httplib::Client client("127.0.0.1", port);
  auto anonymous = client.Get("/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto wrong = client.Get("/metrics", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto viewer = client.Get("/metrics", {{"Authorization", "Bearer s3cret-viewer-token"}});
  ASSERT_TRUE(viewer);
  EXPECT_EQ(viewer->status, 200);
  EXPECT_EQ(viewer->body, "eventcluster_up 1\n");

  // The first port of the range is taken: the next one is used; a range all taken is refused.
  MetricsServer second([] { return std::string(); }, nullptr, {});
  auto started = second.Start("127.0.0.1", {port, port + 1});
  if (started.ok()) EXPECT_EQ(second.port(), port + 1);
  MetricsServer third([] { return std::string(); }, nullptr, {});
  auto taken = third.Start("127.0.0.1", {port, port});
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.message().find(absl::StrCat("metrics port ", port)), std::string::npos);
}

}  // namespace
}  // namespace ec
