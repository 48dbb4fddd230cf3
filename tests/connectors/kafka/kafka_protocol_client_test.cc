// KafkaProtocolClient against a fake broker on the loopback interface: version negotiation,
// coordinator lookup, error codes, retries and deadlines.
#include "connectors/kafka/kafka_protocol_client.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "connectors/kafka/kafka_broker_connection.h"
#include "connectors/kafka/kafka_wire.h"
#include "runtime/util/tcp.h"

namespace ec {
namespace {

using kafka_wire::Reader;
using kafka_wire::Writer;

// A broker that answers each request with what `handler` returns (the body after the response
// header); std::nullopt leaves the request unanswered. One thread per connection.
class FakeBroker {
 public:
  using Handler =
      std::function<std::optional<std::string>(int16_t api_key, int16_t version, Reader& body)>;

  // `tls`: serve TLS with this context (not owned) instead of plain TCP.
  explicit FakeBroker(Handler handler, SSL_CTX* tls = nullptr)
      : handler_(std::move(handler)), tls_(tls) {
    auto listening = ListenTcp("127.0.0.1", 0);
    EXPECT_TRUE(listening.ok()) << listening.status();
    listen_fd_ = listening->fd;
    port_ = listening->port;
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~FakeBroker() {
    stop_ = true;
    acceptor_.join();
    {
      absl::MutexLock lock(&mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int port() const { return port_; }
  int Calls(int16_t api_key) {
    absl::MutexLock lock(&mu_);
    return calls_[api_key];
  }
  // Added to every response's correlation id (to test the client's check).
  std::atomic<int> correlation_shift{0};

  std::vector<int16_t> VersionsSeen(int16_t api_key) {
    absl::MutexLock lock(&mu_);
    return versions_[api_key];
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      absl::MutexLock lock(&mu_);
      fds_.push_back(fd);
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static bool ReadExact(int fd, SSL* ssl, char* out, size_t n) {
    while (n > 0) {
      const ssize_t r =
          ssl != nullptr ? SSL_read(ssl, out, static_cast<int>(n)) : ::recv(fd, out, n, 0);
      if (r <= 0) return false;
      out += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }

  void Serve(int fd) {
    // OpenSSL writes with write(): a client that hung up (e.g. after refusing our certificate)
    // would raise SIGPIPE and kill the test. This thread keeps it blocked; the client's side
    // must not raise it at all, which the TLS tests check by running with SIGPIPE's default.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    SSL* ssl = nullptr;
    if (tls_ != nullptr) {
      ssl = SSL_new(tls_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        ::close(fd);
        return;
      }
    }
    while (true) {
      char size_bytes[4];
      if (!ReadExact(fd, ssl, size_bytes, 4)) break;
      const int32_t size = *Reader(absl::string_view(size_bytes, 4)).Int32();
      std::string request(size, '\0');
      if (!ReadExact(fd, ssl, request.data(), request.size())) break;
      Reader r(request);
      const int16_t api_key = *r.Int16();
      const int16_t version = *r.Int16();
      const int32_t correlation_id = *r.Int32();
      (void)r.String(false);  // client id
      const bool flexible = kafka_api::IsFlexible(api_key, version);
      if (flexible) (void)r.SkipTaggedFields();
      {
        absl::MutexLock lock(&mu_);
        ++calls_[api_key];
        versions_[api_key].push_back(version);
      }
      std::optional<std::string> body = handler_(api_key, version, r);
      if (!body) continue;
      Writer w;
      w.Int32(0);
      w.Int32(correlation_id + correlation_shift);
      if (flexible && api_key != kafka_api::kApiVersions) w.EmptyTaggedFields();
      std::string frame = w.Take() + *body;
      const uint32_t length = static_cast<uint32_t>(frame.size() - 4);
      for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((length >> (8 * (3 - i))) & 0xff);
      const ssize_t sent = ssl != nullptr
                               ? SSL_write(ssl, frame.data(), static_cast<int>(frame.size()))
                               : ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
      if (sent != static_cast<ssize_t>(frame.size())) break;
    }
    if (ssl != nullptr) SSL_free(ssl);
    ::close(fd);
  }

  Handler handler_;
  SSL_CTX* tls_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> connections_;
  std::map<int16_t, int> calls_ ABSL_GUARDED_BY(mu_);
  std::map<int16_t, std::vector<int16_t>> versions_ ABSL_GUARDED_BY(mu_);
};

// An ApiVersions response listing these {key, min, max} (v3 layout when `version` >= 3).
std::string ApiVersionsBody(int16_t version, int16_t error,
                            const std::vector<std::array<int16_t, 3>>& apis) {
  const bool flexible = version >= 3;
  Writer w;
  w.Int16(error);
  w.ArrayLength(static_cast<int32_t>(apis.size()), flexible);
  for (const auto& a : apis) {
    w.Int16(a[0]);
    w.Int16(a[1]);
    w.Int16(a[2]);
    if (flexible) w.EmptyTaggedFields();
  }
  if (version >= 1) w.Int32(0);
  if (flexible) w.EmptyTaggedFields();
  return w.Take();
}

const std::vector<std::array<int16_t, 3>> kBrokerApis = {
    {kafka_api::kApiVersions, 0, 4},   {kafka_api::kFindCoordinator, 1, 6},
    {kafka_api::kEndTxn, 0, 5},        {kafka_api::kDescribeTransactions, 0, 0},
    {kafka_api::kSaslHandshake, 0, 1}, {kafka_api::kSaslAuthenticate, 0, 2}};

// FindCoordinator v4+ naming `port` on 127.0.0.1 as the coordinator.
std::string FindCoordinatorBody(int port, int16_t error = 0) {
  Writer w;
  w.Int32(0);
  w.ArrayLength(1, true);
  w.String("txn", true);
  w.Int32(1);
  w.String("127.0.0.1", true);
  w.Int32(port);
  w.Int16(error);
  w.NullString(true);
  w.EmptyTaggedFields();
  w.EmptyTaggedFields();
  return w.Take();
}

std::string DescribeBody(int16_t error, const std::string& state) {
  Writer w;
  w.Int32(0);
  w.ArrayLength(1, true);
  w.Int16(error);
  w.String("txn", true);
  w.String(state, true);
  w.Int32(60000);
  w.Int64(1234);
  w.Int64(42);
  w.Int16(3);
  w.ArrayLength(0, true);  // topics
  w.EmptyTaggedFields();
  w.EmptyTaggedFields();
  return w.Take();
}

std::string EndTxnBody(int16_t version, int16_t error) {
  Writer w;
  w.Int32(0);
  w.Int16(error);
  if (version >= 3) w.EmptyTaggedFields();
  return w.Take();
}

KafkaClientConfig ConfigFor(const FakeBroker& broker) {
  KafkaClientConfig config;
  config.bootstrap_servers = broker.address();
  return config;
}

// A deadline no call should reach, even on a loaded machine (with 5 s,
// SslTrustsTheCaFromTheProperties failed once at a load average near 10).
absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

// A broker that answers ApiVersions and FindCoordinator (itself), and EndTxn/Describe with `more`.
FakeBroker::Handler Standard(int* port,
                             std::function<std::optional<std::string>(int16_t, int16_t)> more) {
  return [port, more](int16_t key, int16_t version, Reader&) -> std::optional<std::string> {
    if (key == kafka_api::kApiVersions) return ApiVersionsBody(version, 0, kBrokerApis);
    if (key == kafka_api::kFindCoordinator) return FindCoordinatorBody(*port);
    return more(key, version);
  };
}

TEST(KafkaProtocolClientTest, PicksTheHighestVersionBothSidesSpeak) {
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t, int16_t) { return std::nullopt; }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->ApiVersionFor(kafka_api::kEndTxn), 4);  // the broker has 5: not ours
  EXPECT_EQ((*client)->ApiVersionFor(kafka_api::kFindCoordinator), 6);
  EXPECT_EQ((*client)->ApiVersionFor(kafka_api::kDescribeTransactions), 0);
  EXPECT_EQ((*client)->ApiVersionFor(0), -1);  // Produce: not spoken
  EXPECT_EQ(broker.VersionsSeen(kafka_api::kApiVersions), std::vector<int16_t>{3});
}

TEST(KafkaProtocolClientTest, FallsBackToApiVersionsV0OnUnsupportedVersion) {
  FakeBroker broker([](int16_t key, int16_t version, Reader&) -> std::optional<std::string> {
    if (key != kafka_api::kApiVersions) return std::nullopt;
    if (version > 0) return ApiVersionsBody(0, 35, {{kafka_api::kApiVersions, 0, 2}});
    return ApiVersionsBody(0, 0, {{kafka_api::kApiVersions, 0, 2}, {kafka_api::kEndTxn, 0, 2}});
  });
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->ApiVersionFor(kafka_api::kEndTxn), 2);
  EXPECT_EQ(broker.VersionsSeen(kafka_api::kApiVersions), (std::vector<int16_t>{3, 0}));
}

TEST(KafkaProtocolClientTest, DescribeReadsTheTransaction) {
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t key, int16_t) -> std::optional<std::string> {
    if (key == kafka_api::kDescribeTransactions) return DescribeBody(0, "Ongoing");
    return std::nullopt;
  }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  auto txn = (*client)->DescribeTransaction("txn", Soon());
  ASSERT_TRUE(txn.ok()) << txn.status();
  EXPECT_EQ(txn->state, "Ongoing");
  EXPECT_EQ(txn->producer_id, 42);
  EXPECT_EQ(txn->producer_epoch, 3);
  EXPECT_EQ(txn->start_time_ms, 1234);
  EXPECT_EQ(txn->timeout_ms, 60000);
  // The coordinator is cached: a second describe does not look it up again.
  ASSERT_TRUE((*client)->DescribeTransaction("txn", Soon()).ok());
  EXPECT_EQ(broker.Calls(kafka_api::kFindCoordinator), 1);
}

TEST(KafkaProtocolClientTest, AnUnknownTransactionalIdIsNotFoundWithItsCode) {
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t key, int16_t) -> std::optional<std::string> {
    if (key == kafka_api::kDescribeTransactions) return DescribeBody(105, "");
    return std::nullopt;
  }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  auto txn = (*client)->DescribeTransaction("txn", Soon());
  EXPECT_EQ(txn.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(KafkaErrorCodeOf(txn.status()), kafka_error::kTransactionalIdNotFound);
  EXPECT_NE(txn.status().message().find(broker.address()), absl::string_view::npos) << txn.status();
  EXPECT_NE(txn.status().message().find("TRANSACTIONAL_ID_NOT_FOUND"), absl::string_view::npos);
}

TEST(KafkaProtocolClientTest, EndTxnRetriesConcurrentTransactions) {
  int port = 0;
  std::atomic<int> end_calls{0};
  FakeBroker broker(
      Standard(&port, [&end_calls](int16_t key, int16_t version) -> std::optional<std::string> {
        if (key != kafka_api::kEndTxn) return std::nullopt;
        return EndTxnBody(version, ++end_calls < 3 ? kafka_error::kConcurrentTransactions : 0);
      }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->EndTransaction("txn", 42, 3, true, Soon()).ok());
  EXPECT_EQ(end_calls.load(), 3);
  EXPECT_EQ(broker.VersionsSeen(kafka_api::kEndTxn), (std::vector<int16_t>{4, 4, 4}));
}

TEST(KafkaProtocolClientTest, NotCoordinatorFindsTheCoordinatorAgain) {
  int port = 0;
  std::atomic<int> end_calls{0};
  FakeBroker broker(
      Standard(&port, [&end_calls](int16_t key, int16_t version) -> std::optional<std::string> {
        if (key != kafka_api::kEndTxn) return std::nullopt;
        return EndTxnBody(version, ++end_calls == 1 ? kafka_error::kNotCoordinator : 0);
      }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->EndTransaction("txn", 42, 3, false, Soon()).ok());
  EXPECT_EQ(broker.Calls(kafka_api::kFindCoordinator), 2);
}

TEST(KafkaProtocolClientTest, EndTxnStateErrorsAreFailedPreconditionWithTheCode) {
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t key, int16_t version) -> std::optional<std::string> {
    if (key == kafka_api::kEndTxn) return EndTxnBody(version, kafka_error::kProducerFenced);
    return std::nullopt;
  }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  absl::Status s = (*client)->EndTransaction("txn", 42, 3, true, Soon());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(KafkaErrorCodeOf(s), kafka_error::kProducerFenced);
  EXPECT_NE(s.message().find("EndTxn v4 commit 'txn' producer 42 epoch 3"), absl::string_view::npos)
      << s;
  EXPECT_EQ(broker.Calls(kafka_api::kEndTxn), 1);
}

TEST(KafkaProtocolClientTest, RetriesStopAtTheDeadline) {
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t key, int16_t version) -> std::optional<std::string> {
    if (key == kafka_api::kEndTxn)
      return EndTxnBody(version, kafka_error::kCoordinatorLoadInProgress);
    return std::nullopt;
  }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::Time start = absl::Now();
  absl::Status s = (*client)->EndTransaction("txn", 42, 3, true, start + absl::Milliseconds(600));
  EXPECT_EQ(KafkaErrorCodeOf(s), kafka_error::kCoordinatorLoadInProgress) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_GT(broker.Calls(kafka_api::kEndTxn), 1);
}

TEST(KafkaProtocolClientTest, AnUnansweredRequestTimesOut) {
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t, int16_t) { return std::nullopt; }));
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::Time start = absl::Now();
  auto txn = (*client)->DescribeTransaction("txn", start + absl::Milliseconds(300));
  EXPECT_EQ(txn.status().code(), absl::StatusCode::kDeadlineExceeded) << txn.status();
  EXPECT_NE(txn.status().message().find("DescribeTransactions"), absl::string_view::npos);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(KafkaProtocolClientTest, ANoBrokerAddressIsUnavailable) {
  auto listening = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok());
  const int port = listening->port;
  ::close(listening->fd);
  KafkaClientConfig config;
  config.bootstrap_servers = absl::StrCat("127.0.0.1:", port);
  auto client = KafkaProtocolClient::Connect(config, Soon());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable) << client.status();
}

// A TLS server context with a fresh self-signed certificate for `san` (e.g. "IP:127.0.0.1"),
// whose PEM is written to `pem_path` for the client's ssl.ca.location.
struct TlsServer {
  explicit TlsServer(const std::string& san) {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("fake broker"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                                     {NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    // The pid too: ctest runs each test in its own process, several at once.
    pem_path = absl::StrCat(::testing::TempDir(), "/fake-broker-", getpid(), "-", ++counter,
                            ".pem");
    FILE* f = std::fopen(pem_path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~TlsServer() {
    SSL_CTX_free(ctx);
    std::remove(pem_path.c_str());
  }
  static inline int counter = 0;
  SSL_CTX* ctx = nullptr;
  std::string pem_path;
};

KafkaClientConfig TlsConfigFor(const FakeBroker& broker, const std::string& ca) {
  KafkaClientConfig config = ConfigFor(broker);
  config.security_protocol = "SSL";
  if (!ca.empty()) config.properties["ssl.ca.location"] = ca;
  return config;
}

TEST(KafkaProtocolClientTest, SslTrustsTheCaFromTheProperties) {
  TlsServer tls("IP:127.0.0.1");
  int port = 0;
  FakeBroker broker(Standard(&port,
                             [](int16_t key, int16_t) -> std::optional<std::string> {
                               if (key == kafka_api::kDescribeTransactions) {
                                 return DescribeBody(0, "Ongoing");
                               }
                               return std::nullopt;
                             }),
                    tls.ctx);
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(TlsConfigFor(broker, tls.pem_path), Soon());
  ASSERT_TRUE(client.ok()) << client.status();
  auto txn = (*client)->DescribeTransaction("txn", Soon());
  ASSERT_TRUE(txn.ok()) << txn.status();
  EXPECT_EQ(txn->producer_id, 42);
}

TEST(KafkaProtocolClientTest, SslRefusesABrokerOutsideTheTrustStore) {
  TlsServer tls("IP:127.0.0.1");
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t, int16_t) { return std::nullopt; }), tls.ctx);
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(TlsConfigFor(broker, ""), Soon());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable) << client.status();
  EXPECT_NE(client.status().message().find("certificate verify failed"), absl::string_view::npos)
      << client.status();
}

TEST(KafkaProtocolClientTest, SslChecksTheBrokersName) {
  TlsServer tls("DNS:some-other-broker.example");
  int port = 0;
  FakeBroker broker(Standard(&port, [](int16_t, int16_t) { return std::nullopt; }), tls.ctx);
  port = broker.port();
  auto client = KafkaProtocolClient::Connect(TlsConfigFor(broker, tls.pem_path), Soon());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable) << client.status();
  EXPECT_NE(client.status().message().find("mismatch"), absl::string_view::npos) << client.status();
  // Without the name check (librdkafka's ssl.endpoint.identification.algorithm=none) it connects.
  KafkaClientConfig config = TlsConfigFor(broker, tls.pem_path);
  config.properties["ssl.endpoint.identification.algorithm"] = "none";
  EXPECT_TRUE(KafkaProtocolClient::Connect(config, Soon()).ok());
}

TEST(KafkaProtocolClientTest, AWrongCorrelationIdIsAnError) {
  FakeBroker broker([](int16_t key, int16_t version, Reader&) -> std::optional<std::string> {
    if (key == kafka_api::kApiVersions) return ApiVersionsBody(version, 0, kBrokerApis);
    return std::nullopt;
  });
  broker.correlation_shift = 7;
  auto client = KafkaProtocolClient::Connect(ConfigFor(broker), Soon());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kDataLoss) << client.status();
  EXPECT_NE(client.status().message().find("correlation id"), absl::string_view::npos);
}

}  // namespace
}  // namespace ec
