// One authenticated connection to one Kafka broker, for KafkaProtocolClient: dials, exchanges
// ApiVersions, runs the SASL exchange, then sends requests and reads their responses in turn.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "connectors/kafka/kafka_config.h"

namespace ec {

class TlsSession;

namespace kafka_api {
inline constexpr int16_t kFindCoordinator = 10;
inline constexpr int16_t kSaslHandshake = 17;
inline constexpr int16_t kApiVersions = 18;
inline constexpr int16_t kEndTxn = 26;
inline constexpr int16_t kSaslAuthenticate = 36;
inline constexpr int16_t kDescribeTransactions = 65;

// Whether a request of this api and version uses the flexible (KIP-482) encoding, i.e. request
// header v2 and (except for ApiVersions) response header v1.
bool IsFlexible(int16_t api_key, int16_t version);
// The versions of `api_key` this client can encode, as {min, max}; {-1, -1} for another api.
std::pair<int16_t, int16_t> ClientVersions(int16_t api_key);
}  // namespace kafka_api

// Not thread-safe; owned by one KafkaProtocolClient. After an I/O error the connection is
// broken (broken() is true) and every later Call fails; the owner opens a new one.
class KafkaBrokerConnection {
 public:
  // Connects to `address` ("host:port"), exchanges ApiVersions (v3, or v0 when the broker does
  // not speak v3) and authenticates as `config` says. Errors: "kafka broker ADDRESS: WHAT:
  // REASON", Unavailable for the network, Unauthenticated for SASL, Unavailable with
  // OpenSSL's reason for a failed TLS handshake.
  static absl::StatusOr<std::unique_ptr<KafkaBrokerConnection>> Open(
      const std::string& address, const KafkaClientConfig& config, absl::Time deadline);
  ~KafkaBrokerConnection();
  KafkaBrokerConnection(const KafkaBrokerConnection&) = delete;
  KafkaBrokerConnection& operator=(const KafkaBrokerConnection&) = delete;

  // Sends one request (the header is added here) and returns the response body after its
  // header, its correlation id checked. `name` (e.g. "EndTxn") goes into errors.
  absl::StatusOr<std::string> Call(int16_t api_key, int16_t version, absl::string_view body,
                                   absl::string_view name, absl::Time deadline);

  // The highest version of `api_key` both sides support, or -1.
  int16_t VersionFor(int16_t api_key) const;
  const std::string& address() const { return address_; }
  bool broken() const { return fd_ < 0; }

 private:
  KafkaBrokerConnection(std::string address, int fd);
  absl::Status ExchangeApiVersions(absl::Time deadline);
  absl::Status Authenticate(const KafkaClientConfig& config, absl::Time deadline);
  // One SaslAuthenticate round: sends `token`, returns the server's.
  absl::StatusOr<std::string> SaslRound(absl::string_view token, const std::string& password,
                                        absl::Time deadline);
  absl::Status WriteAll(absl::string_view data, absl::Time deadline);
  absl::Status ReadExact(char* out, size_t n, absl::Time deadline);
  absl::Status Error(absl::StatusCode code, absl::string_view what, absl::string_view reason) const;
  void Close();

  std::string address_;
  int fd_ = -1;
  std::unique_ptr<TlsSession> tls_;  // SSL and SASL_SSL
  int32_t next_correlation_id_ = 1;
  std::map<int16_t, std::pair<int16_t, int16_t>> broker_versions_;
};

}  // namespace ec
