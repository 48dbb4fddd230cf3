// The kafka-source's job-file fields, read into KafkaSource::Options.
#include "absl/strings/str_cat.h"
#include "connectors/kafka/kafka_operator_types.h"
#include "connectors/kafka/kafka_source.h"
#include "operators/config_fields.h"

namespace ec {

absl::StatusOr<KafkaSource::Options> KafkaSourceOptions(const JobSpec& job, const OperatorSpec& op,
                                                        const std::string& path) {
  ConfigFields fields(job, op, path);
  KafkaSource::Options options;
  auto topic = KafkaTopicOf(fields);
  if (!topic.ok()) return topic.status();
  options.topic = *topic;
  options.group_id = fields.StringOr("group-id", absl::StrCat("ec-", job.name));
  if (options.group_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path, ".group-id: expected a non-empty string"));
  }
  auto start = fields.ChoiceOr("start-from", "group-offsets", "earliest|latest|group-offsets");
  if (!start.ok()) return start.status();
  options.start_from = *start == "earliest" ? KafkaSource::StartFrom::kEarliest
                       : *start == "latest" ? KafkaSource::StartFrom::kLatest
                                            : KafkaSource::StartFrom::kGroupOffsets;
  auto stop = fields.ChoiceOr("stop-at", "never", "never|latest");
  if (!stop.ok()) return stop.status();
  options.bounded = *stop == "latest";
  auto isolation =
      fields.ChoiceOr("isolation-level", "read_committed", "read_committed|read_uncommitted");
  if (!isolation.ok()) return isolation.status();
  options.isolation_level = *isolation;
  auto client = ResolveKafkaConfig(job, op);
  if (!client.ok()) return client.status();
  options.client = *std::move(client);
  return options;
}

absl::Status ValidateKafkaSource(const JobSpec& job, const OperatorSpec& op,
                                 const std::string& path) {
  return KafkaSourceOptions(job, op, path).status();
}

}  // namespace ec
