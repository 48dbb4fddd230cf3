// The exactly-once sink's checkpointed state and how a restored pre-committed transaction is
// judged from its coordinator's description (the descriptions are the broker's, as
// tests/integration/kafka_protocol/kafka_protocol_broker_test.cc observed them on Kafka 4.2).
#include "connectors/kafka/kafka_transactions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(KafkaSinkStateTest, PoolIdsNameThePrefixSubtaskAndSlot) {
  EXPECT_EQ(PoolTransactionalId("ec-job-out", 1, 2), "ec-job-out-1-2");
}

TEST(RecoveredTransactionTest, StillOpenWithTheSameProducerIsCommitted) {
  EXPECT_EQ(JudgeRecoveredTransaction(Txn(), Described("Ongoing")).verdict,
            RecoveryVerdict::kCommit);
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

}  // namespace
}  // namespace ec
