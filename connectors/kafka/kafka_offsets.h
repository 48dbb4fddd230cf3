// Partition offsets of one topic: the Kafka source's checkpoint state, and librdkafka's
// partition lists built from them.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ec {

// (partition, offset) pairs; for a position, the offset is the next one to read.
using PartitionOffsets = std::vector<std::pair<int32_t, int64_t>>;

struct TopicOffsets {
  std::string topic;
  std::map<int32_t, int64_t> offsets;
  std::map<int32_t, int64_t> stop;  // a bounded source's end offsets (empty: unbounded)
};

// {"topic": T, "offsets": {"<partition>": offset, ...}}, with "stop-offsets" likewise when
// `stop` is not empty: compact and readable in a checkpoint.
std::string EncodeTopicOffsets(const std::string& topic, const PartitionOffsets& offsets,
                               const std::map<int32_t, int64_t>& stop = {});
// The inverse; InvalidArgument naming what is wrong for anything else.
absl::StatusOr<TopicOffsets> DecodeTopicOffsets(std::string_view state);

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// A list of `topic`'s `partitions`, each with `offset`.
PartitionList NewPartitionList(const std::string& topic, const std::vector<int32_t>& partitions,
                               int64_t offset);
// A list of `topic`'s partitions with their own offsets.
PartitionList NewPartitionList(const std::string& topic, const PartitionOffsets& offsets);

}  // namespace ec
