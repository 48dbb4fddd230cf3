// Checkpoint state of the Kafka source and librdkafka partition lists.
#include "connectors/kafka/kafka_offsets.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ec {

std::string EncodeTopicOffsets(const std::string& topic, const PartitionOffsets& offsets,
                               const std::map<int32_t, int64_t>& stop) {
  nlohmann::json json = {{"topic", topic}, {"offsets", nlohmann::json::object()}};
  for (const auto& [p, offset] : offsets) json["offsets"][std::to_string(p)] = offset;
  for (const auto& [p, offset] : stop) json["stop-offsets"][std::to_string(p)] = offset;
  return json.dump();
}

absl::StatusOr<TopicOffsets> DecodeTopicOffsets(std::string_view state) {
  auto invalid = [](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka-source: checkpoint state is not {\"topic\": ..., \"offsets\": {...}}: ", why));
  };
  auto json = nlohmann::json::parse(state, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return invalid("not a JSON object");
  if (!json.contains("topic") || !json["topic"].is_string()) return invalid("no topic");
  if (!json.contains("offsets") || !json["offsets"].is_object()) return invalid("no offsets");
  if (json.contains("stop-offsets") && !json["stop-offsets"].is_object()) {
    return invalid("stop-offsets is not an object");
  }
  TopicOffsets result;
  result.topic = json["topic"].get<std::string>();
  for (const char* field : {"offsets", "stop-offsets"}) {
    if (!json.contains(field)) continue;
    for (const auto& [key, value] : json[field].items()) {
      int32_t partition = 0;
      if (!absl::SimpleAtoi(key, &partition) || partition < 0 || !value.is_number_integer() ||
          value.get<int64_t>() < 0) {
        return invalid(absl::StrCat("bad entry \"", key, "\": ", value.dump()));
      }
      (field[0] == 'o' ? result.offsets : result.stop)[partition] = value.get<int64_t>();
    }
  }
  return result;
}

PartitionList NewPartitionList(const std::string& topic, const std::vector<int32_t>& partitions,
                               int64_t offset) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = offset;
  }
  return list;
}

PartitionList NewPartitionList(const std::string& topic, const PartitionOffsets& offsets) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [p, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = offset;
  }
  return list;
}

}  // namespace ec
