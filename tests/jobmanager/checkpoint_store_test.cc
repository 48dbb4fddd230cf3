// CheckpointStore: durable checkpoint metadata, read back, and retention.
#include "jobmanager/checkpoint_store.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace ec {
namespace {

namespace fs = std::filesystem;

class CheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ckpt-store-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(CheckpointStoreTest, WrittenStateReadsBackByteForByte) {
  CheckpointStore store(root_.string(), 3);
  std::map<std::string, std::string> state = {{"socket-source", "12345"},
                                              {"binary", std::string("\0\x01\xff", 3)}};
  auto stored = store.Write("job1", 7, 1000, state);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->path, (root_ / "job1" / "chk-7").string());
  EXPECT_GT(stored->size_bytes, 0);
  EXPECT_FALSE(fs::exists(root_ / "job1" / "chk-7" / "_metadata.tmp"));
  auto read = CheckpointStore::Read(stored->path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, state);
}

TEST_F(CheckpointStoreTest, KeepsOnlyTheLastRetainedCheckpoints) {
  CheckpointStore store(root_.string(), 2);
  for (int id = 1; id <= 12; ++id) ASSERT_TRUE(store.Write("job1", id, 0, {{"a", "b"}}).ok());
  EXPECT_FALSE(fs::exists(root_ / "job1" / "chk-10"));
  EXPECT_TRUE(fs::exists(root_ / "job1" / "chk-11"));
  EXPECT_TRUE(fs::exists(root_ / "job1" / "chk-12"));
}

TEST_F(CheckpointStoreTest, MissingCheckpointIsNotFound) {
  EXPECT_EQ(CheckpointStore::Read((root_ / "nope").string()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ec
