// Dead-letter output over the catalog's side outputs.
#include "operators/transforms/dead_letter.h"

#include "operators/config_fields.h"
#include "operators/registry.h"
#include "runtime/logging.h"

namespace ec {
namespace {

constexpr uint64_t kLoggedRecords = 5;

// The dead-letter topic, or "" when dead letters are only counted.
std::string DeadLetterTopic(const JobSpec& job, const OperatorSpec& op) {
  if (auto topic = job.Setting(op, "dead-letter-topic")) return *topic == "none" ? "" : *topic;
  auto main_topic = job.Setting(op, "kafka-topic");
  auto bootstrap = job.Setting(op, "kafka-bootstrap-servers");
  if (!main_topic || main_topic->empty() || !bootstrap || bootstrap->empty()) return "";
  return *main_topic + ".dlq";
}

}  // namespace

absl::Status ValidateDeadLetter(const JobSpec& job, const OperatorSpec& op,
                                const std::string& path) {
  if (DeadLetterTopic(job, op).empty()) return absl::OkStatus();
  (void)path;
  return SideOutputs().validate(job, op);
}

absl::StatusOr<std::unique_ptr<DeadLetterOutput>> DeadLetterOutput::Create(
    const OperatorContext& ctx) {
  return CreateForTopic(ctx, DeadLetterTopic(*ctx.job, *ctx.spec));
}

absl::StatusOr<std::unique_ptr<DeadLetterOutput>> DeadLetterOutput::CreateForTopic(
    const OperatorContext& ctx, const std::string& topic) {
  auto out = std::make_unique<DeadLetterOutput>();
  out->ctx_ = &ctx;
  if (topic.empty()) return out;
  auto writer = SideOutputs().open(ctx, topic);
  if (!writer.ok()) return writer.status();
  out->writer_ = *std::move(writer);
  return out;
}

absl::Status DeadLetterTransform::Open(OperatorContext& ctx) {
  ctx_ = &ctx;
  auto dead_letters = DeadLetterOutput::Create(ctx);
  if (!dead_letters.ok()) return dead_letters.status();
  dead_letters_ = *std::move(dead_letters);
  return absl::OkStatus();
}

absl::Status DeadLetterOutput::Write(std::string_view record, std::string_view reason) {
  if (ctx_->counters) ctx_->counters->AddDeadLetter(1);
  if (logged_ < kLoggedRecords) {
    ++logged_;
    Logger("dead-letter")
        ->warn("{} op={} rejected a record ({}){}", ctx_->task_name, ctx_->spec->name, reason,
               logged_ == kLoggedRecords ? "; further rejections are only counted" : "");
  }
  return writer_ ? writer_->Write(record) : absl::OkStatus();
}

}  // namespace ec
