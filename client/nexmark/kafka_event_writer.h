// A librdkafka producer for one existing topic, tuned for throughput, that places each record
// on a partition the caller chooses and verifies every delivery before it reports success.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ec::nexmark {

// The connection settings, named as the job parameters of the Kafka operators are
// (kafka-security-protocol, kafka-sasl-*, kafka.<property>).
struct KafkaSettings {
  std::string bootstrap_servers;
  std::string topic;
  std::string security_protocol = "PLAINTEXT";
  std::string sasl_mechanism = "PLAIN";
  std::string sasl_username;
  std::string sasl_password;  // handed to librdkafka only; never in a log line or an error
  // librdkafka properties, applied after (so overriding) the producer defaults.
  std::vector<std::pair<std::string, std::string>> properties;
  // The broker must answer the first metadata request within this; every record must be
  // acknowledged within this of being queued (message.timeout.ms).
  absl::Duration timeout = absl::Seconds(30);

  // "127.0.0.1:9094 (SASL_PLAINTEXT, PLAIN user 'alice')": safe for logs and errors.
  std::string Describe() const;
};

// Owned and used by one thread. Open() connects and reads the topic's partition count; Write()
// queues records (copying them); Finish() waits until all are acknowledged.
class KafkaEventWriter {
 public:
  // Fails with InvalidArgument for a bad setting (named, the password's value never shown),
  // Unavailable when no broker answers within settings.timeout, NotFound for an unknown topic,
  // Unauthenticated / PermissionDenied as the broker says.
  static absl::StatusOr<std::unique_ptr<KafkaEventWriter>> Open(const KafkaSettings& settings);

  ~KafkaEventWriter();
  KafkaEventWriter(const KafkaEventWriter&) = delete;
  KafkaEventWriter& operator=(const KafkaEventWriter&) = delete;

  int32_t partition_count() const { return partition_count_; }

  // Queues a copy of `data` for `partition` (0..partition_count-1), waiting while librdkafka's
  // queue is full. Fails with the first delivery error seen so far.
  absl::Status Write(int32_t partition, const char* data, size_t size);

  // Queues copies of `records`, in order, for `partition`: one librdkafka call (one lock, one
  // clock read) for them all. Waits first until the queue has room for them.
  absl::Status WriteBatch(int32_t partition, const std::vector<std::string_view>& records);

  // Waits until every record written is acknowledged (or failed); OK only if all were.
  absl::Status Finish();

  uint64_t written() const { return written_; }
  uint64_t delivered() const { return delivered_; }

 private:
  explicit KafkaEventWriter(KafkaSettings settings);

  absl::Status ReadPartitionCount();
  // The error for a librdkafka code, naming the topic and the broker.
  absl::Status Describe(rd_kafka_resp_err_t err, const std::string& detail) const;
  void Fail(absl::Status status);

  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* line);

  const KafkaSettings settings_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  int32_t partition_count_ = 0;
  uint64_t written_ = 0;
  uint64_t delivered_ = 0;
  std::vector<rd_kafka_message_t> batch_;  // WriteBatch's, reused
  absl::Status failure_;         // the first delivery or fatal error
  std::string last_error_;       // the last client-side error (e.g. connection refused)
};

}  // namespace ec::nexmark
