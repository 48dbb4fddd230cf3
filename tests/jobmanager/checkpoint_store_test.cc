// CheckpointStore: durable checkpoint metadata, read back, and retention.
#include "jobmanager/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;

class CheckpointStoreTest : public ::testing::Test {
 protected:
  test_support::ScratchDir scratch_{"ckpt-store"};
  const fs::path root_ = scratch_.path();
};

TEST_F(CheckpointStoreTest, WrittenStateReadsBackByteForByte) {
  CheckpointStore store(root_.string(), 3);
  std::map<std::string, std::string> state = {{"socket-source", "12345"},
                                              {"binary", std::string("\0\x01\xff", 3)}};
  auto stored = store.Write("job1", 7, 1000, {state, {}, {}});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->path, (root_ / "job1" / "chk-7").string());
  EXPECT_GT(stored->size_bytes, 0);
  EXPECT_FALSE(fs::exists(root_ / "job1" / "chk-7" / "_metadata.tmp"));
  auto read = CheckpointStore::Read(stored->path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->state, state);
  EXPECT_EQ(read->base_dir, (root_ / "job1").string());
}

TEST_F(CheckpointStoreTest, ParallelismAndEverySubtasksStateReadBack) {
  CheckpointStore store(root_.string(), 3);
  CheckpointData data;
  data.state = {{"source#0", "a"}, {"source#1", "b"}, {"@keyed-state/source#1", "h"}};
  data.files = {"shared/x.sst", "shared/y.sst"};
  data.parallelism = 2;
  data.max_parallelism = 64;
  auto stored = store.Write("job1", 3, 1000, data);
  ASSERT_TRUE(stored.ok()) << stored.status();
  auto read = CheckpointStore::Read(stored->path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->state, data.state);
  EXPECT_EQ(read->files, data.files);
  EXPECT_EQ(read->parallelism, 2);
  EXPECT_EQ(read->max_parallelism, 64);
}

// Checkpoints and savepoints written before jobs ran in parallel still restore.
TEST_F(CheckpointStoreTest, MetadataWithoutParallelismReadsAsSubtaskZero) {
  fs::create_directories(root_ / "old");
  std::ofstream(root_ / "old" / "_metadata")
      << R"({"job_id": "j", "checkpoint_id": 4, "operators": {"socket-source": "MTIz"},
            "files": [], "files_base": "."})";
  auto read = CheckpointStore::Read((root_ / "old").string());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->state, (std::map<std::string, std::string>{{"socket-source#0", "123"}}));
  EXPECT_EQ(read->parallelism, 1);
  EXPECT_EQ(read->max_parallelism, 128);
}

TEST_F(CheckpointStoreTest, KeepsOnlyTheLastRetainedCheckpoints) {
  CheckpointStore store(root_.string(), 2);
  for (int id = 1; id <= 12; ++id)
    ASSERT_TRUE(store.Write("job1", id, 0, {{{"a", "b"}}, {}, {}}).ok());
  EXPECT_FALSE(fs::exists(root_ / "job1" / "chk-10"));
  EXPECT_TRUE(fs::exists(root_ / "job1" / "chk-11"));
  EXPECT_TRUE(fs::exists(root_ / "job1" / "chk-12"));
}

TEST_F(CheckpointStoreTest, RetireFromDeletesThatCheckpointAndNewerAndNamesTheNewestLeft) {
  CheckpointStore store(root_.string(), 3);
  for (int id = 4; id <= 6; ++id)
    ASSERT_TRUE(store.Write("job1", id, 0, {{{"a", std::to_string(id)}}, {}, {}}).ok());
  auto left = store.RetireFrom("job1", 5);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->path, (root_ / "job1" / "chk-4").string());
  EXPECT_FALSE(fs::exists(root_ / "job1" / "chk-5"));
  EXPECT_FALSE(fs::exists(root_ / "job1" / "chk-6"));
  auto data = CheckpointStore::Read(left->path);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->state.at("a"), "4");

  auto none = store.RetireFrom("job1", 4);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(root_ / "job1" / "chk-4"));
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST_F(CheckpointStoreTest, SharedFilesLiveWhileARetainedCheckpointRefersToThem) {
  CheckpointStore store(root_.string(), 2);
  const fs::path shared = root_ / "job1" / "shared";
  WriteFile(shared / "a.sst", "a");
  WriteFile(shared / "b.sst", "b");
  WriteFile(shared / "orphan.sst", "from an aborted checkpoint");
  ASSERT_TRUE(store.Write("job1", 1, 0, {{}, {"shared/a.sst"}, {}}).ok());
  EXPECT_TRUE(fs::exists(shared / "a.sst"));
  EXPECT_FALSE(fs::exists(shared / "orphan.sst"));
  EXPECT_FALSE(fs::exists(shared / "b.sst"));  // written but referred to by none yet
  WriteFile(shared / "b.sst", "b");
  ASSERT_TRUE(store.Write("job1", 2, 0, {{}, {"shared/a.sst", "shared/b.sst"}, {}}).ok());
  ASSERT_TRUE(store.Write("job1", 3, 0, {{}, {"shared/b.sst"}, {}}).ok());
  // chk-1 is dropped; chk-2 still refers to a.sst.
  EXPECT_TRUE(fs::exists(shared / "a.sst"));
  ASSERT_TRUE(store.Write("job1", 4, 0, {{}, {"shared/b.sst"}, {}}).ok());
  EXPECT_FALSE(fs::exists(shared / "a.sst"));
  EXPECT_TRUE(fs::exists(shared / "b.sst"));
  auto read = CheckpointStore::Read((root_ / "job1" / "chk-4").string());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->files, std::set<std::string>{"shared/b.sst"});
}

TEST_F(CheckpointStoreTest, SavepointCopiesItsFilesAndOutlivesTheJobsCheckpoints) {
  CheckpointStore store(root_.string(), 1);
  WriteFile(root_ / "job1" / "shared" / "a.sst", "state bytes");
  const fs::path savepoint = root_ / "savepoints" / "sp-1";
  auto stored =
      CheckpointStore::WriteTo(savepoint.string(), "job1", 5, 0,
                               {{{"op", "x"}}, {"shared/a.sst"}, {}}, store.JobDir("job1"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  fs::remove_all(root_ / "job1");
  auto read = CheckpointStore::Read(savepoint.string());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->base_dir, savepoint.string());
  std::ifstream in(fs::path(read->base_dir) / "shared" / "a.sst");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "state bytes");
}

// A savepoint given to --from-savepoint is a file a user brings: its metadata must not point a
// restore at files outside it (Flink's CVE-2020-17519 was a read of any file by path), and
// wrong types are refused as corrupt rather than thrown.
TEST_F(CheckpointStoreTest, HostileMetadataIsRefusedAsCorruptNotFollowed) {
  const std::string cases[] = {
      R"("files": ["../../../etc/passwd"], "files_base": ".")",
      R"("files": ["shared/../../x"], "files_base": ".")",
      R"("files": ["/etc/shadow"], "files_base": ".")",
      R"("files": ["shared/ok.sst"], "files_base": "/etc")",
      R"("files": ["shared/ok.sst"], "files_base": "../..")",
      R"("files": "shared/ok.sst", "files_base": ".")",
      R"("files": [7], "files_base": ".")",
      R"("files": [], "files_base": 3)",
  };
  for (const std::string& tail : cases) {
    fs::create_directories(root_ / "sp");
    std::ofstream(root_ / "sp" / "_metadata")
        << R"({"job_id": "j", "checkpoint_id": 4, "parallelism": 1, "operators": {}, )" << tail
        << "}";
    auto read = CheckpointStore::Read((root_ / "sp").string());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << tail;
  }
  std::ofstream(root_ / "sp" / "_metadata")
      << R"({"job_id": "j", "parallelism": "two", "operators": []})";
  EXPECT_EQ(CheckpointStore::Read((root_ / "sp").string()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(CheckpointStoreTest, MissingCheckpointIsNotFound) {
  EXPECT_EQ(CheckpointStore::Read((root_ / "nope").string()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ec
