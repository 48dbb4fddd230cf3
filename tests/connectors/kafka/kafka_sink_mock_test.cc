// The at-least-once Kafka sink against librdkafka's mock cluster: Flush waiting for every
// acknowledgement through a broker outage, retried produce errors, the delivery-timeout error.
// The exactly-once sink's two-phase commit needs what the mock lacks (DescribeTransactions,
// control batches for read_committed, fencing by epoch): it is tested against the real broker
// in tests/integration/kafka_sink/kafka_sink_broker_test.cc.
//
// What librdkafka's mock cluster cannot show (read in its source, rdkafka_mock_handlers.c and
// rdkafka_mock.c, and each confirmed with the installed 2.0.2), so no test here claims it:
//  - deduplication for a producer without transactional id: the mock checks sequence numbers
//    only for transactional producers, so a retried produce of the at-least-once sink whose
//    first attempt was written (lost response) is written twice on the mock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "connectors/kafka/kafka_sink.h"
#include "tests/eventually.h"
#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::Eventually;
using test_support::OperatorHarness;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTopic[] = "out";
constexpr char kPassword[] = "mock-Pa55w0rd";
constexpr int32_t kLeader = 1;
// Kafka protocol API keys (librdkafka's rdkafka_proto.h is not installed).
constexpr int16_t kProduceApiKey = 0;
// Generous: every wait in these tests ends as soon as its condition holds.
constexpr absl::Duration kDeadline = absl::Seconds(30);

struct RdKafkaDestroy {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct MockClusterDestroy {
  void operator()(rd_kafka_mock_cluster_t* cluster) const {
    rd_kafka_mock_cluster_destroy(cluster);
  }
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDestroy>;

std::vector<std::string> Records(const std::string& prefix, int n) {
  std::vector<std::string> records;
  for (int i = 0; i < n; ++i) records.push_back(absl::StrCat(prefix, "-", i));
  return records;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

absl::Status Write(Operator& sink, const std::vector<std::string>& records) {
  RecordBatch in;
  for (const auto& r : records) in.Append(r);
  RecordBatch out;
  return sink.ProcessBatch(in, out);
}

// Partition 0 of `topic` from the beginning to its end, read by a real consumer at `isolation`
// (read_committed | read_uncommitted).
std::vector<std::string> ReadTopic(const std::string& bootstraps, const std::string& isolation) {
  std::vector<std::string> records;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"bootstrap.servers", bootstraps},
           {"group.id", "kafka-sink-mock-test"},  // needed by consumer_poll; nothing is committed
           {"enable.auto.commit", "false"},
           {"enable.partition.eof", "true"},
           {"isolation.level", isolation}}) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << name << ": " << err;
      rd_kafka_conf_destroy(conf);
      return records;
    }
  }
  RdKafkaPtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err)));
  if (!consumer) {
    ADD_FAILURE() << err;
    rd_kafka_conf_destroy(conf);
    return records;
  }
  rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(partitions, kTopic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  EXPECT_EQ(rd_kafka_assign(consumer.get(), partitions), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(partitions);
  const absl::Time deadline = absl::Now() + kDeadline;
  bool at_end = false;
  while (!at_end && absl::Now() < deadline) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(consumer.get(), 100);
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end = true;
    } else if (msg->err) {
      ADD_FAILURE() << "reading " << kTopic << ": " << rd_kafka_message_errstr(msg);
    } else {
      records.emplace_back(static_cast<const char*>(msg->payload), msg->len);
    }
    rd_kafka_message_destroy(msg);
  }
  EXPECT_TRUE(at_end) << "did not reach the end of " << kTopic << " within " << kDeadline;
  rd_kafka_consumer_close(consumer.get());
  return records;
}

// A two-broker mock cluster with topic "out" (one partition, led by broker 1), and harnesses for
// a kafka-sink writing to it.
class MockKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    // The cluster needs a client handle for its bookkeeping; this one never connects.
    handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)));
    ASSERT_TRUE(handle_) << err;
    cluster_.reset(rd_kafka_mock_cluster_new(handle_.get(), 2));
    ASSERT_TRUE(cluster_);
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_.get(), kTopic, 1, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(cluster_.get(), kTopic, 0, kLeader),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // A harness for the sink with `guarantee` and the extra JSON `fields`; `parameters` are job
  // parameters. Short reconnect backoffs let a sink notice a broker back up within a second.
  std::unique_ptr<OperatorHarness> Harness(const std::string& guarantee,
                                           const std::string& fields = "",
                                           std::map<std::string, std::string> parameters = {}) {
    const std::string job = absl::StrCat(
        R"({"name": "t", "pipeline": [{"type": "socket-source", "hostname": "h", "port": 1},
            {"name": "out", "type": "kafka-sink", "topic": "out", "delivery-guarantee": ")",
        guarantee, R"(", "kafka.reconnect.backoff.ms": "20",
            "kafka.reconnect.backoff.max.ms": "200")",
        fields.empty() ? "" : ", ", fields, "}]}");
    parameters["kafka-bootstrap-servers"] = bootstraps_;
    parameters["checkpoint-interval"] = "1s";
    return std::make_unique<OperatorHarness>(job, 1, parameters);
  }

  std::vector<std::string> Read(const std::string& isolation) {
    return ReadTopic(bootstraps_, isolation);
  }

  size_t ProduceErrorsLeft() {
    size_t count = 0;
    EXPECT_EQ(rd_kafka_mock_broker_error_stack_cnt(cluster_.get(), kLeader, kProduceApiKey, &count),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    return count;
  }

  rd_kafka_mock_cluster_t* cluster() { return cluster_.get(); }

 private:
  RdKafkaPtr handle_;  // destroyed after the cluster it serves
  std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDestroy> cluster_;
  std::string bootstraps_;
};

class KafkaSinkAtLeastOnceTest : public MockKafkaTest {};

TEST_F(KafkaSinkAtLeastOnceTest, FlushReturnsOnlyOnceEveryRecordIsAcknowledged) {
  // Acknowledgements lag the writes by 200 ms.
  ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster(), kLeader, 200), RD_KAFKA_RESP_ERR_NO_ERROR);
  auto harness = Harness("at-least-once");
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(harness->context()).ok());
  const auto records = Records("r", 500);
  for (size_t i = 0; i < records.size(); i += 100) {
    ASSERT_TRUE(Write(sink, {records.begin() + i, records.begin() + i + 100}).ok());
  }
  absl::Status s = sink.Flush(absl::Now() + kDeadline);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(harness->counters().records_out(), 500u);
  EXPECT_EQ(Read("read_uncommitted"), records);
}

TEST_F(KafkaSinkAtLeastOnceTest, FlushFailsAtItsDeadlineWhileTheBrokerIsDownThenDeliversAll) {
  auto harness = Harness("at-least-once");
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(harness->context()).ok());
  const auto before = Records("before", 100);
  ASSERT_TRUE(Write(sink, before).ok());
  absl::Status s = sink.Flush(absl::Now() + kDeadline);
  ASSERT_TRUE(s.ok()) << s;

  // Down with nothing in flight: the mock does not deduplicate this producer's retries.
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster(), -1), RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto during = Records("during", 100);
  ASSERT_TRUE(Write(sink, during).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  s = sink.Flush(deadline);
  EXPECT_GE(absl::Now(), deadline);
  ASSERT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("kafka topic 'out'"));
  EXPECT_EQ(harness->counters().records_out(), 100u);

  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster(), -1), RD_KAFKA_RESP_ERR_NO_ERROR);
  s = sink.Flush(absl::Now() + kDeadline);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(harness->counters().records_out(), 200u);
  EXPECT_EQ(Read("read_uncommitted"), Concat(before, during));
}

TEST_F(KafkaSinkAtLeastOnceTest, RetriableProduceErrorsAreRetriedWithoutLossOrDuplicates) {
  // The mock rejects these before appending, so each retry writes its records once; a retry
  // after a lost response is the exactly-once test's (see the top of this file).
  ASSERT_EQ(
      rd_kafka_mock_broker_push_request_error_rtts(
          cluster(), kLeader, kProduceApiKey, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
          RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0),
      RD_KAFKA_RESP_ERR_NO_ERROR);
  auto harness = Harness("at-least-once");
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(harness->context()).ok());
  const auto records = Records("r", 1000);
  for (size_t i = 0; i < records.size(); i += 100) {
    ASSERT_TRUE(Write(sink, {records.begin() + i, records.begin() + i + 100}).ok());
  }
  absl::Status s = sink.Flush(absl::Now() + kDeadline);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ProduceErrorsLeft(), 0u) << "the injected errors were not all hit";
  EXPECT_EQ(harness->counters().records_out(), 1000u);
  EXPECT_EQ(Read("read_uncommitted"), records);
}

TEST_F(KafkaSinkAtLeastOnceTest, DeliveryTimeoutFailsNamingTheTopicWithoutThePassword) {
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster(), -1), RD_KAFKA_RESP_ERR_NO_ERROR);
  auto harness = Harness("at-least-once", R"("delivery-timeout": "1s")",
                         {{"kafka-security-protocol", "SASL_PLAINTEXT"},
                          {"kafka-sasl-username", "alice"},
                          {"kafka-sasl-password", kPassword}});
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(harness->context()).ok());
  ASSERT_TRUE(Write(sink, Records("r", 10)).ok());

  absl::Status polled;
  ASSERT_TRUE(Eventually([&] { return !(polled = sink.Tick()).ok(); }));
  EXPECT_EQ(polled.code(), absl::StatusCode::kUnavailable) << polled;
  EXPECT_THAT(std::string(polled.message()), HasSubstr("kafka topic 'out'"));
  EXPECT_THAT(std::string(polled.message()), HasSubstr("delivery timeout"));
  EXPECT_THAT(std::string(polled.message()), HasSubstr("user 'alice'"));
  EXPECT_THAT(std::string(polled.message()), Not(HasSubstr(kPassword)));

  // Flush reports the same failure at once instead of waiting for its deadline.
  const absl::Time deadline = absl::Now() + kDeadline;
  absl::Status flushed = sink.Flush(deadline);
  EXPECT_LT(absl::Now(), deadline);
  EXPECT_EQ(flushed, polled);
  EXPECT_FALSE(Write(sink, Records("late", 1)).ok());
}

}  // namespace
}  // namespace ec
