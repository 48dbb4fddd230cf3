// The exactly-once Kafka sink's two-phase commit against a real broker (started by
// test_kafka_sink_two_phase_commit.py, which sets EC_TEST_KAFKA_BOOTSTRAP and _TOPIC): output
// visible to read_committed readers only when its checkpoint completes, pre-committed
// transactions committed on restore exactly once, lingering ones fenced, a transaction the
// broker aborted reported as a lost checkpoint. Each test writes records with its own prefix
// to the one shared topic and counts only those.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "connectors/kafka/kafka_protocol_client.h"
#include "connectors/kafka/kafka_sink.h"
#include "runtime/status.h"
#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;
using ::testing::HasSubstr;

constexpr absl::Duration kDeadline = absl::Seconds(60);

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

struct ReadResult {
  int records = 0;           // with the test's prefix
  bool reached_end = false;  // read_committed reached the high watermark: nothing lingers
};

class KafkaSinkBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = Env("EC_TEST_KAFKA_BOOTSTRAP");
    topic_ = Env("EC_TEST_KAFKA_TOPIC");
    if (bootstrap_.empty() || topic_.empty()) GTEST_SKIP() << "EC_TEST_KAFKA_* not set";
    prefix_ = absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
                           absl::ToUnixMicros(absl::Now()));
  }

  // A harness for subtask `subtask` of `parallelism` of an exactly-once sink of job `job_id`.
  std::unique_ptr<OperatorHarness> Harness(const std::string& job_id, int subtask = 0,
                                           int parallelism = 1,
                                           const std::string& extra_fields = "") {
    const std::string job = absl::StrCat(
        R"({"name": "t", "pipeline": [{"type": "socket-source", "hostname": "h", "port": 1},
            {"name": "out", "type": "kafka-sink", "delivery-guarantee": "exactly-once")",
        extra_fields, "}]}");
    auto harness = std::make_unique<OperatorHarness>(
        job, 1,
        std::map<std::string, std::string>{{"kafka-bootstrap-servers", bootstrap_},
                                           {"kafka-topic", topic_},
                                           {"checkpoint-interval", "500ms"}});
    OperatorContext& ctx = harness->context();
    ctx.job_id = job_id;
    ctx.subtask = subtask;
    ctx.parallelism = parallelism;
    ctx.completed_checkpoint = &completed_;
    return harness;
  }

  std::string JobId() const { return absl::StrCat("j", absl::ToUnixMicros(absl::Now())); }

  absl::Status Write(Operator& sink, int n) {
    RecordBatch in;
    for (int i = 0; i < n; ++i) in.Append(absl::StrCat(prefix_, "-", written_++));
    RecordBatch out;
    return sink.ProcessBatch(in, out);
  }

  // What Task::TakeCheckpoint does with the sink: Flush, then SnapshotState.
  absl::StatusOr<std::string> Checkpoint(Operator& sink, int64_t id) {
    if (auto s = sink.Flush(absl::Now() + kDeadline); !s.ok()) return s;
    std::string state;
    if (auto s = sink.SnapshotState(id, &state); !s.ok()) return s;
    return state;
  }

  // Partition 0 read to its end at read_committed.
  ReadResult ReadCommitted() {
    ReadResult result;
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] :
         std::map<std::string, std::string>{{"bootstrap.servers", bootstrap_},
                                            {"group.id", prefix_},
                                            {"isolation.level", "read_committed"},
                                            {"enable.auto.commit", "false"},
                                            {"enable.partition.eof", "true"}}) {
      EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK);
    }
    RdKafkaPtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err)));
    EXPECT_NE(rk, nullptr) << err;
    int64_t low = 0, high = 0;
    EXPECT_EQ(rd_kafka_query_watermark_offsets(rk.get(), topic_.c_str(), 0, &low, &high, 10000),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic_.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk.get(), parts);
    rd_kafka_topic_partition_list_destroy(parts);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    bool eof = false;
    int64_t eof_offset = -1;
    while (!eof && absl::Now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 200);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        eof = true;
        eof_offset = m->offset;
      } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string value(static_cast<const char*>(m->payload), m->len);
        if (value.rfind(prefix_ + "-", 0) == 0) ++result.records;
      }
      rd_kafka_message_destroy(m);
    }
    result.reached_end = eof && eof_offset >= high;
    rd_kafka_consumer_close(rk.get());
    return result;
  }

  // The crashed attempt: `parallelism` subtasks of an exactly-once sink of job `job`, each
  // writing `records` records pre-committed at checkpoint `checkpoint`, then `after` more left
  // in its open transaction; returns their checkpointed states (fewer on a failure, reported).
  // The sinks stay alive in crashed_: a SIGKILLed process's transactions stay open on the
  // broker. `fields(subtask)`: that subtask's extra sink fields.
  std::vector<std::string> CrashedAttempt(
      const std::string& job, int parallelism, int records, int64_t checkpoint, int after = 0,
      const std::function<std::string(int)>& fields = nullptr) {
    std::vector<std::string> states;
    for (int subtask = 0; subtask < parallelism; ++subtask) {
      crashed_harnesses_.push_back(
          Harness(job, subtask, parallelism, fields ? fields(subtask) : ""));
      crashed_.push_back(std::make_unique<KafkaSink>());
      KafkaSink& sink = *crashed_.back();
      absl::Status s = sink.Open(crashed_harnesses_.back()->context());
      if (s.ok()) s = Write(sink, records);
      auto state = s.ok() ? Checkpoint(sink, checkpoint) : absl::StatusOr<std::string>(s);
      if (state.ok() && after > 0) s = Write(sink, after);
      if (state.ok() && s.ok() && after > 0) s = sink.Flush(absl::Now() + kDeadline);
      if (!state.ok() || !s.ok()) {
        ADD_FAILURE() << "subtask " << subtask << ": " << (state.ok() ? s : state.status());
        return states;
      }
      states.push_back(*state);
    }
    return states;
  }

  // Waits up to 60 s for the broker to abort the transaction of `transactional_id` (its
  // transaction timeout passed; start.sh has it checked every second).
  bool AbortedByTheBroker(KafkaProtocolClient& client, const std::string& transactional_id) {
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    while (absl::Now() < give_up) {
      auto d = client.DescribeTransaction(transactional_id, absl::Now() + absl::Seconds(10));
      if (d.ok() && d->state == "CompleteAbort") return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  std::unique_ptr<KafkaProtocolClient> ProtocolClient() {
    KafkaClientConfig config;
    config.bootstrap_servers = bootstrap_;
    auto client = KafkaProtocolClient::Connect(config, absl::Now() + kDeadline);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  std::string bootstrap_, topic_, prefix_;
  int written_ = 0;
  std::vector<std::unique_ptr<OperatorHarness>> crashed_harnesses_;
  std::vector<std::unique_ptr<KafkaSink>> crashed_;
  std::atomic<int64_t> completed_{0};
};

TEST_F(KafkaSinkBrokerTest, OutputBecomesVisibleWhenItsCheckpointCompletesNotAtTheSnapshot) {
  auto harness = Harness(JobId());
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(harness->context()).ok());
  ASSERT_TRUE(Write(sink, 50).ok());
  auto state = Checkpoint(sink, 1);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(ReadCommitted().records, 0) << "pre-committed output must stay invisible";
  ASSERT_TRUE(Write(sink, 30).ok());  // into the next transaction, of another id
  ASSERT_TRUE(sink.NotifyCheckpointComplete(1).ok());
  EXPECT_EQ(ReadCommitted().records, 50);
  ASSERT_TRUE(Checkpoint(sink, 2).ok());
  ASSERT_TRUE(sink.NotifyCheckpointComplete(2).ok());
  ReadResult read = ReadCommitted();
  EXPECT_EQ(read.records, 80);
  EXPECT_TRUE(read.reached_end);
}

TEST_F(KafkaSinkBrokerTest, RestoreCommitsTheCrashedAttemptsPreCommittedTransactionOnce) {
  const std::string job = JobId();
  auto old_harness = Harness(job);
  auto old_sink = std::make_unique<KafkaSink>();
  ASSERT_TRUE(old_sink->Open(old_harness->context()).ok());
  ASSERT_TRUE(Write(*old_sink, 40).ok());
  auto state = Checkpoint(*old_sink, 7);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(Write(*old_sink, 25).ok());  // after the checkpoint: must never be visible
  ASSERT_TRUE(old_sink->Flush(absl::Now() + kDeadline).ok());
  // The crash came after checkpoint 7 completed, before the old attempt committed: the old
  // producers are still alive (a SIGKILLed process's transactions stay open on the broker).
  for (int restore = 0; restore < 2; ++restore) {
    auto harness = Harness(job);
    KafkaSink sink;
    ASSERT_TRUE(sink.RestoreState(*state).ok());
    absl::Status opened = sink.Open(harness->context());
    ASSERT_TRUE(opened.ok()) << opened;
    ReadResult read = ReadCommitted();
    EXPECT_EQ(read.records, 40) << "restore " << restore;
    EXPECT_TRUE(read.reached_end) << "the old attempt's open transaction was fenced";
  }
  EXPECT_FALSE(old_sink->NotifyCheckpointComplete(7).ok()) << "a fenced attempt cannot commit";
}

TEST_F(KafkaSinkBrokerTest, ATransactionTheBrokerAbortedIsALostCheckpoint) {
  const std::string job = JobId();
  const std::vector<std::string> states =
      CrashedAttempt(job, 1, 10, 3, 0, [](int) { return R"(, "transaction-timeout": "2s")"; });
  ASSERT_EQ(states.size(), 1u);
  // Down past the transaction timeout: the broker aborts it.
  auto client = ProtocolClient();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(AbortedByTheBroker(*client, "ec-" + job + "-out-0-0"))
      << "the broker did not abort the transaction within 60s";
  auto harness = Harness(job, 0, 1, R"(, "transaction-timeout": "2s")");
  KafkaSink sink;
  ASSERT_TRUE(sink.RestoreState(states[0]).ok());
  absl::Status opened = sink.Open(harness->context());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(LostCheckpointOf(opened), 3) << opened;
  EXPECT_THAT(std::string(opened.message()), HasSubstr("checkpoint 3"));
  EXPECT_THAT(std::string(opened.message()), HasSubstr("aborted by the broker"));
}

TEST_F(KafkaSinkBrokerTest, ALostTransactionOfOneSubtaskMeansNoSubtaskCommitsItsOwn) {
  const std::string job = JobId();
  // Subtask 1's transaction times out first (as one begun earlier would).
  const std::vector<std::string> states = CrashedAttempt(job, 2, 10, 4, 0, [](int subtask) {
    return subtask == 1 ? R"(, "transaction-timeout": "2s")" : "";
  });
  ASSERT_EQ(states.size(), 2u);
  auto client = ProtocolClient();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(AbortedByTheBroker(*client, "ec-" + job + "-out-1-0"))
      << "the broker did not abort subtask 1's transaction within 60s";
  // Subtask 0 restores first (union state: it gets both subtasks' entries). Its own
  // transaction is still open, but committing it would leave checkpoint 4 half visible while
  // the job falls back to checkpoint 3 and replays both halves.
  auto harness = Harness(job, 0, 2);
  KafkaSink sink;
  for (const auto& state : states) ASSERT_TRUE(sink.RestoreState(state).ok());
  absl::Status opened = sink.Open(harness->context());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(LostCheckpointOf(opened), 4) << opened;
  EXPECT_THAT(std::string(opened.message()), HasSubstr("no transaction of it is committed"));
  EXPECT_EQ(ReadCommitted().records, 0) << "subtask 0 committed its half of checkpoint 4";
  auto still = client->DescribeTransaction("ec-" + job + "-out-0-0", absl::Now() + kDeadline);
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(still->state, "Ongoing") << "left for the fallback's restore to fence";
  // The fallback: checkpoint 3 held nothing pending; its subtasks fence their pools.
  for (int subtask = 0; subtask < 2; ++subtask) {
    auto fallback_harness = Harness(job, subtask, 2);
    KafkaSink fallback;
    ASSERT_TRUE(fallback.Open(fallback_harness->context()).ok());
  }
  ReadResult read = ReadCommitted();
  EXPECT_EQ(read.records, 0);
  EXPECT_TRUE(read.reached_end) << "checkpoint 4's transactions were aborted by the fallback";
}

TEST_F(KafkaSinkBrokerTest, OneRestoringSubtaskCommitsEverySubtasksOpenTransactions) {
  const std::string job = JobId();
  const std::vector<std::string> states = CrashedAttempt(job, 2, 15, 6);
  ASSERT_EQ(states.size(), 2u);
  // Both restored subtasks commit everything; whichever comes second finds it committed.
  for (int subtask = 0; subtask < 2; ++subtask) {
    auto harness = Harness(job, subtask, 2);
    KafkaSink sink;
    for (const auto& state : states) ASSERT_TRUE(sink.RestoreState(state).ok());
    absl::Status opened = sink.Open(harness->context());
    ASSERT_TRUE(opened.ok()) << opened;
    EXPECT_EQ(ReadCommitted().records, 30) << "after subtask " << subtask << "'s restore";
  }
  EXPECT_TRUE(ReadCommitted().reached_end);
}

TEST_F(KafkaSinkBrokerTest, RescaleDownCommitsEverySubtasksTransactionsAndFencesTheirPools) {
  const std::string job = JobId();
  // 20 records each pre-committed at checkpoint 5, 7 more each open after it.
  const std::vector<std::string> states = CrashedAttempt(job, 3, 20, 5, /*after=*/7);
  ASSERT_EQ(states.size(), 3u);
  auto harness = Harness(job, 0, 1);
  KafkaSink sink;
  for (const auto& state : states) ASSERT_TRUE(sink.RestoreState(state).ok());
  absl::Status opened = sink.Open(harness->context());
  ASSERT_TRUE(opened.ok()) << opened;
  ReadResult read = ReadCommitted();
  EXPECT_EQ(read.records, 60);
  EXPECT_TRUE(read.reached_end) << "subtasks 1 and 2's open transactions were fenced";
}

TEST_F(KafkaSinkBrokerTest, WithEveryIdAwaitingACommitTheCheckpointIsDeclinedUntilOneCompletes) {
  auto harness = Harness(JobId());
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(harness->context()).ok());
  ASSERT_TRUE(Write(sink, 5).ok());
  ASSERT_TRUE(Checkpoint(sink, 1).ok());
  ASSERT_TRUE(Write(sink, 5).ok());
  ASSERT_TRUE(Checkpoint(sink, 2).ok());  // 1 was declined elsewhere: never notified
  ASSERT_TRUE(Write(sink, 5).ok());
  auto third = Checkpoint(sink, 3);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(sink.NotifyCheckpointComplete(2).ok());  // commits 1 and 2
  EXPECT_EQ(ReadCommitted().records, 10);
  ASSERT_TRUE(Checkpoint(sink, 4).ok());  // the records of the declined 3 go with 4
  ASSERT_TRUE(sink.NotifyCheckpointComplete(4).ok());
  EXPECT_EQ(ReadCommitted().records, 15);
}

TEST_F(KafkaSinkBrokerTest, CancelAbortsWhatCameAfterTheCheckpointAndLeavesItsCommitToTheRestore) {
  const std::string job = JobId();
  auto old_harness = Harness(job);
  auto old_sink = std::make_unique<KafkaSink>();
  ASSERT_TRUE(old_sink->Open(old_harness->context()).ok());
  ASSERT_TRUE(Write(*old_sink, 12).ok());
  auto state = Checkpoint(*old_sink, 2);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(Write(*old_sink, 8).ok());
  old_harness->Cancel();
  ASSERT_TRUE(old_sink->Flush(absl::Now() + kDeadline).ok());
  ASSERT_TRUE(old_sink->Close().ok());
  old_sink.reset();  // destroying its producers leaves the pre-committed transaction open
  auto harness = Harness(job);
  KafkaSink sink;
  ASSERT_TRUE(sink.RestoreState(*state).ok());
  absl::Status opened = sink.Open(harness->context());
  ASSERT_TRUE(opened.ok()) << opened;
  ReadResult read = ReadCommitted();
  EXPECT_EQ(read.records, 12);
  EXPECT_TRUE(read.reached_end);
}

TEST_F(KafkaSinkBrokerTest, AFinishingSinkWaitsForItsLastCheckpointThenCommitsTheRest) {
  auto harness = Harness(JobId());
  KafkaSink sink;
  ASSERT_TRUE(sink.Open(harness->context()).ok());
  ASSERT_TRUE(Write(sink, 10).ok());
  ASSERT_TRUE(Checkpoint(sink, 1).ok());
  ASSERT_TRUE(Write(sink, 4).ok());  // after it: the end of the input
  harness->context().finishing = true;
  std::thread completer([&] {
    absl::SleepFor(absl::Milliseconds(300));
    completed_.store(1);
  });
  absl::Status flushed = sink.Flush(absl::Now() + kDeadline);
  completer.join();
  ASSERT_TRUE(flushed.ok()) << flushed;
  ReadResult read = ReadCommitted();
  EXPECT_EQ(read.records, 14);
  EXPECT_TRUE(read.reached_end);
}

}  // namespace
}  // namespace ec
