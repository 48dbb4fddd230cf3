// Kafka sink: writes every record to a Kafka topic, at-least-once by default.
#pragma once

#include <memory>

#include "operators/sinks/kafka_writer.h"
#include "operators/operator.h"

namespace ec {

// Settings: `topic` (default ${kafka-topic}), the Kafka client parameters of DESIGN.md,
// `delivery-guarantee` (at-least-once | none), `delivery-timeout` (default 120s: a broker
// unreachable for longer fails the task). At-least-once: acks=all, idempotent producer, and
// Flush() before the task reports FINISHED or CANCELED waits for every acknowledgement.
class KafkaSink : public Operator {
 public:
  absl::Status Open(OperatorContext& ctx) override;
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;
  absl::Status Tick() override { return writer_->Poll(); }
  absl::Status Flush(absl::Time deadline) override { return writer_->Flush(deadline); }

 private:
  std::unique_ptr<KafkaWriter> writer_;
};

absl::Status ValidateKafkaSink(const JobSpec& job, const OperatorSpec& op, const std::string& path);

}  // namespace ec
