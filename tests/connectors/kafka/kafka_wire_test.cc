// The Kafka wire format's primitives: varints, (compact) strings and arrays, tagged fields.
#include "connectors/kafka/kafka_wire.h"

#include <gtest/gtest.h>

namespace ec::kafka_wire {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(KafkaWireTest, UnsignedVarintsUseSevenBitsAByteLowFirst) {
  Writer w;
  w.UnsignedVarint(0);
  w.UnsignedVarint(127);
  w.UnsignedVarint(128);
  w.UnsignedVarint(300);
  w.UnsignedVarint(0xffffffffu);
  EXPECT_EQ(w.data(), Bytes({0x00, 0x7f, 0x80, 0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f}));
  Reader r(w.data());
  EXPECT_EQ(*r.UnsignedVarint(), 0u);
  EXPECT_EQ(*r.UnsignedVarint(), 127u);
  EXPECT_EQ(*r.UnsignedVarint(), 128u);
  EXPECT_EQ(*r.UnsignedVarint(), 300u);
  EXPECT_EQ(*r.UnsignedVarint(), 0xffffffffu);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(KafkaWireTest, CompactStringsStoreLengthPlusOne) {
  Writer w;
  w.String("abc", /*flexible=*/true);
  w.NullString(true);
  EXPECT_EQ(w.data(), Bytes({0x04, 'a', 'b', 'c', 0x00}));
  Reader r(w.data());
  EXPECT_EQ(*r.String(true), "abc");
  EXPECT_EQ(*r.String(true), "");  // null
}

TEST(KafkaWireTest, ClassicStringsAndIntegersAreBigEndian) {
  Writer w;
  w.String("hi", false);
  w.NullString(false);
  w.Int32(0x01020304);
  w.Int64(-2);
  w.ArrayLength(2, false);
  w.ArrayLength(2, true);
  EXPECT_EQ(w.data(), Bytes({0x00, 0x02, 'h',  'i',  0xff, 0xff, 0x01, 0x02, 0x03, 0x04, 0xff, 0xff,
                             0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0,    0,    0,    2,    0x03}));
  Reader r(w.data());
  EXPECT_EQ(*r.String(false), "hi");
  EXPECT_EQ(*r.String(false), "");
  EXPECT_EQ(*r.Int32(), 0x01020304);
  EXPECT_EQ(*r.Int64(), -2);
  EXPECT_EQ(*r.ArrayLength(false), 2);
  EXPECT_EQ(*r.ArrayLength(true), 2);
}

TEST(KafkaWireTest, TaggedFieldsAreSkipped) {
  // Two tagged fields (tag 0, 2 bytes; tag 3, 1 byte), then an int16.
  const std::string r_bytes = Bytes({0x02, 0x00, 0x02, 0xaa, 0xbb, 0x03, 0x01, 0xcc, 0x00, 0x07});
  Reader r(r_bytes);
  ASSERT_TRUE(r.SkipTaggedFields().ok());
  EXPECT_EQ(*r.Int16(), 7);
}

TEST(KafkaWireTest, ReadingPastTheEndIsDataLoss) {
  const std::string r_bytes = Bytes({0x05, 'a'});
  Reader r(r_bytes);
  EXPECT_EQ(r.String(true).status().code(), absl::StatusCode::kDataLoss);
  const std::string r2_bytes = Bytes({0x80});
  Reader r2(r2_bytes);
  EXPECT_EQ(r2.UnsignedVarint().status().code(), absl::StatusCode::kDataLoss);
  const std::string r3_bytes = Bytes({0x00});
  Reader r3(r3_bytes);
  EXPECT_EQ(r3.Int16().status().code(), absl::StatusCode::kDataLoss);
}

TEST(KafkaWireTest, ErrorCodesTravelAsAStatusPayload) {
  absl::Status s = WithErrorCode(absl::FailedPreconditionError("x"), 48);
  EXPECT_EQ(s.GetPayload(kErrorCodePayload).value(), "48");
  EXPECT_EQ(ErrorName(48), "INVALID_TXN_STATE");
  EXPECT_EQ(ErrorName(999), "UNKNOWN_ERROR_999");
}

}  // namespace
}  // namespace ec::kafka_wire
