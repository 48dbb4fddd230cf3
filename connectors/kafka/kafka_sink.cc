// Kafka sink over KafkaWriter.
#include "connectors/kafka/kafka_sink.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "operators/config_fields.h"

namespace ec {
namespace {

struct SinkSettings {
  std::string topic;
  std::string guarantee;
  absl::Duration delivery_timeout;
};

absl::StatusOr<SinkSettings> ReadSettings(const JobSpec& job, const OperatorSpec& op,
                                          const std::string& path) {
  ConfigFields fields(job, op, path);
  SinkSettings settings;
  auto topic = KafkaTopicOf(fields);
  if (!topic.ok()) return topic.status();
  settings.topic = *topic;
  auto guarantee =
      fields.ChoiceOr("delivery-guarantee", "at-least-once", "at-least-once|exactly-once|none");
  if (!guarantee.ok()) return guarantee.status();
  if (*guarantee == "exactly-once" && !job.checkpoint_interval) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path,
                     ".delivery-guarantee: exactly-once commits a Kafka transaction per "
                     "checkpoint; set checkpoint-interval (e.g. --checkpoint-interval 1s)"));
  }
  settings.guarantee = *guarantee;
  auto timeout = fields.DurationOr("delivery-timeout", absl::Seconds(120));
  if (!timeout.ok()) return timeout.status();
  if (*timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError("job file: " + path +
                                      ".delivery-timeout: expected at least 1s");
  }
  settings.delivery_timeout = *timeout;
  return settings;
}

}  // namespace

absl::Status ValidateKafkaSink(const JobSpec& job, const OperatorSpec& op,
                               const std::string& path) {
  auto settings = ReadSettings(job, op, path);
  if (!settings.ok()) return settings.status();
  return ResolveKafkaConfig(job, op).status();
}

absl::Status KafkaSink::Open(OperatorContext& ctx) {
  ctx_ = &ctx;
  auto settings = ReadSettings(*ctx.job, *ctx.spec, ctx.spec->name);
  if (!settings.ok()) return settings.status();
  auto client = ResolveKafkaConfig(*ctx.job, *ctx.spec);
  if (!client.ok()) return client.status();
  KafkaWriter::Options options;
  options.client = *std::move(client);
  options.topic = settings->topic;
  options.guarantee = settings->guarantee;
  options.delivery_timeout = settings->delivery_timeout;
  options.log_prefix = ctx.task_name;
  options.delivered = ctx.counters;
  if (settings->guarantee == "exactly-once") {
    options.transactional_id =
        absl::StrCat("ec-", ctx.job_id, "-", ctx.spec->name, "-", ctx.subtask);
    // Open transactions must outlive a checkpoint interval with margin, within the broker's
    // transaction.max.timeout.ms (15 minutes by default).
    // librdkafka also wants the delivery timeout within the transaction timeout.
    options.transaction_timeout =
        std::clamp(std::max(*ctx.job->checkpoint_interval * 10, options.delivery_timeout),
                   absl::Seconds(60), absl::Minutes(15));
    options.delivery_timeout = std::min(options.delivery_timeout, options.transaction_timeout);
  }
  auto writer = KafkaWriter::Create(std::move(options));
  if (!writer.ok()) return writer.status();
  writer_ = *std::move(writer);
  return absl::OkStatus();
}

absl::Status KafkaSink::Flush(absl::Time deadline) {
  if (!writer_->transactional()) return writer_->Flush(deadline);
  // Cancelled: what was written since the last checkpoint is replayed by whoever restores it.
  if (ctx_->IsCancelled()) return writer_->AbortTransaction(deadline);
  return writer_->CommitTransaction(deadline);
}

absl::Status KafkaSink::SnapshotState(int64_t, std::string*) {
  // The task flushed (at-least-once) or committed (exactly-once) in Flush() just before.
  return absl::OkStatus();
}

absl::Status KafkaSink::ProcessBatch(const RecordBatch& in, RecordBatch&) {
  if (auto s = writer_->WriteBatch(in); !s.ok()) return s;
  return writer_->Poll();
}

}  // namespace ec
