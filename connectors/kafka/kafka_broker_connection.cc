// One authenticated connection to one Kafka broker: framing, headers, ApiVersions and SASL.
#include "connectors/kafka/kafka_broker_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "connectors/kafka/kafka_scram.h"
#include "connectors/kafka/kafka_tls.h"
#include "connectors/kafka/kafka_wire.h"
#include "runtime/util/tcp.h"

namespace ec {

namespace kafka_api {

bool IsFlexible(int16_t api_key, int16_t version) {
  switch (api_key) {
    case kApiVersions:
      return version >= 3;
    case kSaslHandshake:
      return false;
    case kSaslAuthenticate:
      return version >= 2;
    case kFindCoordinator:
      return version >= 3;
    case kEndTxn:
      return version >= 3;
    case kDescribeTransactions:
      return true;
    default:
      return false;
  }
}

std::pair<int16_t, int16_t> ClientVersions(int16_t api_key) {
  switch (api_key) {
    case kApiVersions:
      return {0, 3};
    case kSaslHandshake:
      return {1, 1};  // v0 sends the SASL tokens unframed; we only speak SaslAuthenticate
    case kSaslAuthenticate:
      return {0, 2};
    case kFindCoordinator:
      return {1, 6};  // v4-v6 share a layout (v5, v6 only add error codes and key types)
    case kEndTxn:
      return {0, 4};  // v5+ is KIP-890's transactions v2; ours were begun with v1 semantics
    case kDescribeTransactions:
      return {0, 0};
    default:
      return {-1, -1};
  }
}

}  // namespace kafka_api

namespace {

constexpr int32_t kMaxResponseBytes = 64 << 20;
constexpr absl::string_view kClientId = "eventcluster-txn";

}  // namespace

KafkaBrokerConnection::KafkaBrokerConnection(std::string address, int fd)
    : address_(std::move(address)), fd_(fd) {}

KafkaBrokerConnection::~KafkaBrokerConnection() { Close(); }

void KafkaBrokerConnection::Close() {
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status KafkaBrokerConnection::Error(absl::StatusCode code, absl::string_view what,
                                          absl::string_view reason) const {
  return absl::Status(code, absl::StrCat("kafka broker ", address_, ": ", what, ": ", reason));
}

absl::StatusOr<std::unique_ptr<KafkaBrokerConnection>> KafkaBrokerConnection::Open(
    const std::string& address, const KafkaClientConfig& config, absl::Time deadline) {
  const std::string protocol = absl::AsciiStrToUpper(config.security_protocol);
  if (protocol != "PLAINTEXT" && protocol != "SASL_PLAINTEXT" && protocol != "SSL" &&
      protocol != "SASL_SSL") {
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka broker ", address, ": unknown security protocol '", config.security_protocol, "'"));
  }
  auto host_port = ParseHostPort(address);
  if (!host_port.ok()) return host_port.status();
  auto fd = DialTcp(host_port->host, host_port->port, deadline,
                    DialOptions{.no_delay = true, .non_blocking = true});
  if (!fd.ok()) {
    return absl::Status(fd.status().code(),
                        absl::StrCat("kafka broker ", address, ": ", fd.status().message()));
  }
  std::unique_ptr<KafkaBrokerConnection> conn(new KafkaBrokerConnection(address, *fd));
  if (protocol == "SSL" || protocol == "SASL_SSL") {
    auto tls = TlsSession::Handshake(*fd, host_port->host, config.properties, deadline);
    if (!tls.ok()) {
      return absl::Status(tls.status().code(),
                          absl::StrCat("kafka broker ", address, ": ", tls.status().message()));
    }
    conn->tls_ = std::move(*tls);
  }
  if (auto s = conn->ExchangeApiVersions(deadline); !s.ok()) return s;
  if (absl::StartsWith(protocol, "SASL_")) {
    if (auto s = conn->Authenticate(config, deadline); !s.ok()) return s;
  }
  return conn;
}

int16_t KafkaBrokerConnection::VersionFor(int16_t api_key) const {
  auto it = broker_versions_.find(api_key);
  if (it == broker_versions_.end()) return -1;
  const auto [ours_min, ours_max] = kafka_api::ClientVersions(api_key);
  const int16_t high = std::min(ours_max, it->second.second);
  const int16_t low = std::max(ours_min, it->second.first);
  return high >= low ? high : -1;
}

absl::Status KafkaBrokerConnection::WriteAll(absl::string_view data, absl::Time deadline) {
  if (tls_ != nullptr) return tls_->WriteAll(data, deadline);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      const int r = ::poll(&p, 1, PollTimeoutMs(deadline));
      if (r == 0) return absl::DeadlineExceededError("send: timed out");
      if (r < 0 && errno != EINTR)
        return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
      continue;
    }
    return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status KafkaBrokerConnection::ReadExact(char* out, size_t size, absl::Time deadline) {
  if (tls_ != nullptr) return tls_->ReadExact(out, size, deadline);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd_, out + done, size - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return absl::UnavailableError("connection closed by the broker");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, PollTimeoutMs(deadline));
      if (r == 0) return absl::DeadlineExceededError("no response before the deadline");
      if (r < 0 && errno != EINTR)
        return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
      continue;
    }
    return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KafkaBrokerConnection::Call(int16_t api_key, int16_t version,
                                                        absl::string_view body,
                                                        absl::string_view name,
                                                        absl::Time deadline) {
  const std::string what = absl::StrCat(name, " v", version);
  if (fd_ < 0) return Error(absl::StatusCode::kUnavailable, what, "connection is closed");
  const bool flexible = kafka_api::IsFlexible(api_key, version);
  const int32_t correlation_id = next_correlation_id_++;
  kafka_wire::Writer header;
  header.Int32(0);  // the frame's length, set below
  header.Int16(api_key);
  header.Int16(version);
  header.Int32(correlation_id);
  header.String(kClientId, /*flexible=*/false);  // the client id is never compact
  if (flexible) header.EmptyTaggedFields();
  std::string frame = header.Take();
  frame.append(body.data(), body.size());
  const uint32_t length = static_cast<uint32_t>(frame.size() - 4);
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((length >> (8 * (3 - i))) & 0xff);

  auto fail = [&](const absl::Status& s) {
    Close();  // a request half sent or a response half read leaves the stream unusable
    return Error(s.code(), what, s.message());
  };
  if (auto s = WriteAll(frame, deadline); !s.ok()) return fail(s);
  char size_bytes[4];
  if (auto s = ReadExact(size_bytes, 4, deadline); !s.ok()) return fail(s);
  kafka_wire::Reader size_reader(absl::string_view(size_bytes, 4));
  const int32_t size = *size_reader.Int32();
  if (size < 4 || size > kMaxResponseBytes) {
    return fail(absl::DataLossError(absl::StrCat("response size ", size, " out of range")));
  }
  std::string response(size, '\0');
  if (auto s = ReadExact(response.data(), response.size(), deadline); !s.ok()) return fail(s);
  kafka_wire::Reader reader(response);
  const int32_t got_id = *reader.Int32();
  if (got_id != correlation_id) {
    return fail(absl::DataLossError(
        absl::StrCat("correlation id ", got_id, " in the response, expected ", correlation_id)));
  }
  // ApiVersions responses keep header v0 even in flexible versions (so that a client can read
  // one whatever version it asked for).
  if (flexible && api_key != kafka_api::kApiVersions) {
    if (auto s = reader.SkipTaggedFields(); !s.ok()) return fail(s);
  }
  return response.substr(response.size() - reader.remaining());
}

absl::Status KafkaBrokerConnection::ExchangeApiVersions(absl::Time deadline) {
  for (int16_t version : {int16_t{3}, int16_t{0}}) {
    const bool flexible = version >= 3;
    kafka_wire::Writer body;
    if (flexible) {
      body.String("eventcluster", true);
      body.String("1.0", true);
      body.EmptyTaggedFields();
    }
    auto response = Call(kafka_api::kApiVersions, version, body.data(), "ApiVersions", deadline);
    if (!response.ok()) return response.status();
    const std::string what = absl::StrCat("ApiVersions v", version);
    auto bad = [&](const absl::Status& s) {
      return Error(absl::StatusCode::kDataLoss, what, s.message());
    };
    kafka_wire::Reader reader(*response);
    auto error = reader.Int16();
    if (!error.ok()) return bad(error.status());
    // A broker that does not speak `version` answers UNSUPPORTED_VERSION (in v0): try v0.
    if (*error == 35 && version != 0) continue;
    if (*error != 0) {
      return kafka_wire::WithErrorCode(
          Error(absl::StatusCode::kFailedPrecondition, what, kafka_wire::ErrorName(*error)),
          *error);
    }
    auto count = reader.ArrayLength(flexible);
    if (!count.ok()) return bad(count.status());
    for (int32_t i = 0; i < *count; ++i) {
      auto key = reader.Int16();
      auto min = reader.Int16();
      auto max = reader.Int16();
      if (!max.ok()) return bad(max.status());
      if (flexible) {
        if (auto s = reader.SkipTaggedFields(); !s.ok()) return bad(s);
      }
      broker_versions_[*key] = {*min, *max};
    }
    return absl::OkStatus();
  }
  return Error(absl::StatusCode::kFailedPrecondition, "ApiVersions", "UNSUPPORTED_VERSION");
}

absl::StatusOr<std::string> KafkaBrokerConnection::SaslRound(absl::string_view token,
                                                             const std::string& password,
                                                             absl::Time deadline) {
  const int16_t version = VersionFor(kafka_api::kSaslAuthenticate);
  if (version < 0) {
    return Error(absl::StatusCode::kUnimplemented, "SaslAuthenticate",
                 "not supported by the broker");
  }
  const bool flexible = kafka_api::IsFlexible(kafka_api::kSaslAuthenticate, version);
  kafka_wire::Writer body;
  body.Bytes(token, flexible);
  if (flexible) body.EmptyTaggedFields();
  auto response =
      Call(kafka_api::kSaslAuthenticate, version, body.data(), "SaslAuthenticate", deadline);
  if (!response.ok()) return response.status();
  const std::string what = absl::StrCat("SaslAuthenticate v", version);
  kafka_wire::Reader reader(*response);
  auto error = reader.Int16();
  auto message = reader.String(flexible);
  auto bytes = reader.Bytes(flexible);
  if (!bytes.ok()) return Error(absl::StatusCode::kDataLoss, what, bytes.status().message());
  if (*error != 0) {
    std::string reason =
        absl::StrCat(kafka_wire::ErrorName(*error), message->empty() ? "" : ": ", *message);
    if (!password.empty()) reason = absl::StrReplaceAll(reason, {{password, "***"}});
    Close();  // the broker closes a connection whose authentication failed
    return kafka_wire::WithErrorCode(Error(absl::StatusCode::kUnauthenticated, what, reason),
                                     *error);
  }
  return *bytes;
}

absl::Status KafkaBrokerConnection::Authenticate(const KafkaClientConfig& config,
                                                 absl::Time deadline) {
  const std::string mechanism = absl::AsciiStrToUpper(config.sasl_mechanism);
  if (mechanism != "PLAIN" && mechanism != "SCRAM-SHA-256" && mechanism != "SCRAM-SHA-512") {
    return Error(absl::StatusCode::kInvalidArgument, "SASL",
                 absl::StrCat("unsupported mechanism '", config.sasl_mechanism,
                              "' (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)"));
  }
  const int16_t version = VersionFor(kafka_api::kSaslHandshake);
  if (version < 0) {
    return Error(absl::StatusCode::kUnimplemented, "SaslHandshake",
                 "the broker does not support SaslHandshake v1");
  }
  kafka_wire::Writer body;
  body.String(mechanism, false);
  auto response = Call(kafka_api::kSaslHandshake, version, body.data(), "SaslHandshake", deadline);
  if (!response.ok()) return response.status();
  kafka_wire::Reader reader(*response);
  auto error = reader.Int16();
  if (!error.ok())
    return Error(absl::StatusCode::kDataLoss, "SaslHandshake", error.status().message());
  if (*error != 0) {
    std::vector<std::string> enabled;
    if (auto n = reader.ArrayLength(false); n.ok()) {
      for (int32_t i = 0; i < *n; ++i) {
        auto name = reader.String(false);
        if (!name.ok()) break;
        enabled.push_back(*name);
      }
    }
    return kafka_wire::WithErrorCode(
        Error(absl::StatusCode::kUnauthenticated, absl::StrCat("SaslHandshake ", mechanism),
              absl::StrCat(kafka_wire::ErrorName(*error),
                           " (the broker enables: ", absl::StrJoin(enabled, ", "), ")")),
        *error);
  }
  const std::string& password = config.sasl_password;
  if (mechanism == "PLAIN") {
    std::string token;
    token.push_back('\0');
    token += config.sasl_username;
    token.push_back('\0');
    token += password;
    auto reply = SaslRound(token, password, deadline);
    return reply.ok() ? absl::OkStatus() : reply.status();
  }
  ScramClient scram(mechanism == "SCRAM-SHA-256" ? ScramHash::kSha256 : ScramHash::kSha512,
                    config.sasl_username, password);
  auto server_first = SaslRound(scram.ClientFirstMessage(), password, deadline);
  if (!server_first.ok()) return server_first.status();
  auto client_final = scram.ClientFinalMessage(*server_first);
  if (!client_final.ok()) {
    return Error(client_final.status().code(), mechanism, client_final.status().message());
  }
  auto server_final = SaslRound(*client_final, password, deadline);
  if (!server_final.ok()) return server_final.status();
  if (auto s = scram.VerifyServerFinal(*server_final); !s.ok()) {
    Close();
    return Error(s.code(), mechanism, s.message());
  }
  return absl::OkStatus();
}

}  // namespace ec
