// Kafka client settings shared by every Kafka operator, resolved from a job spec.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "operators/config_fields.h"
#include "runtime/job_spec.h"

namespace ec {

struct RdKafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using RdKafkaConfPtr = std::unique_ptr<rd_kafka_conf_t, RdKafkaConfDeleter>;

// The settings of DESIGN.md's "Parameters every Kafka operator understands". The password is
// kept only to hand it to librdkafka; Describe() and every error leave it out.
struct KafkaClientConfig {
  std::string bootstrap_servers;
  std::string security_protocol = "PLAINTEXT";
  std::string sasl_mechanism = "PLAIN";
  std::string sasl_username;
  std::string sasl_password;
  std::map<std::string, std::string> properties;  // kafka.<property>, passed as is

  // "127.0.0.1:9094 (SASL_PLAINTEXT, PLAIN user 'alice')": safe for logs and errors.
  std::string Describe() const;

  // A librdkafka configuration with these settings applied. Errors name the property, never
  // its value when the value is secret.
  absl::StatusOr<RdKafkaConfPtr> ToRdKafkaConf() const;
};

// Reads the Kafka settings for operator `op`: its own fields, else the job's parameters; the
// SASL password also from EC_KAFKA_SASL_PASSWORD in the environment.
absl::StatusOr<KafkaClientConfig> ResolveKafkaConfig(const JobSpec& job, const OperatorSpec& op);

// The topic of a Kafka source or sink: its `topic` field, else the job's `kafka-topic`
// parameter. The error is the `topic` field's when neither is set.
absl::StatusOr<std::string> KafkaTopicOf(const ConfigFields& fields);

// Sets one librdkafka property; the error names the property (and the value unless `secret`).
absl::Status SetRdKafkaProperty(rd_kafka_conf_t* conf, const std::string& name,
                                const std::string& value, bool secret = false);

}  // namespace ec
