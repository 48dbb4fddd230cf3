// ScramClient against the SCRAM-SHA-256 example of RFC 7677 section 3.
#include "connectors/kafka/kafka_scram.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

constexpr char kServerFirst[] =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

TEST(ScramClientTest, Rfc7677Sha256Example) {
  ScramClient scram(ScramHash::kSha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(scram.ClientFirstMessage(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  auto final_message = scram.ClientFinalMessage(kServerFirst);
  ASSERT_TRUE(final_message.ok()) << final_message.status();
  EXPECT_EQ(*final_message,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_TRUE(scram.VerifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").ok());
}

TEST(ScramClientTest, AWrongServerSignatureIsRejected) {
  ScramClient scram(ScramHash::kSha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  ASSERT_TRUE(scram.ClientFinalMessage(kServerFirst).ok());
  auto s = scram.VerifyServerFinal("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(scram.VerifyServerFinal("e=invalid-proof").code(), absl::StatusCode::kUnauthenticated);
}

TEST(ScramClientTest, AServerNonceNotExtendingOursIsRejected) {
  ScramClient scram(ScramHash::kSha512, "user", "pencil", "abc");
  EXPECT_EQ(scram.ClientFinalMessage("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(ScramClientTest, UserNamesAreEscaped) {
  ScramClient scram(ScramHash::kSha512, "a=b,c", "x", "n");
  EXPECT_EQ(scram.ClientFirstMessage(), "n,,n=a=3Db=2Cc,r=n");
}

TEST(ScramClientTest, RandomNoncesDiffer) {
  ScramClient a(ScramHash::kSha256, "u", "p"), b(ScramHash::kSha256, "u", "p");
  EXPECT_NE(a.ClientFirstMessage(), b.ClientFirstMessage());
}

}  // namespace
}  // namespace ec
