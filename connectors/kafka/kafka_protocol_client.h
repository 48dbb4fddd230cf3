// A small Kafka protocol client of our own, for the transaction requests librdkafka cannot make:
// describing a transaction by its transactional id, and ending one (commit or abort) with a
// stored producer id and epoch from another process (what Flink's KafkaSink does by reaching
// into the Java producer). Speaks ApiVersions (to pick each request's version), SaslHandshake
// and SaslAuthenticate (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), FindCoordinator (key type
// TRANSACTION), DescribeTransactions and EndTxn, over PLAINTEXT, SASL_PLAINTEXT, SSL and SASL_SSL
// (OpenSSL; kafka_tls.h lists the ssl.* properties it reads). See connectors/kafka/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/kafka/kafka_config.h"

namespace ec {

// A transaction as its coordinator describes it (DescribeTransactions, KIP-664).
struct TransactionDescription {
  // Empty | Ongoing | PrepareCommit | PrepareAbort | CompleteCommit | CompleteAbort | Dead |
  // PrepareEpochFence, as the broker names them.
  std::string state;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int64_t start_time_ms = -1;  // when the transaction's first partition was added; -1: none
  int32_t timeout_ms = 0;
};

// Reads the Kafka error code a status from this client carries (0 if none).
int16_t KafkaErrorCodeOf(const absl::Status& status);

// Kafka error codes this client's callers act on.
namespace kafka_error {
inline constexpr int16_t kNone = 0;
inline constexpr int16_t kCoordinatorLoadInProgress = 14;
inline constexpr int16_t kCoordinatorNotAvailable = 15;
inline constexpr int16_t kNotCoordinator = 16;
inline constexpr int16_t kInvalidProducerEpoch = 47;
inline constexpr int16_t kInvalidTxnState = 48;
inline constexpr int16_t kInvalidProducerIdMapping = 49;
inline constexpr int16_t kConcurrentTransactions = 51;
inline constexpr int16_t kUnknownProducerId = 59;
inline constexpr int16_t kTransactionalIdAuthorizationFailed = 53;
inline constexpr int16_t kProducerFenced = 90;
inline constexpr int16_t kTransactionalIdNotFound = 105;
}  // namespace kafka_error

// Not thread-safe: one user at a time. Keeps one connection to a bootstrap broker and one per
// coordinator it has found, and reconnects (with the same authentication) when one is lost.
class KafkaProtocolClient {
 public:
  // Connects to the first reachable bootstrap server of `config` (security protocol and SASL
  // as the config says), exchanges ApiVersions and authenticates. Errors name the server and
  // what failed, never the password.
  static absl::StatusOr<std::unique_ptr<KafkaProtocolClient>> Connect(
      const KafkaClientConfig& config, absl::Time deadline);
  ~KafkaProtocolClient();
  KafkaProtocolClient(const KafkaProtocolClient&) = delete;
  KafkaProtocolClient& operator=(const KafkaProtocolClient&) = delete;

  // FindCoordinator for `transactional_id`, then DescribeTransactions on it. Retries
  // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR (finding the
  // coordinator again) until `deadline`. An id the coordinator does not know gives NotFound
  // carrying TRANSACTIONAL_ID_NOT_FOUND.
  absl::StatusOr<TransactionDescription> DescribeTransaction(const std::string& transactional_id,
                                                             absl::Time deadline);

  // EndTxn with the given producer id and epoch: commits (or aborts) the transaction that
  // producer left open, from any process. Retries as DescribeTransaction does, and
  // CONCURRENT_TRANSACTIONS. Other broker errors (INVALID_TXN_STATE, PRODUCER_FENCED,
  // INVALID_PRODUCER_EPOCH, ...) come back as FailedPrecondition carrying the Kafka error code.
  absl::Status EndTransaction(const std::string& transactional_id, int64_t producer_id,
                              int16_t producer_epoch, bool commit, absl::Time deadline);

  // The version this client uses for `api_key` with the broker it is connected to (the highest
  // both support), or -1 when the broker does not support any version of it we speak.
  int16_t ApiVersionFor(int16_t api_key) const;

 private:
  struct Impl;
  explicit KafkaProtocolClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ec
