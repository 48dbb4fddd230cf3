// Side outputs over KafkaWriter.
#include "connectors/kafka/kafka_side_output.h"

#include <utility>

#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/kafka_writer.h"

namespace ec {
namespace {

class KafkaSideOutput : public SideOutput {
 public:
  explicit KafkaSideOutput(std::unique_ptr<KafkaWriter> writer) : writer_(std::move(writer)) {}
  absl::Status Write(std::string_view record) override { return writer_->Write(record); }
  absl::Status Poll() override { return writer_->Poll(); }
  absl::Status Flush(absl::Time deadline) override { return writer_->Flush(deadline); }

 private:
  std::unique_ptr<KafkaWriter> writer_;
};

}  // namespace

SideOutputProvider KafkaSideOutputs() {
  return {
      .validate = [](const JobSpec& job,
                     const OperatorSpec& op) { return ResolveKafkaConfig(job, op).status(); },
      .open = [](const OperatorContext& ctx,
                 const std::string& topic) -> absl::StatusOr<std::unique_ptr<SideOutput>> {
        auto client = ResolveKafkaConfig(*ctx.job, *ctx.spec);
        if (!client.ok()) return client.status();
        KafkaWriter::Options options;
        options.client = *std::move(client);
        options.topic = topic;
        options.log_prefix = ctx.task_name;
        auto writer = KafkaWriter::Create(std::move(options));
        if (!writer.ok()) return writer.status();
        return std::make_unique<KafkaSideOutput>(*std::move(writer));
      },
  };
}

}  // namespace ec
