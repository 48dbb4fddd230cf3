// RecordBatch: records packed back to back, in-place writing with Commit/Rollback, Clear.
#include "runtime/record_batch.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

TEST(RecordBatchTest, StartsEmpty) {
  RecordBatch batch;
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.size(), 0u);
  EXPECT_EQ(batch.bytes(), 0u);
}

TEST(RecordBatchTest, AppendedRecordsReadBackInOrder) {
  RecordBatch batch;
  batch.Append("alpha");
  batch.Append("");
  batch.Append("gamma");
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0], "alpha");
  EXPECT_EQ(batch[1], "");
  EXPECT_EQ(batch[2], "gamma");
  EXPECT_EQ(batch.bytes(), 10u);
  EXPECT_EQ(batch.data(), "alphagamma");
}

TEST(RecordBatchTest, ClearEmptiesTheBatchForReuse) {
  RecordBatch batch;
  batch.Append("one");
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.bytes(), 0u);
  batch.Append("two");
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0], "two");
}

TEST(RecordBatchTest, CommitEndsARecordWrittenInPlace) {
  RecordBatch batch;
  batch.Append("a");
  batch.buffer().append("{\"x\":");
  batch.buffer().append("1}");
  batch.Commit();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[1], "{\"x\":1}");
}

TEST(RecordBatchTest, RollbackDropsUncommittedBytes) {
  RecordBatch batch;
  batch.Append("kept");
  batch.buffer().append("half-written");
  batch.Rollback();
  EXPECT_EQ(batch.bytes(), 4u);
  batch.buffer().append("next");
  batch.Commit();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0], "kept");
  EXPECT_EQ(batch[1], "next");
}

TEST(RecordBatchTest, RollbackOfAnEmptyBatchLeavesItEmpty) {
  RecordBatch batch;
  batch.buffer().append("partial");
  batch.Rollback();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.bytes(), 0u);
}

}  // namespace
}  // namespace ec
