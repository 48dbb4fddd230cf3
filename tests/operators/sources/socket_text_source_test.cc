// SocketTextSource against a real loopback server: line framing across partial writes and \r\n,
// batch limits, counters, reconnecting with "RESUME <n>", and backoff while nothing listens.
#include "operators/sources/socket_text_source.h"

#include <gtest/gtest.h>

#include "tests/operators/operator_harness.h"
#include "tests/operators/sources/line_server.h"

namespace ec {
namespace {

using test_support::LineServer;
using test_support::OperatorHarness;
constexpr auto Send = LineServer::Send;

constexpr char kJob[] = R"({"name": "t", "pipeline": [
  {"name": "source", "type": "socket-source", "hostname": "127.0.0.1", "port": 1},
  {"type": "discard-sink"}]})";

class SocketTextSourceTest : public ::testing::Test {
 protected:
  void Open(int port, absl::Duration initial_backoff = absl::Milliseconds(10),
            absl::Duration max_backoff = absl::Milliseconds(40), bool send_resume = true,
            size_t max_batch_records = 4096, size_t max_line_bytes = size_t{1} << 20) {
    SocketTextSource::Options options;
    options.max_line_bytes = max_line_bytes;
    options.host = "127.0.0.1";
    options.port = port;
    options.initial_backoff = initial_backoff;
    options.max_backoff = max_backoff;
    options.send_resume = send_resume;
    options.max_batch_records = max_batch_records;
    source_ = std::make_unique<SocketTextSource>(options);
    ASSERT_TRUE(source_->Open(harness_.context()).ok());
  }

  // Polls until `count` records arrived or 10 s passed; returns them all.
  std::vector<std::string> Collect(size_t count) {
    std::vector<std::string> records;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    RecordBatch batch;
    while (records.size() < count && absl::Now() < deadline) {
      batch.Clear();
      absl::Status s = source_->PollBatch(batch, absl::Milliseconds(50));
      EXPECT_TRUE(s.ok()) << s;
      for (size_t i = 0; i < batch.size(); ++i) records.emplace_back(batch[i]);
    }
    return records;
  }

  void TearDown() override {
    if (source_) {
      EXPECT_TRUE(source_->Close().ok());
    }
  }

  OperatorHarness harness_{kJob, 0};
  std::unique_ptr<SocketTextSource> source_;
};

TEST_F(SocketTextSourceTest, EmitsOneRecordPerLine) {
  LineServer server({Send({"alpha\nbeta\ngamma\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  EXPECT_EQ(Collect(3), (std::vector<std::string>{"alpha", "beta", "gamma"}));
}

TEST_F(SocketTextSourceTest, JoinsLinesSplitAcrossWrites) {
  LineServer server({Send({"{\"se", "q\":0}\n{\"seq\"", ":1}", "\n", "{\"seq\":2}\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  EXPECT_EQ(Collect(3), (std::vector<std::string>{"{\"seq\":0}", "{\"seq\":1}", "{\"seq\":2}"}));
}

TEST_F(SocketTextSourceTest, StripsCarriageReturnBeforeNewline) {
  LineServer server({Send({"one\r\ntwo\r", "\nthree\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  EXPECT_EQ(Collect(3), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(SocketTextSourceTest, CountsRecordsAndBytesIn) {
  LineServer server({Send({"ab\r\ncde\n", "f\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  ASSERT_EQ(Collect(3).size(), 3u);
  EXPECT_EQ(harness_.counters().records_in(), 3u);
  EXPECT_EQ(harness_.counters().bytes_in(), 10u);  // newlines and \r included
  EXPECT_EQ(source_->next_seq(), 3u);
}

TEST_F(SocketTextSourceTest, ALineWithoutEndIsPassedOnInPiecesAndCountsAsOneLine) {
  // A peer that never sends '\n' must not grow the source's buffer without bound; the pieces
  // reach the parser (which dead-letters them) instead of being dropped.
  const std::string endless(10000, 'x');
  LineServer server({Send({endless, endless, "tail\nnext\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port(), absl::Milliseconds(10), absl::Milliseconds(40), true, 4096,
       /*max_line_bytes=*/4096);
  std::vector<std::string> records = Collect(6);
  ASSERT_EQ(records.size(), 6u) << "4 pieces of 4096 bytes, the line's last 3620, next";
  std::string joined;
  for (size_t i = 0; i + 1 < records.size(); ++i) {
    EXPECT_EQ(records[i].size(), i < 4 ? 4096u : 20004u - 4 * 4096) << i;
    joined += records[i];
  }
  EXPECT_EQ(joined, endless + endless + "tail") << "every byte passed on, in order";
  EXPECT_EQ(records.back(), "next");
  EXPECT_EQ(source_->next_seq(), 2u) << "the pieces of one line count as one line for RESUME";
}

TEST_F(SocketTextSourceTest, BatchHoldsAtMostMaxBatchRecords) {
  LineServer server({Send({"1\n2\n3\n4\n5\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port(), absl::Milliseconds(10), absl::Milliseconds(40), true,
       /*max_batch_records=*/2);
  std::vector<std::string> all;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  RecordBatch batch;
  while (all.size() < 5 && absl::Now() < deadline) {
    batch.Clear();
    ASSERT_TRUE(source_->PollBatch(batch, absl::Milliseconds(50)).ok());
    EXPECT_LE(batch.size(), 2u);
    for (size_t i = 0; i < batch.size(); ++i) all.emplace_back(batch[i]);
  }
  EXPECT_EQ(all, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

TEST_F(SocketTextSourceTest, ReconnectsAndSendsResumeWithTheLinesReceived) {
  LineServer server({Send({"l0\nl1\nl2\n"}), Send({"l3\nl4\n"}).ReadFirstLine().HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  EXPECT_EQ(Collect(5), (std::vector<std::string>{"l0", "l1", "l2", "l3", "l4"}));
  EXPECT_EQ(server.first_lines(), std::vector<std::string>{"RESUME 3"});
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(source_->next_seq(), 5u);
}

TEST_F(SocketTextSourceTest, PartialLineAtDisconnectIsDroppedAndAskedForAgain) {
  LineServer server({Send({"l0\nl1\nl2-part"}), Send({"l2\nl3\n"}).ReadFirstLine().HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  EXPECT_EQ(Collect(4), (std::vector<std::string>{"l0", "l1", "l2", "l3"}));
  EXPECT_EQ(server.first_lines(), std::vector<std::string>{"RESUME 2"});
}

TEST_F(SocketTextSourceTest, ResumeCountsLinesOverSeveralReconnects) {
  LineServer server(
      {Send({"a\n"}), Send({"b\nc\n"}).ReadFirstLine(), Send({"d\n"}).ReadFirstLine().HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  EXPECT_EQ(Collect(4), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(server.first_lines(), (std::vector<std::string>{"RESUME 1", "RESUME 3"}));
}

TEST_F(SocketTextSourceTest, FirstConnectionSendsNoResume) {
  LineServer server({Send({"x\n"}), Send({"y\n"}).ReadFirstLine().HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  ASSERT_EQ(Collect(2), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(server.unexpected_bytes(), "");  // the first connection received nothing
  EXPECT_EQ(server.first_lines(), std::vector<std::string>{"RESUME 1"});
}

TEST_F(SocketTextSourceTest, ResumeDisabledSendsNothingOnReconnect) {
  LineServer server({Send({"x\n"}), Send({"y\n", "z\n"}), Send({}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port(), absl::Milliseconds(10), absl::Milliseconds(40), /*send_resume=*/false);
  EXPECT_EQ(Collect(3), (std::vector<std::string>{"x", "y", "z"}));
  // Once the third connection is accepted the second one has been checked and closed.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  RecordBatch batch;
  while (server.accepted() < 3 && absl::Now() < deadline) {
    batch.Clear();
    ASSERT_TRUE(source_->PollBatch(batch, absl::Milliseconds(20)).ok());
  }
  ASSERT_EQ(server.accepted(), 3);
  EXPECT_EQ(server.unexpected_bytes(), "");
}

TEST_F(SocketTextSourceTest, NothingListeningGivesEmptyBatchesWithoutBusyLooping) {
  LineServer closed({}, /*listen_now=*/false);  // bound, not listening: connections refused
  ASSERT_TRUE(closed.ok());
  Open(closed.port(), absl::Milliseconds(20), absl::Milliseconds(80));
  const absl::Time start = absl::Now();
  RecordBatch batch;
  int polls = 0;
  while (absl::Now() - start < absl::Milliseconds(400)) {
    batch.Clear();
    ASSERT_TRUE(source_->PollBatch(batch, absl::Milliseconds(50)).ok());
    EXPECT_TRUE(batch.empty());
    ++polls;
  }
  // Each poll waits for its backoff or its max_wait instead of spinning.
  EXPECT_LT(polls, 100);
  EXPECT_EQ(source_->next_seq(), 0u);
}

TEST_F(SocketTextSourceTest, PollWaitsNoLongerThanMaxWaitWhileBackingOff) {
  LineServer closed({}, /*listen_now=*/false);
  ASSERT_TRUE(closed.ok());
  Open(closed.port(), absl::Seconds(30), absl::Seconds(30));
  RecordBatch batch;
  ASSERT_TRUE(source_->PollBatch(batch, absl::Milliseconds(20)).ok());  // refused: backoff 30 s
  const absl::Time start = absl::Now();
  ASSERT_TRUE(source_->PollBatch(batch, absl::Milliseconds(50)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(batch.empty());
}

TEST_F(SocketTextSourceTest, ConnectsOnceTheServerStartsListening) {
  LineServer server({Send({"late\n"}).HoldOpen()}, /*listen_now=*/false);
  ASSERT_TRUE(server.ok());
  Open(server.port(), absl::Milliseconds(10), absl::Milliseconds(50));
  RecordBatch batch;
  for (int i = 0; i < 5; ++i) {  // a few refused attempts, backing off
    batch.Clear();
    ASSERT_TRUE(source_->PollBatch(batch, absl::Milliseconds(30)).ok());
    EXPECT_TRUE(batch.empty());
  }
  server.Listen();
  EXPECT_EQ(Collect(1), std::vector<std::string>{"late"});
}

TEST_F(SocketTextSourceTest, EmptyBatchWhenConnectedButIdle) {
  LineServer server({Send({}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  RecordBatch batch;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source_->PollBatch(batch, absl::Milliseconds(20)).ok());
    EXPECT_TRUE(batch.empty());
  }
  EXPECT_EQ(harness_.counters().records_in(), 0u);
}

}  // namespace
}  // namespace ec

namespace ec {
namespace {

TEST_F(SocketTextSourceTest, SnapshotIsTheNextSequenceNumber) {
  LineServer server({Send({"l0\nl1\n"}).HoldOpen()});
  ASSERT_TRUE(server.ok());
  Open(server.port());
  ASSERT_EQ(Collect(2).size(), 2u);
  std::string state;
  ASSERT_TRUE(source_->SnapshotState(1, &state).ok());
  EXPECT_EQ(state, "2");
}

TEST_F(SocketTextSourceTest, RestoredSourceResumesOnItsFirstConnection) {
  LineServer server({Send({"l7\n"}).ReadFirstLine().HoldOpen()});
  ASSERT_TRUE(server.ok());
  SocketTextSource::Options options;
  options.host = "127.0.0.1";
  options.port = server.port();
  source_ = std::make_unique<SocketTextSource>(options);
  ASSERT_TRUE(source_->RestoreState("7").ok());
  ASSERT_TRUE(source_->Open(harness_.context()).ok());
  EXPECT_EQ(Collect(1), std::vector<std::string>{"l7"});
  EXPECT_EQ(server.first_lines(), std::vector<std::string>{"RESUME 7"});
  EXPECT_EQ(source_->next_seq(), 8u);
}

TEST_F(SocketTextSourceTest, CorruptStateIsRefused) {
  SocketTextSource source(SocketTextSource::Options{});
  absl::Status s = source.RestoreState("seven");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("seven"), absl::string_view::npos);
}

}  // namespace
}  // namespace ec
