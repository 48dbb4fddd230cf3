// The Kafka connector's one error policy: which librdkafka errors fail a task at once and whose
// they are. The source, the writer (sink and dead-letter outputs) and their callbacks all ask it.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

#include "proto/common.pb.h"

namespace ec {

struct KafkaErrorClass {
  // True: retrying cannot help (bad credentials, missing ACLs, a fatal client error), so the task
  // fails now with the error. False: librdkafka (or the next checkpoint) retries by itself; the
  // caller warns and goes on, or fails only when its own deadline passes.
  bool fatal = false;
  // Whose it is, as the task failure reports it: USER (credentials, ACLs, a missing topic),
  // EXTERNAL (the brokers: down, unreachable, timed out, a fatal client state).
  proto::ErrorDomain domain = proto::EXTERNAL;
};

// Classifies a librdkafka error code. An authentication failure (RD_KAFKA_RESP_ERR__AUTHENTICATION
// or SASL_AUTHENTICATION_FAILED) and an authorization failure (topic, cluster, group or
// transactional id) are fatal and the user's, as in Kafka's Java client and Flink; so is
// RD_KAFKA_RESP_ERR__FATAL (callers read the underlying error with rd_kafka_fatal_error).
// A missing topic is the user's but not fatal here: metadata may lag a topic just created, so
// the source waits a grace period and the writer's delivery report fails it. Everything else
// (brokers down, transport errors, timeouts) is retryable and external.
KafkaErrorClass ClassifyKafkaError(rd_kafka_resp_err_t err);

// ClassifyKafkaError(err).fatal.
inline bool IsFatalKafkaError(rd_kafka_resp_err_t err) { return ClassifyKafkaError(err).fatal; }

// What an error callback (rd_kafka_conf_set_error_cb) was told, read once for every client:
// RD_KAFKA_RESP_ERR__FATAL is replaced by the underlying error and its text
// (rd_kafka_fatal_error), and `fatal` is the policy's verdict on it.
struct KafkaCallbackError {
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string reason;
  bool fatal = false;
};
KafkaCallbackError ReadCallbackError(rd_kafka_t* rk, int err, const char* reason);

}  // namespace ec
