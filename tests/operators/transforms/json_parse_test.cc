// JsonParse: JSON objects pass unchanged, everything else becomes a counted dead letter and the
// batch goes on.
#include "operators/transforms/json_parse.h"

#include <gtest/gtest.h>

#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;

constexpr char kJob[] = R"({"name": "t", "pipeline": [
  {"type": "socket-source", "hostname": "h", "port": 1},
  {"name": "parse", "type": "json-parse", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

class JsonParseTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(parse_.Open(harness_.context()).ok()); }

  OperatorHarness harness_{kJob, 1};
  JsonParse parse_;
};

TEST_F(JsonParseTest, ObjectsPassUnchanged) {
  std::vector<std::string> in = {R"({"a":1})", R"(  {"b": [1, 2, {"c": null}]}  )", "{}"};
  EXPECT_EQ(OperatorHarness::Run(parse_, in), in);
  EXPECT_EQ(harness_.counters().dead_letter(), 0u);
}

TEST_F(JsonParseTest, NonObjectsAreDeadLetters) {
  EXPECT_TRUE(OperatorHarness::Run(parse_, {"[1,2]", "42", R"("text")", "null", "true"}).empty());
  EXPECT_EQ(harness_.counters().dead_letter(), 5u);
}

TEST_F(JsonParseTest, MalformedRecordsAreDeadLettersAndTheRestPass) {
  std::vector<std::string> out =
      OperatorHarness::Run(parse_, {R"({"seq":0})", R"({"seq":1)", "", "not json",
                                    R"({"seq":2} trailing)", R"({"a":"\x"})", R"({"seq":3})"});
  EXPECT_EQ(out, (std::vector<std::string>{R"({"seq":0})", R"({"seq":3})"}));
  EXPECT_EQ(harness_.counters().dead_letter(), 5u);
}

TEST_F(JsonParseTest, InvalidUtf8IsADeadLetter) {
  EXPECT_TRUE(OperatorHarness::Run(parse_, {"{\"a\":\"\xff\xfe\"}"}).empty());
  EXPECT_EQ(harness_.counters().dead_letter(), 1u);
}

TEST_F(JsonParseTest, ValidatesTheLastRecordOfABatchWhateverItsSize) {
  // The last record has no following bytes for simdjson's padding: sizes around the buffer's
  // capacity exercise both the in-place and the copied path.
  for (size_t size = 1; size < 200; ++size) {
    std::string big = R"({"k":")" + std::string(size, 'x') + R"("})";
    RecordBatch in;
    in.Append(R"({"first":1})");
    in.Append(big);
    RecordBatch out;
    ASSERT_TRUE(parse_.ProcessBatch(in, out).ok());
    ASSERT_EQ(out.size(), 2u) << size;
    EXPECT_EQ(out[1], big);
  }
  EXPECT_EQ(harness_.counters().dead_letter(), 0u);
}

TEST_F(JsonParseTest, TruncatedLastRecordIsNotReadPastItsEnd) {
  // The bytes after "{\"a\":" in the buffer must not complete the document.
  RecordBatch in;
  in.Append(R"({"a":)");
  in.buffer().append("1}");  // written but not committed: not part of any record
  RecordBatch out;
  ASSERT_TRUE(parse_.ProcessBatch(in, out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(harness_.counters().dead_letter(), 1u);
}

TEST_F(JsonParseTest, EmptyBatchEmitsNothing) {
  EXPECT_TRUE(OperatorHarness::Run(parse_, {}).empty());
}

TEST_F(JsonParseTest, TickAndFlushSucceedWithoutKafka) {
  EXPECT_TRUE(parse_.Tick().ok());
  EXPECT_TRUE(parse_.Flush(absl::Now() + absl::Seconds(1)).ok());
  EXPECT_TRUE(parse_.Close().ok());
}

}  // namespace
}  // namespace ec
