// Cluster-secret proofs on gRPC calls: the right secret passes once; wrong, stale, malformed,
// other-method and replayed proofs are refused; the callee's proof binds method and nonce.
#include "runtime/security/call_auth.h"

#include <gtest/gtest.h>

#include "absl/time/clock.h"

namespace ec {
namespace {

constexpr char kMethod[] = "/ec.proto.TaskManagerService/DeployTask";

TEST(CallAuthTest, TheRightSecretPassesOnceAndAReplayIsRefused) {
  ClusterCallAuth caller(ClusterSecret::FromString("the-cluster-secret-0123"));
  ClusterCallAuth callee(ClusterSecret::FromString("the-cluster-secret-0123"));
  const absl::Time now = absl::Now();
  const std::string proof = caller.ClientProof(kMethod, now, std::string(16, 'n'));
  std::string nonce;
  ASSERT_TRUE(callee.VerifyClientProof(proof, kMethod, now, &nonce).ok());
  EXPECT_EQ(caller.CalleeProof(kMethod, nonce), callee.CalleeProof(kMethod, nonce));
  absl::Status replay = callee.VerifyClientProof(proof, kMethod, now, &nonce);
  EXPECT_EQ(replay.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(replay.message().find("replayed"), absl::string_view::npos);
}

TEST(CallAuthTest, WrongStaleMalformedAndOtherMethodProofsAreRefused) {
  ClusterCallAuth callee(ClusterSecret::FromString("the-cluster-secret-0123"));
  ClusterCallAuth stranger(ClusterSecret::FromString("another-secret-0123456"));
  const absl::Time now = absl::Now();
  std::string nonce;
  auto refused = [&](const std::string& proof, const char* method, absl::Time at) {
    return callee.VerifyClientProof(proof, method, at, &nonce).code() ==
           absl::StatusCode::kUnauthenticated;
  };
  EXPECT_TRUE(refused(stranger.ClientProof(kMethod, now, std::string(16, 'a')), kMethod, now));
  EXPECT_TRUE(refused("", kMethod, now));
  EXPECT_TRUE(refused("v1 123 nothex zz", kMethod, now));
  EXPECT_TRUE(refused("v2 1 00 00", kMethod, now));
  ClusterCallAuth caller(ClusterSecret::FromString("the-cluster-secret-0123"));
  // Signed for another method.
  EXPECT_TRUE(refused(caller.ClientProof("/ec.proto.TaskManagerService/CancelTask", now,
                                         std::string(16, 'b')),
                      kMethod, now));
  // Ten minutes old (the window is five).
  EXPECT_TRUE(refused(caller.ClientProof(kMethod, now - absl::Minutes(10), std::string(16, 'c')),
                      kMethod, now));
  // The callee's proof is bound to the method and to the caller's nonce.
  EXPECT_NE(caller.CalleeProof(kMethod, "aa"), caller.CalleeProof(kMethod, "ab"));
  EXPECT_NE(caller.CalleeProof(kMethod, "aa"), stranger.CalleeProof(kMethod, "aa"));
}

TEST(CallAuthTest, WithoutASecretNothingIsChecked) {
  ClusterCallAuth off(nullptr);
  EXPECT_FALSE(off.enabled());
  grpc::ClientContext ctx;
  EXPECT_EQ(off.Sign(&ctx, kMethod), "");
  EXPECT_TRUE(off.VerifyCallee(ctx, kMethod, "").ok());
}

}  // namespace
}  // namespace ec
