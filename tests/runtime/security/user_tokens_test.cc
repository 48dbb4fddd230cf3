// The token file: parsing, roles, 401/403 decisions, and reloading when the file changes.
#include "runtime/security/user_tokens.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/eventually.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

constexpr char kAdminToken[] = "admin-token-0123456789";
constexpr char kViewerToken[] = "viewer-token-0123456789";

TEST(UserTokensTest, ParsesNamesRolesAndTokensAndNamesABadLineWithoutItsToken) {
  auto entries = ParseTokenFile(
      "# who may use the cluster\nalice admin admin-token-0123456789\n\n"
      "bob viewer viewer-token-0123456789\n");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].first.name, "alice");
  EXPECT_EQ((*entries)[0].first.role, Role::kAdmin);
  EXPECT_EQ((*entries)[1].first.role, Role::kViewer);

  auto bad_role = ParseTokenFile("carol root carol-token-0123456789\n");
  ASSERT_FALSE(bad_role.ok());
  EXPECT_NE(bad_role.status().message().find("line 1"), absl::string_view::npos);
  EXPECT_EQ(bad_role.status().message().find("carol-token"), absl::string_view::npos);
  EXPECT_FALSE(ParseTokenFile("dave admin short\n").ok());
  EXPECT_FALSE(ParseTokenFile("erin admin\n").ok());
}

TEST(UserTokensTest, ViewersReadAdminsChangeStrangersAreUnauthenticated) {
  test_support::ScratchDir dir("user_tokens");
  const std::string path = (dir.path() / "tokens").string();
  std::ofstream(path) << "alice admin " << kAdminToken << "\nbob viewer " << kViewerToken << "\n";
  auto tokens = UserTokens::Load(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  UserTokens* t = tokens->get();
  EXPECT_EQ(Authorize(t, kAdminToken, true, "submit").code, Access::kOk);
  EXPECT_EQ(Authorize(t, kViewerToken, false, "read").code, Access::kOk);
  Access viewer_submit = Authorize(t, kViewerToken, true, "submit");
  EXPECT_EQ(viewer_submit.code, Access::kForbidden);
  EXPECT_NE(viewer_submit.reason.find("bob"), std::string::npos);
  EXPECT_EQ(Authorize(t, "", false, "read").code, Access::kUnauthenticated);
  EXPECT_EQ(Authorize(t, "wrong-token-0123456789", false, "read").code, Access::kUnauthenticated);
  EXPECT_EQ(Authorize(nullptr, "", true, "submit").code, Access::kOk);  // authentication off
}

TEST(UserTokensTest, ARewrittenFileIsReadAgainAndABrokenOneKeepsTheLastGoodList) {
  test_support::ScratchDir dir("user_tokens_reload");
  const std::string path = (dir.path() / "tokens").string();
  std::ofstream(path) << "alice admin " << kAdminToken << "\n";
  auto tokens = UserTokens::Load(path);
  ASSERT_TRUE(tokens.ok());
  EXPECT_TRUE((*tokens)->Authenticate(kAdminToken).has_value());
  // Revoke alice, add bob (a new size, so the change is seen even within one mtime tick).
  std::ofstream(path) << "bob viewer " << kViewerToken << "\n# revoked alice\n";
  EXPECT_TRUE(test_support::Eventually([&] {
    return (*tokens)->Authenticate(kViewerToken).has_value() &&
           !(*tokens)->Authenticate(kAdminToken).has_value();
  }));
  std::ofstream(path) << "this line is broken\n";
  EXPECT_TRUE((*tokens)->Authenticate(kViewerToken).has_value());
}

TEST(UserTokensTest, BearerHeaderParsing) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer  abc "), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken(""), "");
}

}  // namespace
}  // namespace ec
