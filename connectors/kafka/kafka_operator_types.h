// The Kafka connector's entries for the operator catalog (operators/registry.cc lists them).
#pragma once

#include <vector>

#include "operators/operator_type.h"
#include "runtime/job_graph.h"

namespace ec {

// kafka-source and kafka-sink, in that order.
std::vector<OperatorType> KafkaOperatorTypes();

// The kafka-source's traits: parallel (each subtask reads the partitions p with
// p % parallelism == subtask), not keyed.
OperatorTraits KafkaSourceTraits();

}  // namespace ec
