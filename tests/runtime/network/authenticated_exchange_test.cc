// The data plane with a cluster secret: a producer holding it exchanges records; one with a
// wrong secret, random bytes, or a well-formed frame without the handshake are cut off before
// any frame is read, and the authenticated channel keeps flowing meanwhile.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/network/frame.h"
#include "runtime/network/input_gate.h"
#include "runtime/util/tcp.h"
#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::MakeBatch;
using test_support::Records;

constexpr char kSecret[] = "the-cluster-secret-0123";

class AuthenticatedExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DataServerOptions options;
    options.secret = ClusterSecret::FromString(kSecret);
    options.handshake_timeout = absl::Seconds(2);
    server_ = std::make_unique<DataServer>(options);
    ASSERT_TRUE(server_->Start().ok());
    address_ = absl::StrCat("127.0.0.1:", server_->port());
  }
  static DataClientOptions ClientWith(const std::string& secret) {
    DataClientOptions options;
    if (!secret.empty()) options.secret = ClusterSecret::FromString(secret);
    options.connect_timeout = absl::Seconds(2);
    options.handshake_timeout = absl::Seconds(2);
    return options;
  }
  // Whether the server closed a raw connection on which `bytes` were sent (recv sees EOF or
  // a reset, after at most the handshake's hello).
  bool ClosedAfterSending(const std::string& bytes) {
    auto fd = DialTcp("127.0.0.1", server_->port(), absl::Now() + absl::Seconds(5));
    EXPECT_TRUE(fd.ok()) << fd.status();
    if (!fd.ok()) return false;
    EXPECT_EQ(send(*fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    timeval timeout{10, 0};
    setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    char buffer[256];
    ssize_t n;
    while ((n = recv(*fd, buffer, sizeof(buffer), 0)) > 0) {
    }
    const bool closed = n == 0 || errno == ECONNRESET;
    close(*fd);
    return closed;
  }

  std::unique_ptr<DataServer> server_;
  std::string address_;
};

TEST_F(AuthenticatedExchangeTest, AProducerWithTheSecretExchangesRecords) {
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0)});
  ASSERT_TRUE(gate.ok());
  DataClient client(ClientWith(kSecret));
  auto out = client.Open(address_, Channel(0, 0));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE((*out)->SendBatch(MakeBatch("r", 0, 3)).ok());
  RecordBatch batch;
  ASSERT_TRUE((*gate)->Poll(batch, absl::Seconds(10)).ok());
  EXPECT_EQ(Records(batch), (std::vector<std::string>{"r-0", "r-1", "r-2"}));
}

TEST_F(AuthenticatedExchangeTest, AProducerWithAWrongSecretOrNoneIsRefused) {
  DataClient wrong(ClientWith("not-the-cluster-secret"));
  auto refused = wrong.Open(address_, Channel(0, 0));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  // Without a secret the producer sends its preamble at once: the server refuses it as an
  // answer and closes, so nothing it sends is ever read as a frame.
  EXPECT_TRUE(ClosedAfterSending(std::string(200, 'E')));
}

TEST_F(AuthenticatedExchangeTest, StrangersAreCutOffWhileTheJobKeepsFlowing) {
  auto gate = InputGate::Create(server_->registry(), {Channel(0, 0)});
  ASSERT_TRUE(gate.ok());
  DataClient client(ClientWith(kSecret));
  auto out = client.Open(address_, Channel(0, 0));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE((*out)->SendBatch(MakeBatch("before", 0, 1)).ok());

  // Random bytes, then a well-formed preamble and DATA frame without the handshake (sent
  // over a socket pair's writer so the bytes are exactly what the real client would send).
  EXPECT_TRUE(ClosedAfterSending(RandomBytes(300)));
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  ASSERT_TRUE(WritePreamble(pair[0]).ok());
  ASSERT_TRUE(WriteDataFrame(pair[0], Channel(0, 0), MakeBatch("forged", 0, 1)).ok());
  shutdown(pair[0], SHUT_WR);
  std::string forged;
  char buffer[4096];
  for (ssize_t n; (n = read(pair[1], buffer, sizeof(buffer))) > 0;) forged.append(buffer, n);
  close(pair[0]);
  close(pair[1]);
  EXPECT_TRUE(ClosedAfterSending(forged));

  // The authenticated channel saw nothing forged and still carries records.
  ASSERT_TRUE((*out)->SendBatch(MakeBatch("after", 0, 1)).ok());
  RecordBatch batch;
  std::vector<std::string> got;
  while (got.size() < 2) {
    ASSERT_TRUE((*gate)->Poll(batch, absl::Seconds(10)).ok());
    for (const auto& r : Records(batch)) got.push_back(r);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"before-0", "after-0"}));
}

}  // namespace
}  // namespace ec
