// DeadLetterOutput without Kafka: "none" and a job without Kafka settings only count; a named
// topic needs Kafka settings, and validation says so.
#include "operators/transforms/dead_letter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;
using ::testing::HasSubstr;

std::string Job(const std::string& parse_fields) {
  return R"({"name": "t", "pipeline": [{"type": "socket-source", "hostname": "h", "port": 1},
      {"name": "parse", "type": "json-parse")" +
         (parse_fields.empty() ? "" : ", " + parse_fields) + R"(}, {"type": "discard-sink"}]})";
}

TEST(DeadLetterTest, NoneOnlyCounts) {
  OperatorHarness harness(Job(R"("dead-letter-topic": "none")"), 1,
                          {{"kafka-bootstrap-servers", "127.0.0.1:1"}, {"kafka-topic", "t"}});
  auto out = DeadLetterOutput::Create(harness.context());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE((*out)->Write("bad", "reason").ok());
  EXPECT_TRUE((*out)->Write("worse", "reason").ok());
  EXPECT_EQ(harness.counters().dead_letter(), 2u);
  EXPECT_TRUE((*out)->Poll().ok());
  EXPECT_TRUE((*out)->Flush(absl::Now()).ok());
}

TEST(DeadLetterTest, WithoutKafkaSettingsOnlyCounts) {
  OperatorHarness harness(Job(""), 1);
  auto out = DeadLetterOutput::Create(harness.context());
  ASSERT_TRUE(out.ok()) << out.status();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE((*out)->Write("bad", "reason").ok());
  EXPECT_EQ(harness.counters().dead_letter(), 10u);
}

TEST(DeadLetterTest, ValidationPassesWhenOnlyCounting) {
  OperatorHarness harness(Job(R"("dead-letter-topic": "none")"), 1);
  EXPECT_TRUE(ValidateDeadLetter(harness.spec(), harness.spec().pipeline[1], "pipeline[1]").ok());
}

TEST(DeadLetterTest, NamedTopicWithoutBootstrapServersIsInvalid) {
  OperatorHarness harness(Job(R"("dead-letter-topic": "bad.dlq")"), 1);
  absl::Status s = ValidateDeadLetter(harness.spec(), harness.spec().pipeline[1], "pipeline[1]");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("kafka-bootstrap-servers"));
}

}  // namespace
}  // namespace ec
