// The Kafka source's metrics: Flink's per-partition offset and lag gauges and FLIP-33's
// pendingRecords.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "connectors/kafka/kafka_source.h"

namespace ec {

void KafkaSource::RegisterGauges() {
  if (!ctx_->counters) return;
  for (int32_t p : partitions_) {
    const MetricLabels labels = {{"topic", options_.topic}, {"partition", absl::StrCat(p)}};
    partition_gauges_.push_back(
        {p,
         &ctx_->counters->AddGauge("KafkaSourceReader_topic_partition_currentOffset",
                                   "The offset of the next record to read from the partition.",
                                   labels),
         &ctx_->counters->AddGauge("KafkaSourceReader_topic_partition_lag",
                                   "Records of the partition not read yet (its end as of the "
                                   "last fetch, minus currentOffset).",
                                   labels)});
  }
  pending_records_ = &ctx_->counters->AddGauge(
      "pendingRecords", "Records not read yet, over the subtask's partitions (FLIP-33).");
}

void KafkaSource::UpdateGauges() {
  if (partition_gauges_.empty()) return;
  const absl::Time now = absl::Now();
  if (now - gauges_updated_ < absl::Seconds(1)) return;
  gauges_updated_ = now;
  const Offsets offsets = CurrentOffsets();
  int64_t pending = 0;
  for (const auto& g : partition_gauges_) {
    auto it = std::find_if(offsets.begin(), offsets.end(),
                           [&](const auto& o) { return o.first == g.partition; });
    if (it == offsets.end()) continue;
    int64_t low = 0, high = 0;  // as of the last fetch response: no request here
    const bool known = rd_kafka_get_watermark_offsets(rk_, options_.topic.c_str(), g.partition,
                                                      &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR;
    const int64_t lag = known && high >= 0 ? std::max<int64_t>(0, high - it->second) : 0;
    g.offset->Set(it->second);
    g.lag->Set(lag);
    pending += lag;
  }
  pending_records_->Set(pending);
}

}  // namespace ec
