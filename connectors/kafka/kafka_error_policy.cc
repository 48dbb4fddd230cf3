// The Kafka error policy.
#include "connectors/kafka/kafka_error_policy.h"

namespace ec {

KafkaErrorClass ClassifyKafkaError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return {.fatal = true, .domain = proto::USER};
    case RD_KAFKA_RESP_ERR__FATAL:
      return {.fatal = true, .domain = proto::EXTERNAL};
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return {.fatal = false, .domain = proto::USER};
    default:
      return {.fatal = false, .domain = proto::EXTERNAL};
  }
}

KafkaCallbackError ReadCallbackError(rd_kafka_t* rk, int err, const char* reason) {
  KafkaCallbackError out{.code = static_cast<rd_kafka_resp_err_t>(err), .reason = reason};
  if (out.code == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    out.code = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    out.reason = fatal;
    out.fatal = true;
  } else {
    out.fatal = IsFatalKafkaError(out.code);
  }
  return out;
}

}  // namespace ec
