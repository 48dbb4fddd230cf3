// JobUploads: server-made names, the client's name for display only, bounded, 0600 files.
#include "jobmanager/job_uploads.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;

class JobUploadsTest : public ::testing::Test {
 protected:
  test_support::ScratchDir scratch_{"uploads"};
  JobUploads uploads_{(scratch_.path() / "uploads").string()};
};

TEST_F(JobUploadsTest, StoresUnderItsOwnNameAndShowsTheClientsLastComponent) {
  auto stored = uploads_.Store("../../etc/cron.d/evil\x01.json", R"({"name": "j"})");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(JobUploads::IsUploadId(stored->id)) << stored->id;
  EXPECT_EQ(stored->name, "evil.json");
  const fs::path file = scratch_.path() / "uploads" / stored->id;
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(*uploads_.Read(stored->id), R"({"name": "j"})");
  ASSERT_EQ(uploads_.List().size(), 1u);
  EXPECT_EQ(uploads_.List()[0].name, "evil.json");
  EXPECT_TRUE(uploads_.Delete(stored->id).ok());
  EXPECT_EQ(uploads_.Read(stored->id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(JobUploadsTest, OnlyTheServersPatternIsEverAFile) {
  for (const std::string id : {"../uploads/x.json", "0123456789abcdef0123456789abcdef.json/..",
                               "0123456789ABCDEF0123456789ABCDEF.json", ".name", ""}) {
    EXPECT_FALSE(JobUploads::IsUploadId(id)) << id;
    EXPECT_EQ(uploads_.Read(id).status().code(), absl::StatusCode::kNotFound) << id;
    EXPECT_EQ(uploads_.Delete(id).code(), absl::StatusCode::kNotFound) << id;
  }
}

TEST_F(JobUploadsTest, RefusesWhatIsNotAJobFileAndMoreThanTheBound) {
  EXPECT_EQ(uploads_.Store("a.json", "[1, 2]").status().code(),
            absl::StatusCode::kInvalidArgument);
  for (size_t i = 0; i < JobUploads::kMaxUploads; ++i) {
    ASSERT_TRUE(uploads_.Store("a.json", "{}").ok()) << i;
  }
  EXPECT_EQ(uploads_.Store("a.json", "{}").status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace ec
