// PrintSink writes one line per record to stdout; DiscardSink drops records; both count them out.
#include "operators/sinks/print_sink.h"

#include <gtest/gtest.h>

#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;

constexpr char kJob[] = R"({"name": "t", "pipeline": [
  {"type": "socket-source", "hostname": "h", "port": 1}, {"name": "out", "type": "print-sink"}]})";

TEST(PrintSinkTest, WritesEachRecordAsALineAndCountsThem) {
  OperatorHarness harness(kJob, 1);
  PrintSink sink;
  ASSERT_TRUE(sink.Open(harness.context()).ok());
  ::testing::internal::CaptureStdout();
  EXPECT_TRUE(OperatorHarness::Run(sink, {R"({"a":1})", "", "two"}).empty());
  ASSERT_TRUE(sink.Flush(absl::Now()).ok());
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "{\"a\":1}\n\ntwo\n");
  EXPECT_EQ(harness.counters().records_out(), 3u);
  EXPECT_EQ(harness.counters().bytes_out(), 10u);
}

TEST(DiscardSinkTest, DropsRecordsButCountsThem) {
  OperatorHarness harness(kJob, 1);
  DiscardSink sink;
  ASSERT_TRUE(sink.Open(harness.context()).ok());
  EXPECT_TRUE(OperatorHarness::Run(sink, {"abc", "de"}).empty());
  EXPECT_TRUE(OperatorHarness::Run(sink, {"f"}).empty());
  EXPECT_EQ(harness.counters().records_out(), 3u);
  EXPECT_EQ(harness.counters().bytes_out(), 6u);
}

}  // namespace
}  // namespace ec
