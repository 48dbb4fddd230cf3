// KafkaProtocolClient: FindCoordinator, DescribeTransactions and EndTxn over
// KafkaBrokerConnection, with the coordinator cache and the retries.
#include "connectors/kafka/kafka_protocol_client.h"

#include <algorithm>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "connectors/kafka/kafka_broker_connection.h"
#include "connectors/kafka/kafka_wire.h"

namespace ec {

int16_t KafkaErrorCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kafka_wire::kErrorCodePayload);
  if (!payload) return kafka_error::kNone;
  int code = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &code)) return kafka_error::kNone;
  return static_cast<int16_t>(code);
}

namespace {

constexpr int8_t kKeyTypeTransaction = 1;

bool IsRetriable(const absl::Status& status, bool end_txn) {
  switch (KafkaErrorCodeOf(status)) {
    case kafka_error::kCoordinatorLoadInProgress:
    case kafka_error::kCoordinatorNotAvailable:
    case kafka_error::kNotCoordinator:
      return true;
    case kafka_error::kConcurrentTransactions:
      return end_txn;
    case kafka_error::kNone:
      // A lost connection (or one never made): a new one may work.
      return status.code() == absl::StatusCode::kUnavailable;
    default:
      return false;
  }
}

absl::Status BrokerError(absl::StatusCode code, const std::string& address, absl::string_view what,
                         int16_t error, absl::string_view message) {
  return kafka_wire::WithErrorCode(
      absl::Status(
          code, absl::StrCat("kafka broker ", address, ": ", what, ": ",
                             kafka_wire::ErrorName(error), message.empty() ? "" : ": ", message)),
      error);
}

absl::Status Malformed(const std::string& address, absl::string_view what,
                       const absl::Status& status) {
  return absl::DataLossError(
      absl::StrCat("kafka broker ", address, ": ", what, ": ", status.message()));
}

}  // namespace

struct KafkaProtocolClient::Impl {
  KafkaClientConfig config;
  std::vector<std::string> bootstrap_servers;
  std::unique_ptr<KafkaBrokerConnection> bootstrap;
  // Coordinator connections by "host:port" (one per node), and the coordinator of each
  // transactional id we have asked about.
  std::map<std::string, std::unique_ptr<KafkaBrokerConnection>> coordinators;
  std::map<std::string, std::string> coordinator_of;

  absl::Status ConnectBootstrap(absl::Time deadline) {
    if (bootstrap != nullptr && !bootstrap->broken()) return absl::OkStatus();
    bootstrap.reset();
    std::vector<std::string> errors;
    for (const std::string& server : bootstrap_servers) {
      auto conn = KafkaBrokerConnection::Open(server, config, deadline);
      if (conn.ok()) {
        bootstrap = std::move(*conn);
        return absl::OkStatus();
      }
      // Authentication and configuration errors are the same on every server.
      if (conn.status().code() != absl::StatusCode::kUnavailable &&
          conn.status().code() != absl::StatusCode::kDeadlineExceeded &&
          conn.status().code() != absl::StatusCode::kNotFound) {
        return conn.status();
      }
      errors.emplace_back(conn.status().message());
    }
    return absl::UnavailableError(absl::StrCat("kafka: no bootstrap server of ", config.Describe(),
                                               " reachable: ", absl::StrJoin(errors, "; ")));
  }

  // FindCoordinator(TRANSACTION, id) through the bootstrap connection: "host:port".
  absl::StatusOr<std::string> FindCoordinator(const std::string& transactional_id,
                                              absl::Time deadline) {
    if (auto it = coordinator_of.find(transactional_id); it != coordinator_of.end()) {
      return it->second;
    }
    if (auto s = ConnectBootstrap(deadline); !s.ok()) return s;
    const int16_t version = bootstrap->VersionFor(kafka_api::kFindCoordinator);
    if (version < 0) {
      return absl::UnimplementedError(absl::StrCat("kafka broker ", bootstrap->address(),
                                                   ": FindCoordinator v1-v6 not supported"));
    }
    const bool flexible = kafka_api::IsFlexible(kafka_api::kFindCoordinator, version);
    kafka_wire::Writer body;
    if (version <= 3) body.String(transactional_id, flexible);
    body.Int8(kKeyTypeTransaction);
    if (version >= 4) {
      body.ArrayLength(1, true);
      body.String(transactional_id, true);
    }
    if (flexible) body.EmptyTaggedFields();
    const std::string address = bootstrap->address();
    const std::string what =
        absl::StrCat("FindCoordinator v", version, " '", transactional_id, "'");
    auto response = bootstrap->Call(kafka_api::kFindCoordinator, version, body.data(),
                                    "FindCoordinator", deadline);
    if (!response.ok()) return response.status();
    kafka_wire::Reader r(*response);
    if (auto throttle = r.Int32(); !throttle.ok())
      return Malformed(address, what, throttle.status());
    int16_t error = 0;
    std::string message, host;
    int32_t port = 0;
    absl::Status parsed = [&]() -> absl::Status {
      if (version >= 4) {
        auto n = r.ArrayLength(true);
        if (!n.ok()) return n.status();
        if (*n != 1) return absl::DataLossError(absl::StrCat(*n, " coordinators, expected 1"));
        if (auto key = r.String(true); !key.ok()) return key.status();
      }
      auto read_error = [&]() -> absl::Status {
        auto e = r.Int16();
        if (!e.ok()) return e.status();
        error = *e;
        auto m = r.String(flexible);
        if (!m.ok()) return m.status();
        message = *m;
        return absl::OkStatus();
      };
      if (version <= 3) {
        if (auto s = read_error(); !s.ok()) return s;
      }
      if (auto node = r.Int32(); !node.ok()) return node.status();
      auto h = r.String(flexible);
      if (!h.ok()) return h.status();
      host = *h;
      auto p = r.Int32();
      if (!p.ok()) return p.status();
      port = *p;
      if (version >= 4) return read_error();
      return absl::OkStatus();
    }();
    if (!parsed.ok()) return Malformed(address, what, parsed);
    if (error != 0) {
      return BrokerError(error == kafka_error::kTransactionalIdAuthorizationFailed
                             ? absl::StatusCode::kPermissionDenied
                             : absl::StatusCode::kUnavailable,
                         address, what, error, message);
    }
    std::string coordinator = absl::StrCat(host, ":", port);
    if (host.find(':') != std::string::npos) coordinator = absl::StrCat("[", host, "]:", port);
    coordinator_of[transactional_id] = coordinator;
    return coordinator;
  }

  absl::StatusOr<KafkaBrokerConnection*> CoordinatorConnection(const std::string& address,
                                                               absl::Time deadline) {
    auto& conn = coordinators[address];
    if (conn != nullptr && !conn->broken()) return conn.get();
    conn.reset();
    auto opened = KafkaBrokerConnection::Open(address, config, deadline);
    if (!opened.ok()) return opened.status();
    conn = std::move(*opened);
    return conn.get();
  }

  // Runs `attempt` until it succeeds, fails for good or `deadline` passes; between tries drops
  // the cached coordinator of `transactional_id` and waits a little.
  absl::Status Retry(const std::string& transactional_id, bool end_txn, absl::Time deadline,
                     const std::function<absl::Status()>& attempt) {
    absl::Duration backoff = absl::Milliseconds(20);
    while (true) {
      absl::Status s = attempt();
      if (s.ok() || !IsRetriable(s, end_txn)) return s;
      if (KafkaErrorCodeOf(s) != kafka_error::kConcurrentTransactions &&
          KafkaErrorCodeOf(s) != kafka_error::kCoordinatorLoadInProgress) {
        coordinator_of.erase(transactional_id);
      }
      const absl::Time now = absl::Now();
      if (now + backoff >= deadline) return s;
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Milliseconds(500));
    }
  }

  // One try: find the coordinator, send the request, return the response body.
  absl::StatusOr<std::string> CallCoordinator(const std::string& transactional_id, int16_t api_key,
                                              int16_t version, absl::string_view body,
                                              absl::string_view name, absl::Time deadline,
                                              std::string* address) {
    auto coordinator = FindCoordinator(transactional_id, deadline);
    if (!coordinator.ok()) return coordinator.status();
    *address = *coordinator;
    auto conn = CoordinatorConnection(*coordinator, deadline);
    if (!conn.ok()) return conn.status();
    return (*conn)->Call(api_key, version, body, name, deadline);
  }

  int16_t VersionFor(int16_t api_key) const {
    return bootstrap == nullptr ? -1 : bootstrap->VersionFor(api_key);
  }
};

KafkaProtocolClient::KafkaProtocolClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaProtocolClient::~KafkaProtocolClient() = default;

absl::StatusOr<std::unique_ptr<KafkaProtocolClient>> KafkaProtocolClient::Connect(
    const KafkaClientConfig& config, absl::Time deadline) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  for (absl::string_view server : absl::StrSplit(config.bootstrap_servers, ',')) {
    server = absl::StripAsciiWhitespace(server);
    if (!server.empty()) impl->bootstrap_servers.emplace_back(server);
  }
  if (impl->bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("kafka protocol client: bootstrap servers are empty");
  }
  if (auto s = impl->ConnectBootstrap(deadline); !s.ok()) return s;
  return std::unique_ptr<KafkaProtocolClient>(new KafkaProtocolClient(std::move(impl)));
}

int16_t KafkaProtocolClient::ApiVersionFor(int16_t api_key) const {
  return impl_->VersionFor(api_key);
}

absl::StatusOr<TransactionDescription> KafkaProtocolClient::DescribeTransaction(
    const std::string& transactional_id, absl::Time deadline) {
  TransactionDescription out;
  absl::Status status = impl_->Retry(transactional_id, false, deadline, [&]() -> absl::Status {
    const int16_t version = impl_->VersionFor(kafka_api::kDescribeTransactions);
    if (version < 0) {
      return absl::UnimplementedError(
          absl::StrCat("kafka: the broker does not support DescribeTransactions v0"));
    }
    kafka_wire::Writer body;
    body.ArrayLength(1, true);
    body.String(transactional_id, true);
    body.EmptyTaggedFields();
    std::string address;
    auto response =
        impl_->CallCoordinator(transactional_id, kafka_api::kDescribeTransactions, version,
                               body.data(), "DescribeTransactions", deadline, &address);
    if (!response.ok()) return response.status();
    const std::string what = absl::StrCat("DescribeTransactions '", transactional_id, "'");
    kafka_wire::Reader r(*response);
    int16_t error = 0;
    absl::Status parsed = [&]() -> absl::Status {
      if (auto t = r.Int32(); !t.ok()) return t.status();
      auto n = r.ArrayLength(true);
      if (!n.ok()) return n.status();
      if (*n != 1) return absl::DataLossError(absl::StrCat(*n, " transactions, expected 1"));
      auto e = r.Int16();
      if (!e.ok()) return e.status();
      error = *e;
      if (auto id = r.String(true); !id.ok()) return id.status();
      auto state = r.String(true);
      auto timeout = r.Int32();
      auto start = r.Int64();
      auto pid = r.Int64();
      auto epoch = r.Int16();
      if (!epoch.ok()) return epoch.status();
      out.state = *state;
      out.timeout_ms = *timeout;
      out.start_time_ms = *start;
      out.producer_id = *pid;
      out.producer_epoch = *epoch;
      return absl::OkStatus();  // the topics and tagged fields that follow are not needed
    }();
    if (!parsed.ok()) return Malformed(address, what, parsed);
    if (error == kafka_error::kNone) return absl::OkStatus();
    absl::StatusCode code = absl::StatusCode::kFailedPrecondition;
    if (error == kafka_error::kTransactionalIdNotFound) code = absl::StatusCode::kNotFound;
    if (error == kafka_error::kTransactionalIdAuthorizationFailed) {
      code = absl::StatusCode::kPermissionDenied;
    }
    if (IsRetriable(kafka_wire::WithErrorCode(absl::UnknownError(""), error), false)) {
      code = absl::StatusCode::kUnavailable;
    }
    return BrokerError(code, address, what, error, "");
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status KafkaProtocolClient::EndTransaction(const std::string& transactional_id,
                                                 int64_t producer_id, int16_t producer_epoch,
                                                 bool commit, absl::Time deadline) {
  return impl_->Retry(transactional_id, true, deadline, [&]() -> absl::Status {
    const int16_t version = impl_->VersionFor(kafka_api::kEndTxn);
    if (version < 0) {
      return absl::UnimplementedError("kafka: the broker does not support EndTxn v0-v4");
    }
    const bool flexible = kafka_api::IsFlexible(kafka_api::kEndTxn, version);
    kafka_wire::Writer body;
    body.String(transactional_id, flexible);
    body.Int64(producer_id);
    body.Int16(producer_epoch);
    body.Bool(commit);
    if (flexible) body.EmptyTaggedFields();
    std::string address;
    auto response = impl_->CallCoordinator(transactional_id, kafka_api::kEndTxn, version,
                                           body.data(), "EndTxn", deadline, &address);
    if (!response.ok()) return response.status();
    const std::string what =
        absl::StrCat("EndTxn v", version, " ", commit ? "commit" : "abort", " '", transactional_id,
                     "' producer ", producer_id, " epoch ", producer_epoch);
    kafka_wire::Reader r(*response);
    auto throttle = r.Int32();
    auto error = r.Int16();
    if (!error.ok()) return Malformed(address, what, error.status());
    if (*error == kafka_error::kNone) return absl::OkStatus();
    absl::StatusCode code = absl::StatusCode::kFailedPrecondition;
    if (IsRetriable(kafka_wire::WithErrorCode(absl::UnknownError(""), *error), true)) {
      code = absl::StatusCode::kUnavailable;
    }
    if (*error == kafka_error::kTransactionalIdAuthorizationFailed) {
      code = absl::StatusCode::kPermissionDenied;
    }
    return BrokerError(code, address, what, *error, "");
  });
}

}  // namespace ec
