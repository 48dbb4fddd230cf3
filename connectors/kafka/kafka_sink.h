// Kafka sink: writes every record to a Kafka topic, at-least-once by default.
#pragma once

#include <memory>

#include "connectors/kafka/kafka_writer.h"
#include "operators/operator.h"

namespace ec {

// Settings: `topic` (default ${kafka-topic}), the Kafka client parameters of DESIGN.md,
// `delivery-guarantee` (at-least-once | exactly-once | none), `delivery-timeout` (default 120s:
// a broker unreachable for longer fails the task). At-least-once: acks=all, idempotent
// producer, and Flush() before a checkpoint is acknowledged, or the task reports FINISHED or
// CANCELED, waits for every acknowledgement. Exactly-once (needs checkpoint-interval): records
// go into a Kafka transaction (transactional id "ec-<job>-<operator>-<subtask>") that is
// committed when the task snapshots for a checkpoint; a cancelled task aborts its open one and
// a restarted attempt fences the old producer, so what read_committed consumers see matches the
// checkpointed source position.
class KafkaSink : public Operator {
 public:
  absl::Status Open(OperatorContext& ctx) override;
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;
  absl::Status Tick() override { return writer_->Poll(); }
  absl::Status Flush(absl::Time deadline) override;
  absl::Status SnapshotState(int64_t checkpoint_id, std::string* state) override;

 private:
  std::unique_ptr<KafkaWriter> writer_;
};

absl::Status ValidateKafkaSink(const JobSpec& job, const OperatorSpec& op, const std::string& path);

}  // namespace ec
