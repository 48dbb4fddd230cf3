// Failures: a broken connection fails its channels naming the peer; connecting retries while
// the peer starts, for a bounded time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "runtime/network/connection.h"
#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/network/frame.h"
#include "runtime/network/input_gate.h"
#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::Eventually;
using test_support::MakeBatch;
using ::testing::HasSubstr;

std::string LocalAddress(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

// A port nothing listens on (bound, then released).
int FreePort() {
  auto listening = ListenTcp("127.0.0.1", 0);
  EXPECT_TRUE(listening.ok());
  if (!listening.ok()) return 0;
  close(listening->fd);
  return listening->port;
}

// The error a gate reports, polling until it has one.
absl::Status GateFailure(InputGate& gate) {
  RecordBatch batch;
  absl::Status failure;
  EXPECT_TRUE(Eventually([&] {
    failure = gate.Poll(batch, absl::Milliseconds(10)).status();
    return !failure.ok();
  }));
  return failure;
}

TEST(NetworkFailureTest, BrokenConnectionFailsTheConsumerNamingThePeer) {
  DataServer server({"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  auto gate = InputGate::Create(server.registry(), {Channel(0, 0)});
  ASSERT_TRUE(gate.ok());
  // A producer TaskManager that dies: its kernel closes the socket, nothing else is said.
  auto fd = DialTcp("127.0.0.1", server.port(), absl::Now() + absl::Seconds(5), {.no_delay = true});
  ASSERT_TRUE(fd.ok());
  const std::string producer_address = LocalAddress(*fd);
  ASSERT_TRUE(WritePreamble(*fd).ok());
  ASSERT_TRUE(WriteFrame(*fd, FrameKind::kOpen, Channel(0, 0), 0).ok());
  close(*fd);

  // Reported as soon as it is known, queued data or not (as Flink's input channels do): the
  // task fails and the job restarts from a checkpoint.
  absl::Status failure = GateFailure(**gate);
  EXPECT_EQ(failure.code(), absl::StatusCode::kUnavailable);
  // The reason is the socket's: "closed by peer" after a FIN, or a reset when the kernel
  // answers the close with RST (it did on the CI machine). The peer is named either way.
  const std::string prefix = "data connection from " + producer_address + " lost: ";
  EXPECT_EQ(std::string(failure.message()).substr(0, prefix.size()), prefix) << failure.message();
}

TEST(NetworkFailureTest, ProducerStoppingBeforeTheEndFailsTheConsumer) {
  DataServer server({"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  auto gate = InputGate::Create(server.registry(), {Channel(0, 0)});
  DataClient client;
  auto out = *client.Open(absl::StrCat("127.0.0.1:", server.port()), Channel(0, 0));
  ASSERT_TRUE(out->SendBatch(MakeBatch("r", 0, 1)).ok());
  out.reset();  // the producer task was cancelled: no END_OF_STREAM
  absl::Status failure = GateFailure(**gate);
  EXPECT_EQ(failure.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(failure.message()),
              HasSubstr("producer of job=job-1 attempt=0 channel=1.0->2.0 on 127.0.0.1:"));
  EXPECT_THAT(std::string(failure.message()), HasSubstr("stopped before the end of its stream"));
}

TEST(NetworkFailureTest, RestartedAttemptIsUntouchedByTheOldOne) {
  DataServer server({"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  const std::string address = absl::StrCat("127.0.0.1:", server.port());
  DataClient client;
  auto old_gate = *InputGate::Create(server.registry(), {Channel(0, 0, /*attempt=*/1)});
  auto old_out = *client.Open(address, Channel(0, 0, 1));
  ASSERT_TRUE(old_out->SendBatch(MakeBatch("old", 0, 1)).ok());

  // The restart deploys attempt 2 while attempt 1 is still being cancelled, over the same
  // connection: the old producer's cancel must not fail the new gate, nor its data reach it.
  auto gate = InputGate::Create(server.registry(), {Channel(0, 0, 2)});
  ASSERT_TRUE(gate.ok());
  auto out = client.Open(address, Channel(0, 0, 2));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE(old_out->SendBatch(MakeBatch("old", 1, 1)).ok());
  old_out.reset();
  old_gate.reset();
  ASSERT_TRUE((*out)->SendBatch(MakeBatch("new", 0, 1)).ok());
  ASSERT_TRUE((*out)->SendEndOfStream().ok());
  auto got = test_support::PollToEnd(**gate);
  EXPECT_EQ(test_support::RecordsOf(got, 0), std::vector<std::string>{"new-0"});
  EXPECT_EQ(client.connect_attempts(), 1);
}

TEST(NetworkFailureTest, ConnectionClosingAfterEndOfStreamIsNotAFailure) {
  DataServer server({"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  auto gate = InputGate::Create(server.registry(), {Channel(0, 0)});
  {
    DataClient client;
    auto out = *client.Open(absl::StrCat("127.0.0.1:", server.port()), Channel(0, 0));
    ASSERT_TRUE(out->SendBatch(MakeBatch("r", 0, 1)).ok());
    ASSERT_TRUE(out->SendEndOfStream().ok());
  }
  auto got = test_support::PollToEnd(**gate);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got.back().kind, GateEvent::Kind::kEndOfInput);
}

TEST(NetworkFailureTest, BrokenConnectionFailsTheProducerNamingThePeer) {
  DataServer server({"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  const std::string address = absl::StrCat("127.0.0.1:", server.port());
  auto gate = InputGate::Create(server.registry(), {Channel(0, 0)});
  DataClient client;
  auto out = *client.Open(address, Channel(0, 0));
  ASSERT_TRUE(out->SendBatch(MakeBatch("r", 0, 1)).ok());
  gate->reset();
  server.Stop();  // the consumer's TaskManager goes away
  // Sends succeed while credit lasts, then block; the break ends them with the reason.
  absl::Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) status = out->SendBatch(MakeBatch("r", i, 1));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("data connection to " + address + " lost"));
  // Every later call reports the same failure.
  EXPECT_EQ(out->SendWatermark(1), status);
}

TEST(NetworkFailureTest, ConnectRetriesUntilThePeerStarts) {
  const int port = FreePort();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  DataClientOptions options;
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(50);
  DataClient client(options);
  absl::StatusOr<std::unique_ptr<OutputChannel>> out;
  std::thread opener([&] { out = client.Open(address, Channel(0, 0)); });
  ASSERT_TRUE(Eventually([&] { return client.connect_attempts() >= 2; }));

  DataServer server({"127.0.0.1", port});
  ASSERT_TRUE(server.Start().ok());
  auto gate = InputGate::Create(server.registry(), {Channel(0, 0)});
  opener.join();
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE((*out)->SendBatch(MakeBatch("late", 0, 1)).ok());
  ASSERT_TRUE((*out)->SendEndOfStream().ok());
  auto got = test_support::PollToEnd(**gate);
  EXPECT_EQ(test_support::RecordsOf(got, 0), std::vector<std::string>{"late-0"});
  out->reset();
}

TEST(NetworkFailureTest, ConnectGivesUpAfterTheTimeoutNamingThePeer) {
  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  DataClientOptions options;
  options.connect_timeout = absl::Milliseconds(300);
  options.initial_backoff = absl::Milliseconds(20);
  DataClient client(options);
  const absl::Time start = absl::Now();
  auto out = client.Open(address, Channel(0, 0));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("cannot connect to data port " + address + " within 300ms"));
  EXPECT_GE(client.connect_attempts(), 2);
}

TEST(NetworkFailureTest, CancelEndsABlockedSend) {
  ChannelRegistry registry;
  auto gate = InputGate::Create(registry, {Channel(0, 0)}, {1, 0});
  auto out = *LocalOutputChannel::Open(registry, Channel(0, 0));
  ASSERT_TRUE(out->SendBatch(MakeBatch("r", 0, 1)).ok());
  absl::Status blocked;
  std::thread producer([&] { blocked = out->SendBatch(MakeBatch("r", 1, 1)); });
  ASSERT_TRUE(Eventually([&] { return out->back_pressured(); }));
  out->Cancel();
  producer.join();
  EXPECT_EQ(blocked.code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace ec
