// ConfinedPath: what a user names stays inside the allowed directories, however it is spelled.
#include "runtime/util/confined_path.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;

class ConfinedPathTest : public ::testing::Test {
 protected:
  ConfinedPathTest() {
    fs::create_directories(root() / "savepoints" / "sp-1");
    fs::create_directories(root() / "elsewhere");
  }
  fs::path root() const { return scratch_.path(); }
  std::vector<std::string> Roots() const { return {(root() / "savepoints").string()}; }

  test_support::ScratchDir scratch_{"confined-path"};
};

TEST_F(ConfinedPathTest, AcceptsTheRootAndWhatLiesUnderIt) {
  const fs::path savepoints = fs::canonical(root() / "savepoints");
  EXPECT_EQ(*ConfinedPath((root() / "savepoints").string(), Roots()), savepoints.string());
  EXPECT_EQ(*ConfinedPath((root() / "savepoints/sp-1").string(), Roots()),
            (savepoints / "sp-1").string());
  EXPECT_EQ(*ConfinedPath((root() / "savepoints/not-yet/deeper").string(), Roots()),
            (savepoints / "not-yet/deeper").string());
}

TEST_F(ConfinedPathTest, ResolvesARelativePathAgainstTheFirstRoot) {
  EXPECT_EQ(*ConfinedPath("sp-1", Roots()), fs::canonical(root() / "savepoints/sp-1").string());
  EXPECT_FALSE(ConfinedPath("../elsewhere", Roots()).ok());
}

TEST_F(ConfinedPathTest, RefusesPathsThatClimbOutOrLieElsewhere) {
  for (const std::string& path :
       {(root() / "savepoints/../elsewhere").string(), (root() / "savepoints/sp-1/../..").string(),
        (root() / "savepoints-x").string(), (root() / "elsewhere").string(), std::string("/"),
        std::string("/etc/passwd"), std::string("/proc/self")}) {
    auto confined = ConfinedPath(path, Roots());
    ASSERT_FALSE(confined.ok()) << path << " was let through as " << *confined;
    EXPECT_EQ(confined.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(confined.status().message().find(path + " is outside the allowed directories ("),
              std::string::npos)
        << confined.status();
  }
}

TEST_F(ConfinedPathTest, RefusesASymbolicLinkThatPointsOut) {
  fs::create_directory_symlink(root() / "elsewhere", root() / "savepoints" / "link");
  EXPECT_FALSE(ConfinedPath((root() / "savepoints/link").string(), Roots()).ok());
  EXPECT_FALSE(ConfinedPath((root() / "savepoints/link/new").string(), Roots()).ok());
}

TEST_F(ConfinedPathTest, AcceptsAnyOfSeveralRoots) {
  const std::vector<std::string> roots = {(root() / "savepoints").string(),
                                          (root() / "elsewhere").string()};
  EXPECT_TRUE(ConfinedPath((root() / "elsewhere/x").string(), roots).ok());
  EXPECT_FALSE(ConfinedPath(root().string(), roots).ok());
}

TEST_F(ConfinedPathTest, RefusesEverythingWithoutRoots) {
  EXPECT_FALSE(ConfinedPath((root() / "savepoints").string(), {}).ok());
}

}  // namespace
}  // namespace ec
