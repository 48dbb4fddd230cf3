// KafkaSource against librdkafka's mock cluster: every record in partition order, counters,
// snapshot → restore with no gap or repeat, start-from earliest/latest/group-offsets, commits on
// checkpoint completion, partitions split by subtask, several old subtasks' offsets merged on a
// rescaled restore, errors for unknown or forbidden topics, a
// broker outage that does not fail the task, a bounded close, and settings validated at submit.
#include "connectors/kafka/kafka_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "operators/registry.h"
#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;
using ::testing::HasSubstr;

constexpr absl::Duration kDeadline = absl::Seconds(30);

constexpr char kJob[] = R"({"name": "t", "pipeline": [
  {"name": "source", "type": "kafka-source", "topic": "events"},
  {"type": "discard-sink"}]})";

constexpr char kTwoSubtasksJob[] = R"({"name": "t", "parallelism": 2, "pipeline": [
  {"name": "source", "type": "kafka-source", "topic": "events"},
  {"type": "discard-sink"}]})";

rd_kafka_t* NewClient(rd_kafka_type_t type, const std::map<std::string, std::string>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [name, value] : settings) {
    EXPECT_EQ(rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof(err)),
              RD_KAFKA_CONF_OK)
        << name << ": " << err;
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  EXPECT_NE(rk, nullptr) << err;
  return rk;
}

class KafkaSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The mock cluster lives inside a client handle; a plain producer writes the test records.
    mock_owner_ = NewClient(RD_KAFKA_PRODUCER, {{"log_level", "3"}});
    mock_ = rd_kafka_mock_cluster_new(mock_owner_, 1);
    ASSERT_NE(mock_, nullptr);
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(mock_);
    ASSERT_EQ(rd_kafka_mock_topic_create(mock_, "events", 3, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_mock_topic_create(mock_, "one", 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    producer_ =
        NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstraps_}, {"linger.ms", "1"}});
  }

  void TearDown() override {
    for (auto& source : sources_) {
      if (source) {
        EXPECT_TRUE(source->Close().ok());
      }
    }
    sources_.clear();
    if (producer_) rd_kafka_destroy(producer_);
    if (mock_) rd_kafka_mock_cluster_destroy(mock_);
    if (mock_owner_) rd_kafka_destroy(mock_owner_);
  }

  // Writes `values` to one partition and waits until the mock cluster has acknowledged them.
  void Produce(const std::string& topic, int32_t partition,
               const std::vector<std::string>& values) {
    for (const auto& v : values) {
      ASSERT_EQ(rd_kafka_producev(
                    producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    ASSERT_EQ(rd_kafka_flush(producer_, static_cast<int>(absl::ToInt64Milliseconds(kDeadline))),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  static std::vector<std::string> Values(const std::string& prefix, int from, int to) {
    std::vector<std::string> values;
    for (int i = from; i < to; ++i) values.push_back(absl::StrCat(prefix, i));
    return values;
  }

  KafkaSource::Options Options(const std::string& topic,
                               KafkaSource::StartFrom start = KafkaSource::StartFrom::kEarliest,
                               const std::string& group = "g") {
    KafkaSource::Options options;
    options.client.bootstrap_servers = bootstraps_;
    options.topic = topic;
    options.group_id = group;
    options.start_from = start;
    options.open_timeout = absl::Seconds(20);
    return options;
  }

  // A new source (kept for TearDown to close) and the harness it runs in.
  KafkaSource* NewSource(KafkaSource::Options options, OperatorHarness* harness = nullptr,
                         const std::string& state = "") {
    if (!harness) {
      harnesses_.push_back(std::make_unique<OperatorHarness>(kJob));
      harness = harnesses_.back().get();
    }
    sources_.push_back(std::make_unique<KafkaSource>(std::move(options)));
    KafkaSource* source = sources_.back().get();
    if (!state.empty()) {
      EXPECT_TRUE(source->RestoreState(state).ok());
    }
    absl::Status s = source->Open(harness->context());
    EXPECT_TRUE(s.ok()) << s;
    return s.ok() ? source : nullptr;
  }

  // Polls until `count` records arrived (or kDeadline); returns them all.
  static std::vector<std::string> Collect(KafkaSource& source, size_t count) {
    std::vector<std::string> records;
    const absl::Time deadline = absl::Now() + kDeadline;
    RecordBatch batch;
    while (records.size() < count && absl::Now() < deadline) {
      batch.Clear();
      absl::Status s = source.PollBatch(batch, absl::Milliseconds(50));
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) break;
      for (size_t i = 0; i < batch.size(); ++i) records.emplace_back(batch[i]);
    }
    return records;
  }

  // The offset `group` committed for `topic`/`partition` as another client sees it; -1 if none.
  int64_t Committed(const std::string& group, const std::string& topic, int32_t partition) {
    rd_kafka_t* rk =
        NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstraps_}, {"group.id", group}});
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
    int64_t offset = -2;
    if (rd_kafka_committed(rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR && !list->elems[0].err) {
      offset = std::max<int64_t>(list->elems[0].offset, -1);
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return offset;
  }

  // Polls `source` (which serves its commit callbacks) until the group shows `offset`.
  bool WaitForCommitted(KafkaSource& source, const std::string& group, const std::string& topic,
                        int32_t partition, int64_t offset) {
    const absl::Time deadline = absl::Now() + kDeadline;
    RecordBatch batch;
    while (absl::Now() < deadline) {
      if (Committed(group, topic, partition) == offset) return true;
      batch.Clear();
      EXPECT_TRUE(source.PollBatch(batch, absl::Milliseconds(50)).ok());
    }
    return false;
  }

  rd_kafka_t* mock_owner_ = nullptr;
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string bootstraps_;
  rd_kafka_t* producer_ = nullptr;
  std::vector<std::unique_ptr<OperatorHarness>> harnesses_;
  std::vector<std::unique_ptr<KafkaSource>> sources_;
};

TEST_F(KafkaSourceTest, ReadsEveryRecordOfEveryPartitionInOrder) {
  for (int32_t p = 0; p < 3; ++p) Produce("events", p, Values(absl::StrCat("p", p, "-"), 0, 100));
  OperatorHarness harness(kJob);
  KafkaSource* source = NewSource(Options("events"), &harness);
  ASSERT_NE(source, nullptr);
  std::vector<std::string> records = Collect(*source, 300);
  ASSERT_EQ(records.size(), 300u);
  std::map<std::string, std::vector<std::string>> by_partition;
  for (const auto& r : records) by_partition[r.substr(0, 3)].push_back(r);
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(by_partition[absl::StrCat("p", p, "-")], Values(absl::StrCat("p", p, "-"), 0, 100));
  }
  EXPECT_EQ(harness.counters().records_in(), 300u);
  EXPECT_EQ(harness.counters().bytes_in(), 3u * (10 * 4 + 90 * 5));
  EXPECT_EQ(source->positions(), (std::map<int32_t, int64_t>{{0, 100}, {1, 100}, {2, 100}}));
}

TEST_F(KafkaSourceTest, BatchHoldsAtMostMaxBatchRecords) {
  Produce("one", 0, Values("r", 0, 50));
  KafkaSource::Options options = Options("one");
  options.max_batch_records = 7;
  KafkaSource* source = NewSource(options);
  ASSERT_NE(source, nullptr);
  std::vector<std::string> all;
  const absl::Time deadline = absl::Now() + kDeadline;
  RecordBatch batch;
  while (all.size() < 50 && absl::Now() < deadline) {
    batch.Clear();
    ASSERT_TRUE(source->PollBatch(batch, absl::Milliseconds(50)).ok());
    EXPECT_LE(batch.size(), 7u);
    for (size_t i = 0; i < batch.size(); ++i) all.emplace_back(batch[i]);
  }
  EXPECT_EQ(all, Values("r", 0, 50));
}

TEST_F(KafkaSourceTest, SnapshotThenRestoreResumesWithoutGapOrRepeat) {
  Produce("one", 0, Values("r", 0, 50));
  KafkaSource::Options options = Options("one");
  options.max_batch_records = 7;
  KafkaSource* first = NewSource(options);
  ASSERT_NE(first, nullptr);
  std::vector<std::string> before = Collect(*first, 20);
  ASSERT_GE(before.size(), 20u);
  std::string state;
  ASSERT_TRUE(first->SnapshotState(1, &state).ok());
  auto json = nlohmann::json::parse(state);
  EXPECT_EQ(json["topic"], "one");
  EXPECT_EQ(json["offsets"]["0"].get<int64_t>(), static_cast<int64_t>(before.size()));
  // What the first attempt reads after the snapshot is lost with it (never checkpointed).
  EXPECT_EQ(Collect(*first, 50 - before.size()).size(), 50 - before.size());

  Produce("one", 0, Values("r", 50, 60));
  // Restored offsets win over start-from (latest here would skip everything).
  KafkaSource* restored =
      NewSource(Options("one", KafkaSource::StartFrom::kLatest), nullptr, state);
  ASSERT_NE(restored, nullptr);
  std::vector<std::string> after = Collect(*restored, 60 - before.size());
  std::vector<std::string> all = before;
  all.insert(all.end(), after.begin(), after.end());
  EXPECT_EQ(all, Values("r", 0, 60));
}

TEST_F(KafkaSourceTest, SnapshotBeforeAnyRecordHoldsTheResolvedStartOffset) {
  Produce("one", 0, Values("old", 0, 5));
  KafkaSource* latest = NewSource(Options("one", KafkaSource::StartFrom::kLatest));
  ASSERT_NE(latest, nullptr);
  std::string state;
  ASSERT_TRUE(latest->SnapshotState(1, &state).ok());
  EXPECT_EQ(nlohmann::json::parse(state)["offsets"]["0"].get<int64_t>(), 5);
  // Records written after that snapshot are read by a restored attempt, not skipped.
  Produce("one", 0, Values("new", 0, 3));
  KafkaSource* restored =
      NewSource(Options("one", KafkaSource::StartFrom::kLatest), nullptr, state);
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(Collect(*restored, 3), Values("new", 0, 3));
}

TEST_F(KafkaSourceTest, StartFromEarliestReadsWhatWasWrittenBefore) {
  Produce("one", 0, Values("r", 0, 10));
  KafkaSource* source = NewSource(Options("one", KafkaSource::StartFrom::kEarliest));
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(Collect(*source, 10), Values("r", 0, 10));
}

TEST_F(KafkaSourceTest, StartFromLatestReadsOnlyWhatComesAfterOpen) {
  Produce("one", 0, Values("old", 0, 10));
  KafkaSource* source = NewSource(Options("one", KafkaSource::StartFrom::kLatest));
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->positions(), (std::map<int32_t, int64_t>{{0, 10}}));
  Produce("one", 0, Values("new", 0, 5));
  EXPECT_EQ(Collect(*source, 5), Values("new", 0, 5));
}

TEST_F(KafkaSourceTest, GroupOffsetsFallBackToEarliestWithoutACommit) {
  Produce("one", 0, Values("r", 0, 10));
  KafkaSource* source =
      NewSource(Options("one", KafkaSource::StartFrom::kGroupOffsets, "fresh-group"));
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(Collect(*source, 10), Values("r", 0, 10));
}

TEST_F(KafkaSourceTest, CompletedCheckpointCommitsItsOwnSnapshotAndTheGroupResumesThere) {
  Produce("one", 0, Values("r", 0, 40));
  KafkaSource::Options options = Options("one", KafkaSource::StartFrom::kGroupOffsets, "cg");
  options.max_batch_records = 5;
  KafkaSource* source = NewSource(options);
  ASSERT_NE(source, nullptr);
  const size_t first = Collect(*source, 10).size();
  std::string state;
  ASSERT_TRUE(source->SnapshotState(1, &state).ok());
  const size_t second = first + Collect(*source, 10).size();
  ASSERT_TRUE(source->SnapshotState(2, &state).ok());
  ASSERT_LT(first, second);
  EXPECT_EQ(Committed("cg", "one", 0), -1);  // nothing before a checkpoint completes

  ASSERT_TRUE(source->NotifyCheckpointComplete(1).ok());
  EXPECT_TRUE(WaitForCommitted(*source, "cg", "one", 0, static_cast<int64_t>(first)));
  ASSERT_TRUE(source->NotifyCheckpointComplete(2).ok());
  EXPECT_TRUE(WaitForCommitted(*source, "cg", "one", 0, static_cast<int64_t>(second)));

  // A new job (no checkpoint) with the same group continues from the committed offset.
  KafkaSource* next = NewSource(Options("one", KafkaSource::StartFrom::kGroupOffsets, "cg"));
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->positions(), (std::map<int32_t, int64_t>{{0, static_cast<int64_t>(second)}}));
  EXPECT_EQ(Collect(*next, 40 - second), Values("r", static_cast<int>(second), 40));
}

TEST_F(KafkaSourceTest, SkippedNotificationCommitsTheNewestCoveredSnapshot) {
  Produce("one", 0, Values("r", 0, 20));
  KafkaSource::Options options = Options("one", KafkaSource::StartFrom::kEarliest, "skip");
  options.max_batch_records = 5;
  KafkaSource* source = NewSource(options);
  ASSERT_NE(source, nullptr);
  std::string state;
  const size_t first = Collect(*source, 5).size();
  ASSERT_TRUE(source->SnapshotState(3, &state).ok());
  const size_t second = first + Collect(*source, 5).size();
  ASSERT_TRUE(source->SnapshotState(4, &state).ok());
  Collect(*source, 5);
  ASSERT_TRUE(source->SnapshotState(6, &state).ok());
  // Checkpoint 5 completed (4 and 3 before it were never notified): 4's offsets, not 6's.
  ASSERT_TRUE(source->NotifyCheckpointComplete(5).ok());
  EXPECT_TRUE(WaitForCommitted(*source, "skip", "one", 0, static_cast<int64_t>(second)));
}

// Polls until the source says its bounded input ended (OutOfRange, with an empty batch: the task
// drops what comes with it) or kDeadline; returns what it read, and in `ended` whether it ended.
std::vector<std::string> ReadToEnd(KafkaSource& source, bool* ended) {
  std::vector<std::string> records;
  *ended = false;
  const absl::Time deadline = absl::Now() + kDeadline;
  RecordBatch batch;
  while (absl::Now() < deadline) {
    batch.Clear();
    absl::Status s = source.PollBatch(batch, absl::Milliseconds(50));
    if (s.code() == absl::StatusCode::kOutOfRange) {
      EXPECT_TRUE(batch.empty()) << "the task drops a batch that comes with the end";
      *ended = true;
      break;
    }
    for (size_t i = 0; i < batch.size(); ++i) records.emplace_back(batch[i]);
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok()) break;
  }
  return records;
}

// stop-at latest: what was in each partition when the source opened, then the end; records
// written later are not read.
TEST_F(KafkaSourceTest, BoundedReadsEachPartitionToItsEndAtOpenThenFinishes) {
  for (int32_t p = 0; p < 3; ++p) Produce("events", p, Values(absl::StrCat("p", p, "-"), 0, 30));
  KafkaSource::Options options = Options("events", KafkaSource::StartFrom::kEarliest);
  options.bounded = true;
  options.max_batch_records = 16;
  KafkaSource* source = NewSource(options);
  ASSERT_NE(source, nullptr);
  for (int32_t p = 0; p < 3; ++p) Produce("events", p, Values(absl::StrCat("p", p, "-"), 30, 40));
  bool ended = false;
  std::vector<std::string> records = ReadToEnd(*source, &ended);
  EXPECT_TRUE(ended);
  std::sort(records.begin(), records.end());
  std::vector<std::string> want;
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& v : Values(absl::StrCat("p", p, "-"), 0, 30)) want.push_back(v);
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(records, want);
  std::string state;
  ASSERT_TRUE(source->SnapshotState(1, &state).ok());
  auto json = nlohmann::json::parse(state);
  EXPECT_EQ(json["stop-offsets"], nlohmann::json::parse(R"({"0": 30, "1": 30, "2": 30})"));
}

// A bounded source restored from a checkpoint keeps the end it had, however much was written
// since; one with no partition (more subtasks than partitions) ends at once.
TEST_F(KafkaSourceTest, BoundedKeepsItsStopOffsetsAcrossARestore) {
  Produce("one", 0, Values("r", 0, 20));
  KafkaSource::Options options = Options("one", KafkaSource::StartFrom::kEarliest);
  options.bounded = true;
  options.max_batch_records = 7;
  KafkaSource* first = NewSource(options);
  ASSERT_NE(first, nullptr);
  std::vector<std::string> before = Collect(*first, 7);
  std::string state;
  ASSERT_TRUE(first->SnapshotState(1, &state).ok());
  Produce("one", 0, Values("r", 20, 30));
  KafkaSource* restored = NewSource(options, nullptr, state);
  ASSERT_NE(restored, nullptr);
  bool ended = false;
  std::vector<std::string> after = ReadToEnd(*restored, &ended);
  EXPECT_TRUE(ended);
  before.insert(before.end(), after.begin(), after.end());
  EXPECT_EQ(before, Values("r", 0, 20));

  OperatorHarness second(kTwoSubtasksJob);
  second.context().subtask = 1;
  KafkaSource* idle = NewSource(options, &second);
  ASSERT_NE(idle, nullptr);
  EXPECT_TRUE(ReadToEnd(*idle, &ended).empty());
  EXPECT_TRUE(ended);
}

TEST_F(KafkaSourceTest, SubtasksSplitPartitionsByModulo) {
  for (int32_t p = 0; p < 3; ++p) Produce("events", p, Values(absl::StrCat("p", p, "-"), 0, 4));
  OperatorHarness zero(kTwoSubtasksJob);
  OperatorHarness one(kTwoSubtasksJob);
  one.context().subtask = 1;
  KafkaSource* a = NewSource(Options("events"), &zero);
  KafkaSource* b = NewSource(Options("events"), &one);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->positions(), (std::map<int32_t, int64_t>{{0, 0}, {2, 0}}));
  EXPECT_EQ(b->positions(), (std::map<int32_t, int64_t>{{1, 0}}));
  std::vector<std::string> read_by_b = Collect(*b, 4);
  EXPECT_EQ(read_by_b, Values("p1-", 0, 4));
  EXPECT_EQ(Collect(*a, 8).size(), 8u);
}

// After a rescale from 2 subtasks to 3, each new subtask is restored with both old subtasks'
// offsets and keeps those of the partitions it reads now.
TEST_F(KafkaSourceTest, RestoredStatesOfSeveralOldSubtasksAreMerged) {
  constexpr char kThreeSubtasksJob[] = R"({"name": "t", "parallelism": 3, "pipeline": [
    {"name": "source", "type": "kafka-source", "topic": "events"},
    {"type": "discard-sink"}]})";
  Produce("events", 0, Values("p0-", 0, 4));
  Produce("events", 1, Values("p1-", 0, 4));
  Produce("events", 2, Values("p2-", 0, 4));
  std::map<int32_t, int64_t> positions;
  for (int subtask = 0; subtask < 3; ++subtask) {
    harnesses_.push_back(std::make_unique<OperatorHarness>(kThreeSubtasksJob));
    harnesses_.back()->context().subtask = subtask;
    sources_.push_back(std::make_unique<KafkaSource>(Options("events")));
    KafkaSource& source = *sources_.back();
    ASSERT_TRUE(source.RestoreState(R"({"topic": "events", "offsets": {"0": 1, "2": 3}})").ok());
    ASSERT_TRUE(source.RestoreState(R"({"topic": "events", "offsets": {"1": 2}})").ok());
    ASSERT_TRUE(source.Open(harnesses_.back()->context()).ok());
    auto mine = source.positions();
    EXPECT_EQ(mine.size(), 1u) << "subtask " << subtask;
    positions.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(positions, (std::map<int32_t, int64_t>{{0, 1}, {1, 2}, {2, 3}}));
  EXPECT_EQ(Collect(*sources_[1], 2), Values("p1-", 2, 4));
}

TEST_F(KafkaSourceTest, UnknownTopicFailsOpenNamingIt) {
  // The mock cluster creates any topic a metadata request names (it speaks Metadata < v4, which
  // has no AllowAutoTopicCreation), so it is told to answer "unknown" for this one instead.
  ASSERT_EQ(rd_kafka_mock_topic_create(mock_, "no_such_topic", 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_mock_topic_set_error(mock_, "no_such_topic", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  OperatorHarness harness(kJob);
  KafkaSource source(Options("no_such_topic"));
  const absl::Time start = absl::Now();
  absl::Status s = source.Open(harness.context());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("topic 'no_such_topic'"));
  EXPECT_THAT(s.message(), HasSubstr("does not exist"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));  // no waiting out the open timeout
  EXPECT_TRUE(source.Close().ok());
}

TEST_F(KafkaSourceTest, TopicAuthorizationFailureFailsOpen) {
  rd_kafka_mock_topic_set_error(mock_, "one", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  OperatorHarness harness(kJob);
  KafkaSource source(Options("one"));
  absl::Status s = source.Open(harness.context());
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_THAT(s.message(), HasSubstr("topic 'one'"));
  EXPECT_TRUE(source.Close().ok());
}

TEST_F(KafkaSourceTest, BrokerOutageKeepsPollingAndResumes) {
  Produce("one", 0, Values("r", 0, 5));
  KafkaSource* source = NewSource(Options("one"));
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(Collect(*source, 5), Values("r", 0, 5));
  ASSERT_EQ(rd_kafka_mock_broker_set_down(mock_, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  RecordBatch batch;
  for (int i = 0; i < 20; ++i) {  // ~1 s of polls against a dead broker: no failure
    batch.Clear();
    absl::Status s = source->PollBatch(batch, absl::Milliseconds(50));
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_TRUE(batch.empty());
  }
  ASSERT_EQ(rd_kafka_mock_broker_set_up(mock_, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  Produce("one", 0, Values("r", 5, 10));
  EXPECT_EQ(Collect(*source, 5), Values("r", 5, 10));
}

TEST_F(KafkaSourceTest, CloseReturnsPromptlyWhileTheBrokerIsDown) {
  Produce("one", 0, Values("r", 0, 5));
  KafkaSource* source = NewSource(Options("one"));
  ASSERT_NE(source, nullptr);
  ASSERT_EQ(Collect(*source, 5).size(), 5u);
  std::string state;
  ASSERT_TRUE(source->SnapshotState(1, &state).ok());
  ASSERT_EQ(rd_kafka_mock_broker_set_down(mock_, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(source->NotifyCheckpointComplete(1).ok());  // a commit that cannot complete
  const absl::Time start = absl::Now();
  EXPECT_TRUE(source->Close().ok());
  // ~10 s (the consumer's session and request timeouts), not librdkafka's defaults (45-60 s).
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST_F(KafkaSourceTest, NewPartitionMissingFromTheCheckpointStartsAtItsBeginning) {
  for (int32_t p = 0; p < 3; ++p) Produce("events", p, Values(absl::StrCat("p", p, "-"), 0, 3));
  // A checkpoint from when the topic had one partition, read up to offset 2.
  KafkaSource* source = NewSource(Options("events", KafkaSource::StartFrom::kLatest), nullptr,
                                  R"({"topic": "events", "offsets": {"0": 2}})");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->positions(), (std::map<int32_t, int64_t>{{0, 2}, {1, 0}, {2, 0}}));
}

TEST(KafkaSourceStateTest, RestoreRejectsStateThatIsNotOffsets) {
  KafkaSource source(KafkaSource::Options{});
  for (const char* bad :
       {"", "17", "{}", R"({"topic": "t"})", R"({"topic": "t", "offsets": 1})",
        R"({"topic": "t", "offsets": {"x": 1}})", R"({"topic": "t", "offsets": {"0": -5}})"}) {
    absl::Status s = source.RestoreState(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("kafka-source: checkpoint state")) << bad;
  }
  EXPECT_TRUE(source.RestoreState(R"({"topic": "t", "offsets": {"0": 5, "3": 0}})").ok());
  // Several subtasks' states (a rescaled restore) must be of one topic.
  absl::Status other = source.RestoreState(R"({"topic": "u", "offsets": {"1": 5}})");
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other.message(), HasSubstr("topics 't' and 'u'"));
}

// Validation at submit, through the registry.
JobSpec SourceJob(const std::string& fields,
                  const std::map<std::string, std::string>& params = {}) {
  auto spec = ParseJobSpec(R"({"name": "j", "pipeline": [{"type": "kafka-source")" + fields +
                               R"(}, {"type": "print-sink"}]})",
                           params);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : JobSpec{};
}

TEST(KafkaSourceValidationTest, IsAValidFirstOperatorWithDefaults) {
  JobSpec job = SourceJob("", {{"kafka-bootstrap-servers", "k:9092"}, {"kafka-topic", "in"}});
  absl::Status s = ValidateJob(job);
  EXPECT_TRUE(s.ok()) << s;
  auto options = KafkaSourceOptions(job, job.pipeline[0], "pipeline[0]");
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->topic, "in");
  EXPECT_EQ(options->group_id, "ec-j");
  EXPECT_EQ(options->start_from, KafkaSource::StartFrom::kGroupOffsets);
  EXPECT_EQ(options->isolation_level, "read_committed");
  EXPECT_EQ(FindOperatorType("kafka-source")->kind, OperatorKind::kSource);
}

TEST(KafkaSourceValidationTest, MayNotComeAfterTheFirstOperator) {
  auto spec = ParseJobSpec(R"({"name": "j", "pipeline": [
      {"type": "socket-source", "hostname": "h", "port": 1},
      {"type": "kafka-source", "topic": "t", "kafka-bootstrap-servers": "k:1"},
      {"type": "print-sink"}]})");
  ASSERT_TRUE(spec.ok());
  EXPECT_THAT(ValidateJob(*spec).message(),
              HasSubstr("pipeline[1].type: a source may only come first"));
}

TEST(KafkaSourceValidationTest, BadStartFromIsRefusedNamingTheField) {
  absl::Status s = ValidateJob(SourceJob(R"(, "topic": "t", "start-from": "beginning")",
                                         {{"kafka-bootstrap-servers", "k:9092"}}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "job file: pipeline[0].start-from: expected one of "
            "earliest|latest|group-offsets, got 'beginning'");
}

TEST(KafkaSourceValidationTest, BadStopAtIsRefusedNamingTheField) {
  absl::Status s = ValidateJob(SourceJob(R"(, "topic": "t", "stop-at": "end")",
                                         {{"kafka-bootstrap-servers", "k:9092"}}));
  EXPECT_THAT(s.message(), HasSubstr("job file: pipeline[0].stop-at: expected one of "
                                     "never|latest"));
}

TEST(KafkaSourceValidationTest, BadIsolationLevelIsRefusedNamingTheField) {
  absl::Status s = ValidateJob(SourceJob(R"(, "topic": "t", "isolation-level": "dirty")",
                                         {{"kafka-bootstrap-servers", "k:9092"}}));
  EXPECT_THAT(s.message(), HasSubstr("job file: pipeline[0].isolation-level: expected one of "
                                     "read_committed|read_uncommitted"));
}

TEST(KafkaSourceValidationTest, MissingTopicAndBootstrapServersAreNamed) {
  EXPECT_THAT(ValidateJob(SourceJob("", {{"kafka-bootstrap-servers", "k:9092"}})).message(),
              HasSubstr("job file: pipeline[0].topic: missing"));
  EXPECT_THAT(ValidateJob(SourceJob(R"(, "topic": "t")")).message(),
              HasSubstr("kafka-bootstrap-servers"));
  EXPECT_THAT(ValidateJob(SourceJob(R"(, "topic": "t", "group-id": "")",
                                    {{"kafka-bootstrap-servers", "k:9092"}}))
                  .message(),
              HasSubstr("job file: pipeline[0].group-id: expected a non-empty string"));
}

TEST(KafkaSourceValidationTest, SettingsMayComeFromJobParameters) {
  JobSpec job = SourceJob("", {{"kafka-bootstrap-servers", "k:9092"},
                               {"kafka-topic", "in"},
                               {"start-from", "latest"},
                               {"group-id", "mine"},
                               {"kafka-sasl-password", "hunter2"}});
  auto options = KafkaSourceOptions(job, job.pipeline[0], "pipeline[0]");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->start_from, KafkaSource::StartFrom::kLatest);
  EXPECT_EQ(options->group_id, "mine");
  EXPECT_EQ(options->client.Describe().find("hunter2"), std::string::npos);
}

TEST(KafkaSourceValidationTest, KafkaToKafkaExampleValidatesWithItsDefaults) {
  const auto root = std::filesystem::path(EC_SOURCE_DIR);
  std::ifstream in(root / "examples" / "kafka-to-kafka.json");
  ASSERT_TRUE(in.good()) << root;
  std::stringstream text;
  text << in.rdbuf();
  auto spec = ParseJobSpec(text.str());
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::Status s = ValidateJob(*spec);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(spec->pipeline[0].type, "kafka-source");
  EXPECT_EQ(spec->pipeline[0].config["topic"], "events_raw");
  EXPECT_TRUE(spec->checkpoint_interval.has_value());
}

}  // namespace
}  // namespace ec
