// DialTcp and ListenTcp against real sockets on the loopback interface.
#include "runtime/util/tcp.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ec {
namespace {

using ::testing::HasSubstr;

absl::Time In(absl::Duration d) { return absl::Now() + d; }

int BoundPort(int fd) {
  sockaddr_in address{};
  socklen_t len = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  return ntohs(address.sin_port);
}

TEST(ListenTcpTest, PortZeroReportsTheBoundPort) {
  auto listening = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_GT(listening->port, 0);
  EXPECT_EQ(listening->port, BoundPort(listening->fd));
  close(listening->fd);
}

TEST(ListenTcpTest, PortInUseIsUnavailable) {
  auto first = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = ListenTcp("127.0.0.1", first->port);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr(absl::StrCat("listen on 127.0.0.1:", first->port, ": ")));
  close(first->fd);
}

TEST(DialTcpTest, ConnectsToAListenerBlockingUnlessAsked) {
  auto listening = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  auto fd = DialTcp("127.0.0.1", listening->port, In(absl::Seconds(5)));
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(fcntl(*fd, F_GETFL, 0) & O_NONBLOCK, 0);
  EXPECT_EQ(PeerAddress(*fd), absl::StrCat("127.0.0.1:", listening->port));
  const int accepted = accept(listening->fd, nullptr, nullptr);
  EXPECT_GE(accepted, 0);
  close(accepted);
  close(*fd);

  auto polled = DialTcp("127.0.0.1", listening->port, absl::InfiniteFuture(),
                        {.no_delay = true, .non_blocking = true});
  ASSERT_TRUE(polled.ok()) << polled.status();
  EXPECT_NE(fcntl(*polled, F_GETFL, 0) & O_NONBLOCK, 0);
  int no_delay = 0;
  socklen_t len = sizeof(no_delay);
  getsockopt(*polled, IPPROTO_TCP, TCP_NODELAY, &no_delay, &len);
  EXPECT_NE(no_delay, 0);
  close(*polled);
  close(listening->fd);
}

TEST(DialTcpTest, ClosedPortIsUnavailableNamingTheAddress) {
  auto listening = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(listening.ok()) << listening.status();
  const int port = listening->port;
  close(listening->fd);  // nothing listens there any more
  auto fd = DialTcp("127.0.0.1", port, In(absl::Seconds(5)));
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fd.status().message(),
            absl::StrCat("connect to 127.0.0.1:", port, ": ", "Connection refused"));
}

TEST(DialTcpTest, GivesUpAtTheDeadline) {
  // A listener that never accepts, with an accept queue of one: once it is full the kernel
  // drops further SYNs, so a connect hangs until the deadline.
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 0), 0);
  const int port = BoundPort(listener);
  std::vector<int> queued;
  absl::Status timed_out;
  absl::Duration took;
  for (int i = 0; i < 8 && timed_out.ok(); ++i) {
    const absl::Time start = absl::Now();
    auto fd = DialTcp("127.0.0.1", port, start + absl::Milliseconds(300));
    took = absl::Now() - start;
    if (fd.ok()) {
      queued.push_back(*fd);
    } else {
      timed_out = fd.status();
    }
  }
  EXPECT_EQ(timed_out.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(timed_out.message()), HasSubstr("Connection timed out"));
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(3));
  for (int fd : queued) close(fd);
  close(listener);
}

TEST(ParseHostPortTest, SplitsHostAndPort) {
  auto v4 = ParseHostPort("10.0.0.5:6124");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "10.0.0.5");
  EXPECT_EQ(v4->port, 6124);
  auto v6 = ParseHostPort("[::1]:80");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 80);
  EXPECT_EQ(ParseHostPort("no-port").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHostPort("host:http").status().message(), "address host:http: expected HOST:PORT");
}

}  // namespace
}  // namespace ec
