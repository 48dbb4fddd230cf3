// Kafka sink: writes every record to a Kafka topic, at-least-once by default, or exactly-once
// with a two-phase commit over Kafka transactions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/kafka/kafka_protocol_client.h"
#include "connectors/kafka/kafka_transactions.h"
#include "connectors/kafka/kafka_writer.h"
#include "operators/operator.h"

namespace ec {

// Settings: `topic` (default ${kafka-topic}), the Kafka client parameters of DESIGN.md,
// `delivery-guarantee` (at-least-once | exactly-once | none), `delivery-timeout` (default 120s:
// a broker unreachable for longer fails the task).
//
// At-least-once: acks=all, idempotent producer, and Flush() before a checkpoint is
// acknowledged, or the task reports FINISHED or CANCELED, waits for every acknowledgement.
//
// Exactly-once (needs checkpoint-interval), Flink's KafkaSink two-phase commit:
//  - records go into a Kafka transaction. At a checkpoint the sink flushes it (every record
//    acknowledged), leaves it open, records {transactional id, producer id, epoch, start time,
//    checkpoint} in its state (pre-commit) and writes on into a transaction of another
//    transactional id from a bounded pool, "<transactional-id-prefix>-<subtask>-<slot>"
//    (prefix default "ec-<job>-<operator>", 3 slots: one writing, one awaiting its checkpoint's
//    completion, one spare). NotifyCheckpointComplete(k) commits every pre-committed
//    transaction up to k: output becomes visible to read_committed readers at checkpoint
//    completion. With every slot awaiting a commit, a checkpoint is declined.
//  - restored from checkpoint k, before anything else, it commits k's pre-committed
//    transactions still open, with their stored producer id and epoch (our own protocol
//    client: librdkafka cannot resume a transaction), recognising one already committed. Its
//    state is union state: every subtask judges every subtask's transactions and all decide
//    alike (DecideRestore). One aborted by the broker (its `transaction-timeout` passed during
//    a downtime), or about to be, means none is committed: the task fails with
//    LostCheckpointError, and the JobManager restores an older checkpoint and replays.
//  - then it fences (initialises) every other transactional id of the pools it took over, so
//    no transaction of an earlier attempt, or of a subtask gone by a rescale, lingers and
//    blocks read_committed readers. State is unioned on rescale; restored subtask j's pool is
//    taken over by subtask j mod parallelism.
//  - a cancelled task aborts the transaction it is writing and leaves pre-committed ones to
//    whoever restores their checkpoint; a finishing task (end of input, stop with savepoint)
//    waits for its last checkpoint to complete, commits, and commits what it wrote after.
class KafkaSink : public Operator {
 public:
  ~KafkaSink() override;
  absl::Status Open(OperatorContext& ctx) override;
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;
  absl::Status Tick() override;
  absl::Status Flush(absl::Time deadline) override;
  absl::Status SnapshotState(int64_t checkpoint_id, std::string* state) override;
  absl::Status RestoreState(std::string_view state) override;
  absl::Status NotifyCheckpointComplete(int64_t checkpoint_id) override;

 private:
  struct Pending {
    PreCommittedTransaction txn;
    int slot = 0;  // the pool slot whose producer holds it open
  };
  absl::Status OpenExactlyOnce(KafkaWriter::Options options);
  // Judges every restored pre-committed transaction (of every old subtask), decides for all
  // (DecideRestore), commits those still open, then fences the rest of the pools this subtask
  // takes over.
  absl::Status RecoverRestored(const KafkaWriter::Options& options);
  absl::StatusOr<RecoveryJudgement> JudgeRestored(const PreCommittedTransaction& txn,
                                                  absl::Time deadline);
  absl::Status CommitRecovered(const PreCommittedTransaction& txn, absl::Time deadline);
  absl::Status CommitUpTo(int64_t checkpoint_id, absl::Time deadline);
  absl::StatusOr<std::unique_ptr<KafkaWriter>> NewTransactionalWriter(
      const KafkaWriter::Options& base, const std::string& transactional_id) const;
  bool exactly_once() const { return !pool_.empty(); }

  std::unique_ptr<KafkaWriter> writer_;  // at-least-once and none
  Gauge* in_flight_ = nullptr;           // the recordsInFlight metric, set on every Tick
  // exactly-once: the pool's producers by slot (each with an open, maybe empty, transaction),
  // the slot being written, and the pre-committed transactions, oldest first.
  std::vector<std::unique_ptr<KafkaWriter>> pool_;
  int current_ = 0;
  std::vector<Pending> pending_;
  std::string prefix_;
  absl::Duration commit_timeout_ = absl::Seconds(60);
  std::unique_ptr<KafkaProtocolClient> protocol_;
  std::vector<KafkaSinkState> restored_;
};

absl::Status ValidateKafkaSink(const JobSpec& job, const OperatorSpec& op, const std::string& path);

}  // namespace ec
