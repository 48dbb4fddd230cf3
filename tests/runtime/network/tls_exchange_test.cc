// The data plane over TLS (runtime/security/data_tls.h): records and credits cross it with
// nothing readable on the wire; a producer whose certificate another CA signed, and one that
// does not speak TLS, are cut off. Certificates are made with the openssl tool, as the
// integration tests make theirs.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/network/frame.h"
#include "runtime/network/input_gate.h"
#include "runtime/security/tls.h"
#include "runtime/util/tcp.h"
#include "tests/runtime/network/network_test_util.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;
using test_support::Channel;
using test_support::MakeBatch;
using test_support::Records;

// A CA in `dir`/NAME-ca.pem and a certificate it signs, NAME.pem and NAME.key.
TlsFiles MakeCertificates(const fs::path& dir, const std::string& name) {
  const std::string d = dir.string() + "/" + name;
  const std::string ec_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string script = absl::StrCat(
      "set -e; cd '", dir.string(), "'; ",
      "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > ", name,
      ".ext; openssl req -x509 ", ec_key, " -keyout ", name, "-ca.key -out ", name,
      "-ca.pem -days 2 -subj /CN=", name, "-ca; openssl req ", ec_key, " -keyout ", name,
      ".key -out ", name, ".csr -subj /CN=", name, "; openssl x509 -req -in ", name,
      ".csr -CA ", name, "-ca.pem -CAkey ", name, "-ca.key -CAcreateserial -out ", name,
      ".pem -days 2 -extfile ", name, ".ext) >/dev/null 2>&1");
  EXPECT_EQ(std::system(("(" + script).c_str()), 0) << script;
  return TlsFiles{.cert = d + ".pem", .key = d + ".key", .ca = d + "-ca.pem"};
}

// Forwards one connection to `to_port` and keeps every byte the producer side sent.
class Tap {
 public:
  explicit Tap(int to_port) : to_port_(to_port) {
    auto listening = ListenTcp("127.0.0.1", 0);
    EXPECT_TRUE(listening.ok());
    listen_fd_ = listening->fd;
    port_ = listening->port;
    thread_ = std::thread([this] { Run(); });
  }
  ~Tap() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  std::string seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  void Run() {
    const int in = accept(listen_fd_, nullptr, nullptr);
    if (in < 0) return;
    auto out = DialTcp("127.0.0.1", to_port_, absl::Now() + absl::Seconds(10));
    if (!out.ok()) return;
    std::thread back([&] { Copy(*out, in, nullptr); });
    Copy(in, *out, this);
    back.join();
    close(in);
    close(*out);
  }
  // Copies until either side ends; `tap` keeps the bytes.
  static void Copy(int from, int to, Tap* tap) {
    char buffer[65536];
    ssize_t n;
    while ((n = recv(from, buffer, sizeof(buffer), 0)) > 0) {
      if (tap) {
        absl::MutexLock lock(&tap->mu_);
        tap->seen_.append(buffer, n);
      }
      if (send(to, buffer, n, MSG_NOSIGNAL) != n) break;
    }
    shutdown(to, SHUT_RDWR);
    shutdown(from, SHUT_RDWR);
  }

  const int to_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::string seen_ ABSL_GUARDED_BY(mu_);
};

class TlsExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = MakeCertificates(scratch_.path(), "cluster");
    auto tls = DataTls::Create(files_);
    ASSERT_TRUE(tls.ok()) << tls.status();
    tls_ = *tls;
    DataServerOptions options;
    options.secret = ClusterSecret::FromString("the-cluster-secret-0123");
    options.tls = tls_;
    options.handshake_timeout = absl::Seconds(5);
    server_ = std::make_unique<DataServer>(options);
    ASSERT_TRUE(server_->Start().ok());
  }
  DataClientOptions Client(std::shared_ptr<const DataTls> tls) const {
    DataClientOptions options;
    options.secret = ClusterSecret::FromString("the-cluster-secret-0123");
    options.tls = std::move(tls);
    options.connect_timeout = absl::Seconds(5);
    options.handshake_timeout = absl::Seconds(5);
    return options;
  }

  test_support::ScratchDir scratch_{"tls-exchange"};
  TlsFiles files_;
  std::shared_ptr<const DataTls> tls_;
  std::unique_ptr<DataServer> server_;
};

TEST_F(TlsExchangeTest, RecordsAndCreditsCrossWithNothingReadableOnTheWire) {
  Tap tap(server_->port());
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0)});
  ASSERT_TRUE(gate.ok());
  DataClient client(Client(tls_));
  auto out = client.Open(absl::StrCat("127.0.0.1:", tap.port()), Channel(0, 0));
  ASSERT_TRUE(out.ok()) << out.status();
  // Many small batches (more than the first credits: credits must come back over TLS), and
  // one of 200 KB, which spans many TLS records.
  RecordBatch big;
  big.Append("secret-big-" + std::string(200000, 'x'));
  std::thread producer([&] {
    for (int i = 0; i < 300; ++i) ASSERT_TRUE((*out)->SendBatch(MakeBatch("secret", i, 1)).ok());
    ASSERT_TRUE((*out)->SendBatch(big).ok());
  });
  std::vector<std::string> got;
  RecordBatch batch;
  while (got.size() < 301) {
    ASSERT_TRUE((*gate)->Poll(batch, absl::Seconds(20)).ok()) << got.size() << " records came";
    for (const auto& r : Records(batch)) got.push_back(r);
  }
  producer.join();
  EXPECT_EQ(got.front(), "secret-0");
  EXPECT_EQ(got[299], "secret-299");
  EXPECT_EQ(got.back(), Records(big)[0]);
  const std::string wire = tap.seen();
  EXPECT_GT(wire.size(), 200000u);
  EXPECT_EQ(wire.find("secret-"), std::string::npos) << "a record crossed in the clear";
  EXPECT_EQ(wire.find("xxxxxxxx"), std::string::npos) << "a record crossed in the clear";
}

TEST_F(TlsExchangeTest, AProducerCertifiedByAnotherCaIsRefused) {
  auto stranger = DataTls::Create(MakeCertificates(scratch_.path(), "stranger"));
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  DataClient client(Client(*stranger));
  auto refused = client.Open(absl::StrCat("127.0.0.1:", server_->port()), Channel(0, 0));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  EXPECT_NE(refused.status().message().find("TLS handshake failed"), std::string::npos)
      << refused.status();
}

TEST_F(TlsExchangeTest, AProducerWithoutTlsGetsNoRecordThrough) {
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0)});
  ASSERT_TRUE(gate.ok());
  DataClient plain(Client(nullptr));
  auto out = plain.Open(absl::StrCat("127.0.0.1:", server_->port()), Channel(0, 0));
  if (out.ok()) (void)(*out)->SendBatch(MakeBatch("plain", 0, 1));
  RecordBatch batch;
  EXPECT_FALSE((*gate)->Poll(batch, absl::Milliseconds(500)).ok() && !batch.empty())
      << "a plaintext producer's record was delivered";

  // A producer with the CA's certificate still gets through.
  DataClient client(Client(tls_));
  auto good = client.Open(absl::StrCat("127.0.0.1:", server_->port()), Channel(1, 0));
  ASSERT_TRUE(good.ok()) << good.status();
}

TEST(DataTlsTest, MissingFilesAreNamed) {
  auto tls = DataTls::Create(TlsFiles{.cert = "/nonexistent/c.pem", .key = "k", .ca = "ca"});
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("--tls-cert /nonexistent/c.pem"), std::string::npos)
      << tls.status();
  auto no_ca = DataTls::Create(TlsFiles{.cert = "c.pem", .key = "k"});
  ASSERT_FALSE(no_ca.ok());
  EXPECT_NE(no_ca.status().message().find("--tls-ca"), std::string::npos) << no_ca.status();
}

}  // namespace
}  // namespace ec
