// EventServer in process, over loopback: streams from 0 or from a RESUME seq, ends each
// connection after --count, keeps streams independent, paces, and stops cleanly.
#include "client/producer/event_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "client/producer/resume_line.h"
#include "client/producer/windows_events.h"
#include "runtime/util/tcp.h"

namespace ec::producer {
namespace {

constexpr int64_t kStart2026 = 1767225600000;

EventServer::Options ServerOptions(double rate, uint64_t count) {
  EventServer::Options options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.stream.seed = 42;
  options.stream.rate = rate;
  options.stream.count = count;
  options.stream.generator.start_time_ms = kStart2026;
  options.stream.generator.time_step_ms = 10;
  return options;
}

std::string Expected(uint64_t first, uint64_t end, uint64_t malformed_every = 0) {
  EventGenerator::Options options;
  options.start_time_ms = kStart2026;
  options.time_step_ms = 10;
  options.malformed_every = malformed_every;
  EventGenerator generator(42, options);
  std::string out;
  for (uint64_t seq = first; seq < end; ++seq) generator.AppendEvent(seq, &out);
  return out;
}

// A blocking loopback client whose reads give up after 10 s, so a broken server fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    auto fd = DialTcp("127.0.0.1", port, absl::Now() + absl::Seconds(10));
    connected_ = fd.ok();
    if (!connected_) return;
    fd_ = *fd;
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~Client() { Close(); }

  bool connected() const { return connected_; }

  void Send(const std::string& text) {
    ASSERT_EQ(send(fd_, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
  }

  // Everything until the server closes the connection.
  std::string ReadToEof() {
    std::string out;
    char buffer[65536];
    while (true) {
      const ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        EXPECT_EQ(got, 0) << "read error or timeout";
        return out;
      }
      out.append(buffer, got);
    }
  }

  // The first `n` whole lines (more may have been read and are dropped).
  std::string ReadLines(size_t n) {
    std::string out;
    char buffer[65536];
    size_t lines = 0;
    while (lines < n) {
      const ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        ADD_FAILURE() << "stream ended after " << lines << " lines";
        return out;
      }
      for (ssize_t i = 0; i < got && lines < n; ++i) {
        out.push_back(buffer[i]);
        lines += buffer[i] == '\n';
      }
    }
    return out;
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST(EventServerTest, PicksAFreePortForPortZero) {
  EventServer server(ServerOptions(0, 1));
  ASSERT_TRUE(server.Start().ok());
  EXPECT_NE(server.port(), 0);
}

TEST(EventServerTest, ClientSendingNothingGetsTheStreamFromZero) {
  EventServer server(ServerOptions(0, 50));
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.ReadToEof(), Expected(0, 50));
}

TEST(EventServerTest, ResumeLineStartsTheStreamAtItsSeq) {
  EventServer server(ServerOptions(0, 50));
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  client.Send(FormatResumeLine(17));
  EXPECT_EQ(client.ReadToEof(), Expected(17, 50));
}

TEST(EventServerTest, ResumeAtOrPastCountClosesAtOnce) {
  EventServer server(ServerOptions(0, 50));
  ASSERT_TRUE(server.Start().ok());
  for (uint64_t seq : {50, 1000}) {
    Client client(server.port());
    client.Send(FormatResumeLine(seq));
    EXPECT_EQ(client.ReadToEof(), "");
  }
}

TEST(EventServerTest, OtherFirstBytesGetTheStreamFromZero) {
  EventServer server(ServerOptions(0, 20));
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  client.Send("hello\n");
  EXPECT_EQ(client.ReadToEof(), Expected(0, 20));
}

TEST(EventServerTest, MalformedLinesReachTheClient) {
  EventServer::Options options = ServerOptions(0, 21);
  options.stream.generator.malformed_every = 7;
  EventServer server(options);
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  EXPECT_EQ(client.ReadToEof(), Expected(0, 21, 7));
}

TEST(EventServerTest, ClientLeavingEndsOnlyItsOwnStream) {
  EventServer server(ServerOptions(0, 0));
  ASSERT_TRUE(server.Start().ok());
  Client leaving(server.port());
  Client staying(server.port());
  EXPECT_EQ(leaving.ReadLines(1000), Expected(0, 1000));
  leaving.Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(staying.ReadLines(20000), Expected(0, 20000));
}

TEST(EventServerTest, PacedStreamKeepsTheRate) {
  EventServer server(ServerOptions(200, 0));
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  client.Send(FormatResumeLine(0));  // skips the 100 ms wait for a RESUME line
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.ReadLines(101), Expected(0, 101));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Event 100 falls due 0.5 s after the first.
  EXPECT_GT(seconds, 0.45);
  EXPECT_LT(seconds, 1.5);
}

TEST(EventServerTest, StopEndsOpenStreamsAndIsIdempotent) {
  EventServer server(ServerOptions(10, 0));
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port());
  client.ReadLines(1);
  const auto start = std::chrono::steady_clock::now();
  server.Stop();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  client.ReadToEof();
}

TEST(EventServerTest, StartFailsOnAPortInUse) {
  EventServer first(ServerOptions(0, 1));
  ASSERT_TRUE(first.Start().ok());
  EventServer::Options options = ServerOptions(0, 1);
  options.port = first.port();
  EventServer second(options);
  const absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

}  // namespace
}  // namespace ec::producer
