// librdkafka producer set-up, metadata check, queueing with back-pressure and delivery
// accounting. (connectors/kafka's KafkaClientConfig does the same set-up for jobs, but client/
// may not depend on connectors/, whose library brings the operator API along.)
#include "client/nexmark/kafka_event_writer.h"

#include <algorithm>
#include <initializer_list>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "runtime/logging.h"

namespace ec::nexmark {
namespace {

constexpr uint64_t kPollEvery = 1024;  // records between serving delivery reports
// WriteBatch waits while more records than this are queued or in flight, so that librdkafka's
// queue (queue.buffering.max.messages, 1,000,000) never refuses part of a batch.
constexpr int kMaxQueued = 500'000;
constexpr absl::Duration kMetadataAttempt = absl::Milliseconds(250);

spdlog::logger& Log() {
  static const std::shared_ptr<spdlog::logger> logger = ec::Logger("nexmark-gen");
  return *logger;
}

bool IsSecretProperty(const std::string& name) {
  return absl::StrContains(name, "password") || absl::StrContains(name, "secret");
}

// Sets one property; the error names it, and its value unless it is secret.
absl::Status SetProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof(err)) == RD_KAFKA_CONF_OK) {
    return absl::OkStatus();
  }
  const bool secret = IsSecretProperty(name);
  std::string reason = err;
  if (secret && !value.empty()) reason = absl::StrReplaceAll(reason, {{value, "***"}});
  return absl::InvalidArgumentError(absl::StrCat(
      "kafka property ", name, secret ? "" : absl::StrCat("='", value, "'"), ": ", reason));
}

}  // namespace

std::string KafkaSettings::Describe() const {
  std::string out = absl::StrCat(bootstrap_servers, " (", security_protocol);
  if (absl::StartsWithIgnoreCase(security_protocol, "SASL")) {
    absl::StrAppend(&out, ", ", sasl_mechanism, " user '", sasl_username, "'");
  }
  return out + ")";
}

KafkaEventWriter::KafkaEventWriter(KafkaSettings settings) : settings_(std::move(settings)) {}

KafkaEventWriter::~KafkaEventWriter() {
  if (rkt_ != nullptr) rd_kafka_topic_destroy(rkt_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

absl::StatusOr<std::unique_ptr<KafkaEventWriter>> KafkaEventWriter::Open(
    const KafkaSettings& settings) {
  std::unique_ptr<KafkaEventWriter> writer(new KafkaEventWriter(settings));
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::string timeout_ms = std::to_string(absl::ToInt64Milliseconds(settings.timeout));
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", settings.bootstrap_servers},
      {"security.protocol", settings.security_protocol},
      // Throughput: big compressed batches, acknowledged by all replicas, without duplicates.
      {"acks", "all"},
      {"enable.idempotence", "true"},
      {"compression.codec", "lz4"},
      {"linger.ms", "5"},
      {"batch.size", "1048576"},
      {"batch.num.messages", "100000"},
      {"queue.buffering.max.messages", "1000000"},
      {"message.timeout.ms", timeout_ms},
      {"log.connection.close", "false"},
      {"allow.auto.create.topics", "false"},  // a mistyped topic is an error, not a new topic
  };
  if (absl::StartsWithIgnoreCase(settings.security_protocol, "SASL")) {
    properties.emplace_back("sasl.mechanisms", settings.sasl_mechanism);
    if (!settings.sasl_username.empty()) {
      properties.emplace_back("sasl.username", settings.sasl_username);
    }
    if (!settings.sasl_password.empty()) {
      properties.emplace_back("sasl.password", settings.sasl_password);
    }
  }
  properties.insert(properties.end(), settings.properties.begin(), settings.properties.end());
  for (const auto& [name, value] : properties) {
    if (absl::Status s = SetProperty(conf, name, value); !s.ok()) {
      rd_kafka_conf_destroy(conf);
      return s;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaEventWriter::OnDelivery);
  rd_kafka_conf_set_error_cb(conf, &KafkaEventWriter::OnError);
  rd_kafka_conf_set_log_cb(conf, &KafkaEventWriter::OnLog);
  rd_kafka_conf_set_opaque(conf, writer.get());
  char err[512];
  writer->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (writer->rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(
        absl::StrCat("kafka producer for ", settings.Describe(), ": ", err));
  }
  // The topic handle only once the topic is known to exist: librdkafka asks for a known
  // topic's metadata, and a broker may create the topic in answer.
  if (absl::Status s = writer->ReadPartitionCount(); !s.ok()) return s;
  writer->rkt_ = rd_kafka_topic_new(writer->rk_, settings.topic.c_str(), nullptr);
  return writer;
}

absl::Status KafkaEventWriter::ReadPartitionCount() {
  // Metadata for all topics: asking for this one alone may make the broker create it.
  const absl::Time deadline = absl::Now() + settings_.timeout;
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  while (true) {
    const auto attempt = static_cast<int>(absl::ToInt64Milliseconds(kMetadataAttempt));
    err = rd_kafka_metadata(rk_, 1, nullptr, &metadata, attempt);
    rd_kafka_poll(rk_, 0);  // serves the error callback: an authentication failure ends the wait
    if (!failure_.ok()) return failure_;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          "kafka ", settings_.Describe(), ": no answer from the broker within ",
          absl::FormatDuration(settings_.timeout), " (",
          last_error_.empty() ? rd_kafka_err2str(err) : last_error_, ")"));
    }
  }
  absl::Status status = absl::NotFoundError(absl::StrCat(
      "kafka topic '", settings_.topic, "' does not exist on ", settings_.Describe()));
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[i];
    if (settings_.topic != topic.topic) continue;
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = Describe(topic.err, rd_kafka_err2str(topic.err));
    } else if (topic.partition_cnt <= 0) {
      status = absl::UnavailableError(absl::StrCat("kafka topic '", settings_.topic, "' on ",
                                                   settings_.Describe(), " has no partitions"));
    } else {
      partition_count_ = topic.partition_cnt;
      status = absl::OkStatus();
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return status;
}

absl::Status KafkaEventWriter::Write(int32_t partition, const char* data, size_t size) {
  while (rd_kafka_produce(rkt_, partition, RD_KAFKA_MSG_F_COPY, const_cast<char*>(data), size,
                          nullptr, 0, nullptr) != 0) {
    const rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return Describe(err, rd_kafka_err2str(err));
    rd_kafka_poll(rk_, 5);  // back-pressure: wait for deliveries to make room
    if (!failure_.ok()) return failure_;
  }
  if (++written_ % kPollEvery == 0) {
    rd_kafka_poll(rk_, 0);
    if (!failure_.ok()) return failure_;
  }
  return absl::OkStatus();
}

absl::Status KafkaEventWriter::WriteBatch(int32_t partition,
                                          const std::vector<std::string_view>& records) {
  if (records.empty()) return absl::OkStatus();
  while (rd_kafka_outq_len(rk_) > kMaxQueued) {
    rd_kafka_poll(rk_, 5);  // back-pressure: wait for deliveries to make room
    if (!failure_.ok()) return failure_;
  }
  batch_.resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    batch_[i] = rd_kafka_message_t{};
    batch_[i].partition = partition;
    batch_[i].payload = const_cast<char*>(records[i].data());
    batch_[i].len = records[i].size();
  }
  const int queued = rd_kafka_produce_batch(rkt_, partition, RD_KAFKA_MSG_F_COPY, batch_.data(),
                                            static_cast<int>(batch_.size()));
  written_ += static_cast<uint64_t>(queued);
  if (static_cast<size_t>(queued) != records.size()) {
    // Only when the user shrank the queue (--kafka.queue.buffering.max.*): the refused records
    // go one by one, waiting for room.
    for (size_t i = 0; i < records.size(); ++i) {
      if (batch_[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      if (batch_[i].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return Describe(batch_[i].err, rd_kafka_err2str(batch_[i].err));
      }
      if (absl::Status s = Write(partition, records[i].data(), records[i].size()); !s.ok()) {
        return s;
      }
    }
  }
  rd_kafka_poll(rk_, 0);
  return failure_;
}

absl::Status KafkaEventWriter::Finish() {
  // Each record fails by itself after message.timeout.ms, so this waits at most about that.
  const auto timeout_ms =
      static_cast<int>(absl::ToInt64Milliseconds(settings_.timeout + absl::Seconds(10)));
  rd_kafka_flush(rk_, timeout_ms);
  if (!failure_.ok()) return failure_;
  if (const int left = rd_kafka_outq_len(rk_); left > 0) {
    return absl::UnavailableError(
        absl::StrCat("kafka topic '", settings_.topic, "' on ", settings_.Describe(), ": ", left,
                     " records or requests still unacknowledged after ",
                     absl::FormatDuration(settings_.timeout)));
  }
  if (delivered_ != written_) {
    return absl::InternalError(absl::StrCat("kafka topic '", settings_.topic, "': ", delivered_,
                                            " of ", written_, " records acknowledged"));
  }
  return absl::OkStatus();
}

absl::Status KafkaEventWriter::Describe(rd_kafka_resp_err_t err, const std::string& detail) const {
  const std::string where =
      absl::StrCat("kafka topic '", settings_.topic, "' on ", settings_.Describe());
  switch (err) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return absl::UnauthenticatedError(absl::StrCat(where, ": authentication failed: ", detail));
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return absl::PermissionDeniedError(absl::StrCat(where, ": not authorized: ", detail));
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return absl::UnavailableError(absl::StrCat(where, ": records not acknowledged within ",
                                                 absl::FormatDuration(settings_.timeout), ": ",
                                                 detail));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::NotFoundError(absl::StrCat(where, ": topic does not exist: ", detail));
    default:
      return absl::UnavailableError(absl::StrCat(where, ": ", detail));
  }
}

void KafkaEventWriter::Fail(absl::Status status) {
  if (failure_.ok()) failure_ = std::move(status);
}

void KafkaEventWriter::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<KafkaEventWriter*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
  } else {
    self->Fail(self->Describe(message->err, rd_kafka_err2str(message->err)));
  }
}

void KafkaEventWriter::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaEventWriter*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  Log().debug("kafka client error: {}: {}", rd_kafka_err2name(code), reason);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    const rd_kafka_resp_err_t original = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    self->Fail(self->Describe(original, fatal));
  } else if (code == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    self->Fail(self->Describe(code, reason));
  } else {
    self->last_error_ = reason;
  }
}

void KafkaEventWriter::OnLog(const rd_kafka_t*, int level, const char* facility,
                             const char* line) {
  // librdkafka would print to stderr; the tool's errors come back as one Status instead.
  Log().debug("librdkafka [{}] {}: {}", level, facility, line);
}

}  // namespace ec::nexmark
