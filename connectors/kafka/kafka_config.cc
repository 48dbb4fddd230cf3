// Resolution of Kafka client settings and their translation to librdkafka.
#include "connectors/kafka/kafka_config.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace ec {

std::string KafkaClientConfig::Describe() const {
  std::string out = absl::StrCat(bootstrap_servers, " (", security_protocol);
  // librdkafka reads the protocol case-insensitively ("sasl_plaintext" works), so must we.
  if (absl::StartsWithIgnoreCase(security_protocol, "SASL")) {
    absl::StrAppend(&out, ", ", sasl_mechanism, " user '", sasl_username, "'");
  }
  out += ")";
  return out;
}

absl::Status SetRdKafkaProperty(rd_kafka_conf_t* conf, const std::string& name,
                                const std::string& value, bool secret) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    // librdkafka's own message may quote the value ("Invalid value \"...\" for ...").
    std::string reason = err;
    if (secret && !value.empty()) reason = absl::StrReplaceAll(reason, {{value, "***"}});
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka property ", name, secret ? "" : absl::StrCat("='", value, "'"), ": ", reason));
  }
  return absl::OkStatus();
}

absl::StatusOr<RdKafkaConfPtr> KafkaClientConfig::ToRdKafkaConf() const {
  RdKafkaConfPtr conf(rd_kafka_conf_new());
  auto set = [&](const std::string& name, const std::string& value, bool secret = false) {
    return SetRdKafkaProperty(conf.get(), name, value, secret);
  };
  if (auto s = set("bootstrap.servers", bootstrap_servers); !s.ok()) return s;
  if (auto s = set("security.protocol", security_protocol); !s.ok()) return s;
  if (absl::StartsWithIgnoreCase(security_protocol, "SASL")) {
    if (auto s = set("sasl.mechanisms", sasl_mechanism); !s.ok()) return s;
    if (!sasl_username.empty()) {
      if (auto s = set("sasl.username", sasl_username); !s.ok()) return s;
    }
    if (!sasl_password.empty()) {
      if (auto s = set("sasl.password", sasl_password, /*secret=*/true); !s.ok()) return s;
    }
  }
  for (const auto& [name, value] : properties) {
    const bool secret = absl::StrContains(name, "password") || absl::StrContains(name, "secret");
    if (auto s = set(name, value, secret); !s.ok()) return s;
  }
  return conf;
}

absl::StatusOr<KafkaClientConfig> ResolveKafkaConfig(const JobSpec& job, const OperatorSpec& op) {
  KafkaClientConfig config;
  auto bootstrap = job.Setting(op, "kafka-bootstrap-servers");
  if (!bootstrap || bootstrap->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job file: operator '", op.name,
        "': kafka-bootstrap-servers: expected host:port[,host:port] (set it in the job's "
        "parameters or with --kafka-bootstrap-servers)"));
  }
  config.bootstrap_servers = *bootstrap;
  if (auto v = job.Setting(op, "kafka-security-protocol")) config.security_protocol = *v;
  if (auto v = job.Setting(op, "kafka-sasl-mechanism")) config.sasl_mechanism = *v;
  if (auto v = job.Setting(op, "kafka-sasl-username")) config.sasl_username = *v;
  if (auto v = job.Setting(op, "kafka-sasl-password"); v && !v->empty()) {
    config.sasl_password = *v;
  } else if (const char* env = std::getenv("EC_KAFKA_SASL_PASSWORD")) {
    config.sasl_password = env;
  }
  for (const auto& [key, value] : job.parameters) {
    if (absl::StartsWith(key, "kafka.")) config.properties[key.substr(6)] = value;
  }
  for (const auto& [key, value] : op.config.items()) {
    if (absl::StartsWith(key, "kafka.")) {
      config.properties[key.substr(6)] =
          value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  return config;
}

absl::StatusOr<std::string> KafkaTopicOf(const ConfigFields& fields) {
  auto topic = fields.String("topic");
  if (topic.ok()) return topic;
  if (auto fallback = fields.String("kafka-topic"); fallback.ok()) return fallback;
  return topic.status();
}

}  // namespace ec
