// WriteFileAtomically: content replaced whole, no temporary file left behind.
#include "runtime/util/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;

std::string Contents(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every file name in `dir`.
std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

TEST(AtomicFileTest, WritesTheContentAndLeavesNoTemporaryFile) {
  test_support::ScratchDir dir("atomic-file");
  const fs::path path = dir.path() / "job.json";
  ASSERT_TRUE(WriteFileAtomically(path.string(), "{\"a\":1}").ok());
  EXPECT_EQ(Contents(path), "{\"a\":1}");
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"job.json"});
}

TEST(AtomicFileTest, ReplacesTheOldContentWhole) {
  test_support::ScratchDir dir("atomic-file");
  const fs::path path = dir.path() / "_metadata";
  ASSERT_TRUE(WriteFileAtomically(path.string(), std::string(4096, 'x')).ok());
  ASSERT_TRUE(WriteFileAtomically(path.string(), "short").ok());
  EXPECT_EQ(Contents(path), "short");
  EXPECT_EQ(Names(dir.path()), std::vector<std::string>{"_metadata"});
}

TEST(AtomicFileTest, CreatesTheFileWithTheModeAsked) {
  test_support::ScratchDir dir("atomic-file");
  const fs::path path = dir.path() / "secret.json";
  const mode_t old_mask = umask(0);
  ASSERT_TRUE(WriteFileAtomically(path.string(), "x", 0600).ok());
  umask(old_mask);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AtomicFileTest, MissingDirectoryIsUnavailableAndWritesNothing) {
  test_support::ScratchDir dir("atomic-file");
  const fs::path path = dir.path() / "absent" / "job.json";
  const absl::Status status = WriteFileAtomically(path.string(), "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "cannot write " + path.string() + ".tmp: No such file or directory");
  EXPECT_TRUE(Names(dir.path()).empty());
}

}  // namespace
}  // namespace ec
