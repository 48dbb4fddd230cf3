// The cluster secret: loading from file or environment, MACs, hex, constant-time compares.
#include "runtime/security/cluster_secret.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "tests/scratch_dir.h"

namespace ec {
namespace {

std::string Raw(const ClusterSecret::Mac& mac) {
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

TEST(ClusterSecretTest, LoadsFromFileTrimmingTheNewlineAndNamesTheFileNotTheValue) {
  test_support::ScratchDir dir("cluster_secret");
  const std::string path = (dir.path() / "secret").string();
  std::ofstream(path) << "0123456789abcdef0123456789abcdef\n";
  chmod(path.c_str(), 0600);
  auto secret = ClusterSecret::Load(path);
  ASSERT_TRUE(secret.ok()) << secret.status();
  ASSERT_NE(*secret, nullptr);
  EXPECT_TRUE((*secret)->Verify(Raw(ClusterSecret::FromString("0123456789abcdef0123456789abcdef")
                                        ->Sign({"a", "b"})),
                                {"a", "b"}));

  std::ofstream(path) << "tiny-42\n";
  auto refused = ClusterSecret::Load(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(path), absl::string_view::npos);
  EXPECT_EQ(refused.status().message().find("tiny-42"), absl::string_view::npos);

  EXPECT_FALSE(ClusterSecret::Load((dir.path() / "missing").string()).ok());
}

TEST(ClusterSecretTest, FallsBackToTheEnvironmentAndIsAbsentWithoutEither) {
  unsetenv("EC_CLUSTER_SECRET");
  auto none = ClusterSecret::Load("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  setenv("EC_CLUSTER_SECRET", "from-the-environment-0123", 1);
  auto env = ClusterSecret::Load("");
  unsetenv("EC_CLUSTER_SECRET");
  ASSERT_TRUE(env.ok());
  ASSERT_NE(*env, nullptr);
  EXPECT_EQ((*env)->origin(), "EC_CLUSTER_SECRET");
}

TEST(ClusterSecretTest, MacsDependOnKeyAndOnHowPartsAreSplit) {
  auto a = ClusterSecret::FromString("secret-a-0123456789");
  auto b = ClusterSecret::FromString("secret-b-0123456789");
  const std::string mac = Raw(a->Sign({"ab", "c"}));
  EXPECT_TRUE(a->Verify(mac, {"ab", "c"}));
  EXPECT_FALSE(b->Verify(mac, {"ab", "c"}));
  EXPECT_FALSE(a->Verify(mac, {"a", "bc"}));  // length-prefixed parts do not collide
  EXPECT_FALSE(a->Verify(mac.substr(1), {"ab", "c"}));
}

TEST(ClusterSecretTest, HexRoundTripsAndRefusesNonHex) {
  const std::string bytes = RandomBytes(16);
  EXPECT_NE(bytes, RandomBytes(16));
  std::string back;
  ASSERT_TRUE(HexDecode(HexEncode(bytes), &back));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(HexDecode("abc", &back));
  EXPECT_FALSE(HexDecode("zz", &back));
  EXPECT_TRUE(ConstantTimeEqual("same", "same"));
  EXPECT_FALSE(ConstantTimeEqual("same", "sane"));
  EXPECT_FALSE(ConstantTimeEqual("same", "same!"));
}

}  // namespace
}  // namespace ec
