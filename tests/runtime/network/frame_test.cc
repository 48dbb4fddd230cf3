// Wire format: frames written to a socket read back the same; malformed input is refused.
#include "runtime/network/frame.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "tests/runtime/network/network_test_util.h"

namespace ec {
namespace {

using test_support::Channel;
using test_support::MakeBatch;
using test_support::Records;

class FrameTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }
  int writer() const { return fds_[0]; }
  int reader() const { return fds_[1]; }

  int fds_[2];
};

TEST_F(FrameTest, DataFrameCarriesTheBatchAndTheChannel) {
  const ChannelId id{"0123456789abcdef0123456789abcdef", 7, 3, 1, 4, 2};
  RecordBatch batch = MakeBatch("rec", 0, 100);
  batch.Append("");  // empty records survive too
  ASSERT_TRUE(WritePreamble(writer()).ok());
  ASSERT_TRUE(WriteDataFrame(writer(), id, batch).ok());

  FrameReader in(reader());
  ASSERT_TRUE(in.ReadPreamble().ok());
  FrameHeader header;
  ASSERT_TRUE(in.ReadHeader(header).ok());
  EXPECT_EQ(header.kind, FrameKind::kData);
  EXPECT_EQ(header.channel, id);
  EXPECT_EQ(header.value, 101);
  RecordBatch received;
  ASSERT_TRUE(in.ReadBatch(header, received).ok());
  EXPECT_EQ(Records(received), Records(batch));
}

TEST_F(FrameTest, EventFramesCarryTheirValue) {
  const ChannelId id = Channel(0, 1);
  ASSERT_TRUE(WriteFrame(writer(), FrameKind::kBarrier, id, 42).ok());
  ASSERT_TRUE(WriteFrame(writer(), FrameKind::kWatermark, id, -5).ok());
  ASSERT_TRUE(WriteFrame(writer(), FrameKind::kCredit, id, 3).ok());
  ASSERT_TRUE(WriteFrame(writer(), FrameKind::kEndOfStream, id, 0).ok());

  FrameReader in(reader());
  FrameHeader header;
  const std::pair<FrameKind, int64_t> expected[] = {{FrameKind::kBarrier, 42},
                                                    {FrameKind::kWatermark, -5},
                                                    {FrameKind::kCredit, 3},
                                                    {FrameKind::kEndOfStream, 0}};
  for (const auto& [kind, value] : expected) {
    ASSERT_TRUE(in.ReadHeader(header).ok());
    EXPECT_EQ(header.kind, kind);
    EXPECT_EQ(header.value, value);
    EXPECT_EQ(header.channel, id);
    EXPECT_EQ(header.payload_bytes, 0u);
  }
}

TEST_F(FrameTest, ManySmallFramesReadBackInOrder) {
  const ChannelId id = Channel(0, 0);
  // More than a socket buffer holds: write from another thread while this one reads.
  std::thread write([&] {
    for (int i = 0; i < 1000; ++i)
      EXPECT_TRUE(WriteDataFrame(writer(), id, MakeBatch("b", i, 1)).ok());
  });
  FrameReader in(reader());
  FrameHeader header;
  RecordBatch batch;
  int read = 0;
  while (read < 1000 && in.ReadHeader(header).ok() && in.ReadBatch(header, batch).ok() &&
         batch[0] == "b-" + std::to_string(read)) {
    ++read;
  }
  write.join();
  EXPECT_EQ(read, 1000);
}

TEST_F(FrameTest, ForeignPeerIsRefused) {
  ASSERT_EQ(write(writer(), "GET / HTTP/1.1\r\n", 16), 16);
  FrameReader in(reader());
  absl::Status s = in.ReadPreamble();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("not an EventCluster data peer"));
}

TEST_F(FrameTest, RecordEndsOutOfOrderAreRefused) {
  RecordBatch corrupt;
  corrupt.Append("abc");
  corrupt.Append("de");
  corrupt.mutable_ends() = {5, 3};  // what a corrupt or hostile peer could send
  ASSERT_TRUE(WriteDataFrame(writer(), Channel(0, 0), corrupt).ok());

  FrameReader in(reader());
  FrameHeader header;
  ASSERT_TRUE(in.ReadHeader(header).ok());
  RecordBatch batch;
  EXPECT_EQ(in.ReadBatch(header, batch).code(), absl::StatusCode::kDataLoss);
}

TEST_F(FrameTest, RecordEndsBeyondTheDataAreRefused) {
  RecordBatch corrupt;
  corrupt.Append("abc");
  corrupt.mutable_ends() = {4};
  ASSERT_TRUE(WriteDataFrame(writer(), Channel(0, 0), corrupt).ok());
  FrameReader in(reader());
  FrameHeader header;
  ASSERT_TRUE(in.ReadHeader(header).ok());
  RecordBatch batch;
  EXPECT_EQ(in.ReadBatch(header, batch).code(), absl::StatusCode::kDataLoss);
}

// Found by tests/fuzz/frame_reader_fuzzer: a DATA header whose record count does not fit its
// payload made the reader size the record ends by the count (std::length_error, the process
// gone) before anything checked it.
TEST_F(FrameTest, ARecordCountBeyondThePayloadIsRefusedBeforeSizingAnything) {
  FrameHeader header;
  header.kind = FrameKind::kData;
  header.payload_bytes = 8;  // room for two record ends at most
  FrameReader in(reader());
  RecordBatch batch;
  for (int64_t count : {int64_t{3}, int64_t{1} << 61, int64_t{-1}}) {
    header.value = count;
    const absl::Status s = in.ReadBatch(header, batch);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << count;
    EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("records in 8 payload bytes"));
  }
}

TEST_F(FrameTest, OversizedLengthIsRefusedBeforeAllocating) {
  char header[kFixedHeaderBytes] = {};
  const uint32_t huge = 0xffffffffu;
  std::memcpy(header, &huge, 4);
  header[4] = static_cast<char>(FrameKind::kData);
  ASSERT_EQ(write(writer(), header, sizeof(header)), static_cast<ssize_t>(sizeof(header)));
  FrameReader in(reader());
  FrameHeader parsed;
  EXPECT_EQ(in.ReadHeader(parsed).code(), absl::StatusCode::kDataLoss);
}

TEST_F(FrameTest, ClosedPeerIsUnavailable) {
  close(fds_[0]);
  fds_[0] = socket(AF_UNIX, SOCK_STREAM, 0);  // keep TearDown's close harmless
  FrameReader in(reader());
  FrameHeader header;
  absl::Status s = in.ReadHeader(header);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "closed by peer");
}

}  // namespace
}  // namespace ec
