// Side outputs (dead letters, late events) as Kafka topics, for the operator catalog.
#pragma once

#include "operators/side_output.h"

namespace ec {

// validate: the operator's Kafka settings resolve (ResolveKafkaConfig). open: a KafkaWriter to
// the topic with those settings (at-least-once, acknowledged at Flush).
SideOutputProvider KafkaSideOutputs();

}  // namespace ec
