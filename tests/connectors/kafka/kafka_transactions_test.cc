// The exactly-once sink's checkpointed state and how a restored pre-committed transaction is
// judged from its coordinator's description (the descriptions are the broker's, as
// tests/integration/kafka_protocol/kafka_protocol_broker_test.cc observed them on Kafka 4.2).
#include "connectors/kafka/kafka_transactions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "connectors/kafka/kafka_wire.h"

namespace ec {
namespace {

using ::testing::HasSubstr;

PreCommittedTransaction Txn() {
  PreCommittedTransaction txn;
  txn.checkpoint_id = 9;
  txn.transactional_id = "ec-job-out-0-1";
  txn.producer_id = 4001;
  txn.producer_epoch = 3;
  txn.start_time_ms = 1700000000123;
  txn.records = 500;
  return txn;
}

TransactionDescription Described(const std::string& state, int64_t pid = 4001, int16_t epoch = 3,
                                 int64_t start = 1700000000123) {
  TransactionDescription d;
  d.state = state;
  d.producer_id = pid;
  d.producer_epoch = epoch;
  d.start_time_ms = start;
  d.timeout_ms = 60000;
  return d;
}

TEST(KafkaSinkStateTest, RoundTripsEveryField) {
  KafkaSinkState state;
  state.prefix = "ec-job-out";
  state.subtask = 2;
  state.pool_size = 3;
  state.pending = {Txn(), Txn()};
  state.pending[1].checkpoint_id = 10;
  state.pending[1].transactional_id = "ec-job-out-2-2";
  auto decoded = DecodeKafkaSinkState(EncodeKafkaSinkState(state));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->prefix, "ec-job-out");
  EXPECT_EQ(decoded->subtask, 2);
  EXPECT_EQ(decoded->pool_size, 3);
  ASSERT_EQ(decoded->pending.size(), 2u);
  const PreCommittedTransaction& t = decoded->pending[0];
  EXPECT_EQ(t.checkpoint_id, 9);
  EXPECT_EQ(t.transactional_id, "ec-job-out-0-1");
  EXPECT_EQ(t.producer_id, 4001);
  EXPECT_EQ(t.producer_epoch, 3);
  EXPECT_EQ(t.start_time_ms, 1700000000123);
  EXPECT_EQ(t.records, 500);
  EXPECT_EQ(decoded->pending[1].checkpoint_id, 10);
}

TEST(KafkaSinkStateTest, ForeignBytesAreRefusedByName) {
  for (const char* bytes :
       {"", "not json", R"({"topic":"t","offsets":{}})", R"({"kafka-sink":1,"subtask":"x"})"}) {
    auto decoded = DecodeKafkaSinkState(bytes);
    ASSERT_FALSE(decoded.ok()) << bytes;
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("kafka sink state")) << bytes;
  }
}

// kafka_state_fuzzer found this: a number beyond int64 is a float to nlohmann, and get<int64_t>
// converted it with undefined behaviour (UBSan). Every integer field is checked for its type
// and range now.
TEST(KafkaSinkStateTest, NumbersThatAreNotInRangeIntegersAreRefusedByName) {
  const std::string head =
      R"({"kafka-sink": 1, "transactional-id-prefix": "p", "subtask": 0, "pool-size": 3, )";
  const std::string txn =
      R"("checkpoint": 4, "transactional-id": "p-0-0", "producer-id": 4001, "producer-epoch": 3, )";
  for (const auto& [bytes, field] : std::vector<std::pair<std::string, std::string>>{
           {head + R"("pending": [{)" + txn + R"("start-time-ms": 133333333700000000123}]})",
            "start-time-ms"},
           {head + R"("pending": [{)" + txn + R"("start-time-ms": 1.5}]})", "start-time-ms"},
           {head + R"("pending": [{)" + txn + R"("start-time-ms": 18446744073709551615}]})",
            "start-time-ms"},
           {head + R"("pending": [{)" + txn + R"("start-time-ms": 1, "records": -1}]})",
            "records"},
           {R"({"kafka-sink": 1, "transactional-id-prefix": "p", "subtask": 4294967296, )"
            R"("pool-size": 3, "pending": []})",
            "subtask"},
           {R"({"kafka-sink": 1, "transactional-id-prefix": "p", "subtask": 0, )"
            R"("pool-size": -1, "pending": []})",
            "pool-size"},
           {R"({"kafka-sink": 1, "transactional-id-prefix": "p", "subtask": 0, "pool-size": 3, )"
            R"("pending": [{"checkpoint": 4, "transactional-id": "p-0-0", "producer-id": 1, )"
            R"("producer-epoch": 40000, "start-time-ms": 1}]})",
            "producer-epoch"}}) {
    auto decoded = DecodeKafkaSinkState(bytes);
    ASSERT_FALSE(decoded.ok()) << bytes;
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("kafka sink state: " + field))
        << bytes;
  }
}

TEST(KafkaSinkStateTest, PoolIdsNameThePrefixSubtaskAndSlot) {
  EXPECT_EQ(PoolTransactionalId("ec-job-out", 1, 2), "ec-job-out-1-2");
}

TEST(RecoveredTransactionTest, StillOpenWithTheSameProducerIsCommitted) {
  const RecoveryJudgement judged = JudgeRecoveredTransaction(Txn(), Described("Ongoing"));
  EXPECT_EQ(judged.verdict, RecoveryVerdict::kCommit);
  EXPECT_EQ(judged.expires_ms, 1700000000123 + 60000) << "start + the transaction's timeout";
}

TEST(RecoveredTransactionTest, CommittedBeforeTheCrashIsRecognised) {
  for (const char* state : {"PrepareCommit", "CompleteCommit"}) {
    EXPECT_EQ(JudgeRecoveredTransaction(Txn(), Described(state)).verdict,
              RecoveryVerdict::kAlreadyCommitted)
        << state;
  }
  // Kafka 4's transactions v2 bump the epoch at the commit: still recognised.
  EXPECT_EQ(JudgeRecoveredTransaction(Txn(), Described("CompleteCommit", 4001, 4)).verdict,
            RecoveryVerdict::kAlreadyCommitted);
}

TEST(RecoveredTransactionTest, AnIdThatMovedOnToALaterTransactionWasCommitted) {
  // The sink reuses an id only after its transaction committed.
  EXPECT_EQ(JudgeRecoveredTransaction(Txn(), Described("Ongoing", 4001, 3, 1700000009999)).verdict,
            RecoveryVerdict::kAlreadyCommitted);
  EXPECT_EQ(JudgeRecoveredTransaction(Txn(), Described("Empty", 4001, 4, -1)).verdict,
            RecoveryVerdict::kAlreadyCommitted);
}

TEST(RecoveredTransactionTest, AbortedByTheBrokersTimeoutIsLostAndSaysWhy) {
  // The coordinator aborts a timed-out transaction and bumps the epoch, keeping its start.
  for (const char* state : {"PrepareAbort", "CompleteAbort", "PrepareEpochFence"}) {
    RecoveryJudgement j = JudgeRecoveredTransaction(Txn(), Described(state, 4001, 4));
    EXPECT_EQ(j.verdict, RecoveryVerdict::kLost) << state;
    EXPECT_THAT(j.reason, HasSubstr("checkpoint 9"));
    EXPECT_THAT(j.reason, HasSubstr("ec-job-out-0-1"));
    EXPECT_THAT(j.reason, HasSubstr("timeout"));
  }
}

TEST(RecoveredTransactionTest, AnIdTheCoordinatorForgotIsLost) {
  absl::StatusOr<TransactionDescription> unknown =
      absl::NotFoundError("TRANSACTIONAL_ID_NOT_FOUND");
  RecoveryJudgement j = JudgeRecoveredTransaction(Txn(), unknown);
  EXPECT_EQ(j.verdict, RecoveryVerdict::kLost);
  EXPECT_THAT(j.reason, HasSubstr("no longer knows"));
}

TEST(RecoveredTransactionTest, ACommitRefusedForAnUnknownProducerIdIsLostNotRetried) {
  // The coordinator forgot the producer (transactional.id.expiration.ms): every restart would
  // be refused the same way, so the checkpoint is given up for an older one instead.
  for (int16_t code : {kafka_error::kInvalidProducerIdMapping, kafka_error::kUnknownProducerId}) {
    const absl::Status refusal = kafka_wire::WithErrorCode(
        absl::FailedPreconditionError("EndTxn v3 commit 'ec-job-out-0-1' producer 4001 epoch 3"),
        code);
    std::optional<RecoveryJudgement> j = JudgeRefusedCommit(Txn(), refusal);
    ASSERT_TRUE(j.has_value()) << code;
    EXPECT_EQ(j->verdict, RecoveryVerdict::kLost);
    EXPECT_THAT(j->reason, HasSubstr("checkpoint 9"));
    EXPECT_THAT(j->reason, HasSubstr("no longer knows the producer"));
  }
}

TEST(RecoveredTransactionTest, OtherCommitRefusalsAreLeftToARestart) {
  for (int16_t code : {kafka_error::kInvalidTxnState, kafka_error::kProducerFenced,
                       kafka_error::kInvalidProducerEpoch}) {
    const absl::Status refusal =
        kafka_wire::WithErrorCode(absl::FailedPreconditionError("EndTxn refused"), code);
    EXPECT_FALSE(JudgeRefusedCommit(Txn(), refusal).has_value()) << code;
  }
  EXPECT_FALSE(JudgeRefusedCommit(Txn(), absl::UnavailableError("connection lost")).has_value());
}

// DecideRestore: three subtasks' transactions of checkpoints 8 and 9, judged at `now`.
class RestoreDecisionTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1700000030000;  // 30 s after the transactions began

  void Add(RecoveryVerdict verdict, int64_t checkpoint, int64_t expires_ms = kNow + 30000) {
    PreCommittedTransaction txn = Txn();
    txn.checkpoint_id = checkpoint;
    txn.transactional_id = "ec-job-out-" + std::to_string(txns_.size()) + "-0";
    txns_.push_back(txn);
    judged_.push_back({verdict, "transaction of checkpoint " + std::to_string(checkpoint),
                       verdict == RecoveryVerdict::kCommit ? expires_ms : -1});
  }
  RestoreDecision Decide() const {
    return DecideRestore(judged_, txns_, kNow, RestoreCommitMargin(absl::Seconds(60)));
  }

  std::vector<PreCommittedTransaction> txns_;
  std::vector<RecoveryJudgement> judged_;
};

TEST_F(RestoreDecisionTest, AllStillOpenWithTimeToSpareAreCommitted) {
  Add(RecoveryVerdict::kCommit, 9);
  Add(RecoveryVerdict::kCommit, 9);
  Add(RecoveryVerdict::kAlreadyCommitted, 8);
  EXPECT_TRUE(Decide().commit);
}

TEST_F(RestoreDecisionTest, OneSubtasksLostTransactionMeansNoSubtaskCommits) {
  Add(RecoveryVerdict::kCommit, 9);
  Add(RecoveryVerdict::kLost, 9);
  Add(RecoveryVerdict::kCommit, 9);
  const RestoreDecision decision = Decide();
  EXPECT_FALSE(decision.commit);
  EXPECT_EQ(decision.lost_checkpoint, 9);
  EXPECT_THAT(decision.reason, HasSubstr("no transaction of it is committed"));
}

TEST_F(RestoreDecisionTest, OneAboutToExpireMeansNoneIsCommittedRatherThanSomeOnly) {
  Add(RecoveryVerdict::kCommit, 9);
  Add(RecoveryVerdict::kCommit, 9, kNow + 2000);  // 2 s left, margin 6 s (a tenth of 60 s)
  const RestoreDecision decision = Decide();
  EXPECT_FALSE(decision.commit);
  EXPECT_EQ(decision.lost_checkpoint, 9);
  EXPECT_THAT(decision.reason, HasSubstr("ends in 2000ms, within the 6000ms margin"));
  Add(RecoveryVerdict::kCommit, 8, kNow - 1);  // past its timeout, not yet aborted
  EXPECT_EQ(Decide().lost_checkpoint, 8) << "the oldest checkpoint with a doubtful transaction";
}

TEST_F(RestoreDecisionTest, InTheMiddleOfTheCommitPhaseAnExpiringOneIsStillCommitted) {
  Add(RecoveryVerdict::kAlreadyCommitted, 9);  // committed at completion, before the crash
  Add(RecoveryVerdict::kCommit, 9, kNow + 2000);
  EXPECT_TRUE(Decide().commit) << "the others are visible already: finish while it can be done";
}

TEST_F(RestoreDecisionTest, InTheMiddleOfTheCommitPhaseALostOneFallsBackAndSaysWhatRepeats) {
  Add(RecoveryVerdict::kAlreadyCommitted, 9);
  Add(RecoveryVerdict::kLost, 9);
  const RestoreDecision decision = Decide();
  EXPECT_FALSE(decision.commit) << "never lose records silently";
  EXPECT_THAT(decision.reason, HasSubstr("writes their records again"));
}

TEST(RestoreCommitMarginTest, ATenthOfTheTimeoutBetweenOneAndThirtySeconds) {
  EXPECT_EQ(RestoreCommitMargin(absl::Seconds(4)), absl::Seconds(1));
  EXPECT_EQ(RestoreCommitMargin(absl::Seconds(60)), absl::Seconds(6));
  EXPECT_EQ(RestoreCommitMargin(absl::Minutes(15)), absl::Seconds(30));
}

}  // namespace
}  // namespace ec
