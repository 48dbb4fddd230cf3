// Kafka sink over KafkaWriter.
#include "operators/sinks/kafka_sink.h"

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
  auto topic = fields.String("topic");
  if (!topic.ok()) {
    auto fallback = fields.String("kafka-topic");
    if (!fallback.ok()) return topic.status();
    topic = fallback;
  }
  settings.topic = *topic;
  auto guarantee = fields.ChoiceOr("delivery-guarantee", "at-least-once", "at-least-once|none");
  if (!guarantee.ok()) return guarantee.status();
  settings.guarantee = *guarantee;
  auto timeout = fields.DurationOr("delivery-timeout", absl::Seconds(120));
  if (!timeout.ok()) return timeout.status();
  if (*timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError("job file: " + path + ".delivery-timeout: expected at least 1s");
  }
  settings.delivery_timeout = *timeout;
  return settings;
}

}  // namespace

absl::Status ValidateKafkaSink(const JobSpec& job, const OperatorSpec& op, const std::string& path) {
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
  auto writer = KafkaWriter::Create(std::move(options));
  if (!writer.ok()) return writer.status();
  writer_ = *std::move(writer);
  return absl::OkStatus();
}

absl::Status KafkaSink::ProcessBatch(const RecordBatch& in, RecordBatch&) {
  if (auto s = writer_->WriteBatch(in); !s.ok()) return s;
  return writer_->Poll();
}

}  // namespace ec
