// Secure defaults: which listeners open up, what counts as loopback, which parameters are secret.
#include "runtime/security/listen_policy.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

TEST(ListenPolicyTest, OnlyAuthenticatedOrInsecureListenersOpenUp) {
  EXPECT_EQ(ListenHost(false, false), "127.0.0.1");
  EXPECT_EQ(ListenHost(true, false), "0.0.0.0");
  EXPECT_EQ(ListenHost(false, true), "0.0.0.0");
}

TEST(ListenPolicyTest, LoopbackHostsAndPeers) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("10.250.0.3"));
  EXPECT_FALSE(IsLoopbackHost("jobmanager"));
  EXPECT_TRUE(IsLoopbackPeer("ipv4:127.0.0.1:41234"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::1]:41234"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::ffff:127.0.0.1]:41234"));
  // As gRPC 1.51 really gives them: a URI with the brackets percent-encoded.
  EXPECT_TRUE(IsLoopbackPeer("ipv6:%5B::1%5D:51876"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:%5B::ffff:127.0.0.1%5D:51876"));
  EXPECT_FALSE(IsLoopbackPeer("ipv6:%5B2001:db8::1%5D:51876"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:10.250.0.5:41234"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:128.0.0.1:1"));
}

TEST(ListenPolicyTest, SecretParameters) {
  EXPECT_TRUE(IsSecretParameter("kafka-sasl-password"));
  EXPECT_TRUE(IsSecretParameter("api-token"));
  EXPECT_TRUE(IsSecretParameter("client-SECRET"));
  EXPECT_FALSE(IsSecretParameter("kafka-sasl-username"));
  EXPECT_FALSE(IsSecretParameter("kafka-topic"));
}

}  // namespace
}  // namespace ec
