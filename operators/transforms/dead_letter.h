// DeadLetterOutput: where a transform sends records it cannot process, so nothing is lost.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "operators/operator.h"
#include "operators/side_output.h"

namespace ec {

// Writes rejected records, unchanged, through the catalog's side outputs (SideOutputs(): Kafka)
// to the job's dead-letter topic (the operator's
// `dead-letter-topic`, default "<kafka-topic>.dlq") and counts them. With no Kafka configured
// (e.g. a benchmark chain with a discard sink) or `dead-letter-topic` set to "none", records
// are counted and the first few logged. Owned by one operator, used from its task thread.
class DeadLetterOutput {
 public:
  static absl::StatusOr<std::unique_ptr<DeadLetterOutput>> Create(const OperatorContext& ctx);
  // The same to `topic` ("": count and log only), for side outputs such as a window
  // operator's late events; the operator's Kafka settings apply.
  static absl::StatusOr<std::unique_ptr<DeadLetterOutput>> CreateForTopic(
      const OperatorContext& ctx, const std::string& topic);

  absl::Status Write(std::string_view record, std::string_view reason);
  absl::Status Poll() { return writer_ ? writer_->Poll() : absl::OkStatus(); }
  absl::Status Flush(absl::Time deadline) {
    return writer_ ? writer_->Flush(deadline) : absl::OkStatus();
  }

 private:
  const OperatorContext* ctx_ = nullptr;
  std::unique_ptr<SideOutput> writer_;  // null: count and log only
  uint64_t logged_ = 0;
};

// A transform with a dead-letter output: opens it, serves it each tick and flushes it.
class DeadLetterTransform : public Operator {
 public:
  absl::Status Open(OperatorContext& ctx) override;
  absl::Status Tick() override { return dead_letters_->Poll(); }
  absl::Status Flush(absl::Time deadline) override { return dead_letters_->Flush(deadline); }

 protected:
  std::unique_ptr<DeadLetterOutput> dead_letters_;
};

// Validates the dead-letter settings of a transform (used by the registry).
absl::Status ValidateDeadLetter(const JobSpec& job, const OperatorSpec& op,
                                const std::string& path);

}  // namespace ec
