// The data-plane handshake over a real socket pair: both ends prove the secret; a wrong secret,
// a replayed answer or silence fails it.
#include "runtime/security/handshake.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "absl/time/clock.h"

namespace ec {
namespace {

struct SocketPair {
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
  ~SocketPair() {
    close(fd[0]);
    close(fd[1]);
  }
  int fd[2];
};

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

TEST(HandshakeTest, BothEndsWithTheSameSecretPass) {
  auto secret = ClusterSecret::FromString("the-cluster-secret-0123");
  SocketPair s;
  auto server = std::async(std::launch::async,
                           [&] { return ServerHandshake(s.fd[0], *secret, Soon()); });
  EXPECT_TRUE(ClientHandshake(s.fd[1], *secret, Soon()).ok());
  EXPECT_TRUE(server.get().ok());
}

TEST(HandshakeTest, AWrongSecretFailsOnBothEnds) {
  auto right = ClusterSecret::FromString("the-cluster-secret-0123");
  auto wrong = ClusterSecret::FromString("not-the-cluster-secret");
  SocketPair s;
  auto server = std::async(std::launch::async, [&] {
    absl::Status st = ServerHandshake(s.fd[0], *right, Soon());
    shutdown(s.fd[0], SHUT_RDWR);  // what the data server does after a refusal
    return st;
  });
  absl::Status client = ClientHandshake(s.fd[1], *wrong, Soon());
  absl::Status refused = server.get();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated) << refused;
  EXPECT_FALSE(client.ok());
}

// Replay: an answer recorded from an earlier connection was made for that connection's server
// nonce; each connection's nonce is fresh, so the answer no longer fits.
TEST(HandshakeTest, AnAnswerMadeForAnotherServerNonceIsRefused) {
  auto secret = ClusterSecret::FromString("the-cluster-secret-0123");
  // The attacker reads the new hello and sends the old answer.
  SocketPair s;
  auto server = std::async(std::launch::async,
                           [&] { return ServerHandshake(s.fd[0], *secret, Soon()); });
  char hello[sizeof(kHandshakeMagic) - 1 + kHandshakeNonceBytes];
  ASSERT_EQ(recv(s.fd[1], hello, sizeof(hello), MSG_WAITALL), static_cast<ssize_t>(sizeof(hello)));
  // An answer that was right for another server nonce: computed here over a different nonce.
  const std::string other_nonce(kHandshakeNonceBytes, 'x');
  const std::string client_nonce(kHandshakeNonceBytes, 'y');
  const ClusterSecret::Mac mac = secret->Sign({"ec-data-client", other_nonce, client_nonce});
  const std::string recorded = client_nonce + std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
  ASSERT_EQ(send(s.fd[1], recorded.data(), recorded.size(), 0),
            static_cast<ssize_t>(recorded.size()));
  EXPECT_EQ(server.get().code(), absl::StatusCode::kUnauthenticated);
}

TEST(HandshakeTest, RandomBytesAndSilenceAreRefused) {
  auto secret = ClusterSecret::FromString("the-cluster-secret-0123");
  {
    SocketPair s;
    auto server = std::async(std::launch::async,
                             [&] { return ServerHandshake(s.fd[0], *secret, Soon()); });
    const std::string junk = RandomBytes(200);
    ASSERT_EQ(send(s.fd[1], junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
    EXPECT_EQ(server.get().code(), absl::StatusCode::kUnauthenticated);
  }
  {
    SocketPair s;
    absl::Status silent =
        ServerHandshake(s.fd[0], *secret, absl::Now() + absl::Milliseconds(200));
    EXPECT_EQ(silent.code(), absl::StatusCode::kDeadlineExceeded);
  }
  {
    // A client meeting a port that sends something else than the hello.
    SocketPair s;
    const std::string junk(sizeof(kHandshakeMagic) - 1 + kHandshakeNonceBytes, 'j');
    ASSERT_EQ(send(s.fd[0], junk.data(), junk.size(), 0), static_cast<ssize_t>(junk.size()));
    EXPECT_EQ(ClientHandshake(s.fd[1], *secret, Soon()).code(),
              absl::StatusCode::kUnauthenticated);
  }
}

}  // namespace
}  // namespace ec
