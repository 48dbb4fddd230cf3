// The Kafka connector's operator types.
#include "connectors/kafka/kafka_operator_types.h"

#include <memory>

#include "connectors/kafka/kafka_sink.h"
#include "connectors/kafka/kafka_source.h"

namespace ec {

OperatorTraits KafkaSourceTraits() { return OperatorTraits{}; }

namespace {

// Every subtask of an exactly-once sink judges every restored pre-committed transaction.
OperatorTraits KafkaSinkTraits() {
  OperatorTraits traits;
  traits.union_state = true;
  return traits;
}

}  // namespace

std::vector<OperatorType> KafkaOperatorTypes() {
  std::vector<OperatorType> types;
  types.push_back(
      {"kafka-source", OperatorKind::kSource,
       "reads a Kafka topic; offsets in checkpoints, committed to the group when they complete",
       ValidateKafkaSource,
       [](const JobSpec& j, const OperatorSpec& o) -> std::unique_ptr<Operator> {
         return std::make_unique<KafkaSource>(*KafkaSourceOptions(j, o, o.name));
       },
       KafkaSourceTraits()});
  types.push_back({"kafka-sink", OperatorKind::kSink, "writes records to a Kafka topic",
                   ValidateKafkaSink,
                   [](const JobSpec&, const OperatorSpec&) -> std::unique_ptr<Operator> {
                     return std::make_unique<KafkaSink>();
                   },
                   KafkaSinkTraits()});
  return types;
}

}  // namespace ec
