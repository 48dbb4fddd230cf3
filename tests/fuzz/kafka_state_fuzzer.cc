// Fuzzes what the Kafka connector restores from a checkpoint: the source's partition offsets
// and the exactly-once sink's pre-committed transactions. Foreign bytes must be refused; what
// decodes must encode back to the same state.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/kafka/kafka_offsets.h"
#include "connectors/kafka/kafka_transactions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto offsets = ec::DecodeTopicOffsets(bytes); offsets.ok()) {
    const ec::PartitionOffsets pairs(offsets->offsets.begin(), offsets->offsets.end());
    auto again = ec::DecodeTopicOffsets(ec::EncodeTopicOffsets(offsets->topic, pairs));
    if (!again.ok() || again->topic != offsets->topic || again->offsets != offsets->offsets) {
      __builtin_trap();
    }
  }
  if (auto sink = ec::DecodeKafkaSinkState(bytes); sink.ok()) {
    auto again = ec::DecodeKafkaSinkState(ec::EncodeKafkaSinkState(*sink));
    if (!again.ok() || again->pending.size() != sink->pending.size() ||
        again->prefix != sink->prefix || again->subtask != sink->subtask) {
      __builtin_trap();
    }
  }
  return 0;
}
