// WatermarkAssigner: records passed on, bounded-out-of-orderness watermarks, idleness, config.
#include "operators/transforms/watermark_assigner.h"

#include <gtest/gtest.h>

#include "operators/registry.h"
#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;

std::string Job(const std::string& fields) {
  return R"({"name": "wm", "pipeline": [
    {"name": "src", "type": "socket-source", "hostname": "localhost", "port": "9999"},
    {"name": "parse", "type": "json-parse", "dead-letter-topic": "none"},
    {"name": "wm", "type": "watermarks", "dead-letter-topic": "none")" +
         fields + R"(},
    {"name": "out", "type": "discard-sink"}]})";
}

// An operator built from its job-file fields, as the registry builds it, on a fake clock.
struct Assigner {
  explicit Assigner(const std::string& fields) : harness(Job(fields), 2) {
    auto options = WatermarkAssignerOptions(harness.spec(), harness.spec().pipeline[2], "wm");
    EXPECT_TRUE(options.ok()) << options.status();
    options->clock = [this] { return now; };
    op = std::make_unique<WatermarkAssigner>(*options);
    EXPECT_TRUE(op->Open(harness.context()).ok());
  }
  WatermarkStatus Advance(WatermarkStatus in = {}) {
    RecordBatch emitted;
    WatermarkStatus out{123, true};
    EXPECT_TRUE(op->AdvanceTime(in, emitted, &out).ok());
    EXPECT_TRUE(emitted.empty());
    return out;
  }

  absl::Time now = absl::FromUnixMillis(1'000'000);
  OperatorHarness harness;
  std::unique_ptr<WatermarkAssigner> op;
};

TEST(WatermarkAssignerTest, NoWatermarkBeforeTheFirstRecord) {
  Assigner a(R"(, "max-out-of-orderness": "2s")");
  EXPECT_EQ(a.Advance(), (WatermarkStatus{kNoWatermark, false}));
  // The incoming watermark is replaced, not passed on.
  EXPECT_EQ(a.Advance({5000, false}), (WatermarkStatus{kNoWatermark, false}));
}

TEST(WatermarkAssignerTest, WatermarkIsLargestTimestampMinusBoundMinusOne) {
  Assigner a(R"(, "max-out-of-orderness": "2s")");
  const std::vector<std::string> records = {
      R"({"seq":0,"timestamp":"2026-01-01T00:00:10.000Z"})",
      R"({"seq":1,"timestamp":"2026-01-01T00:00:12.500Z"})",
      R"({"seq":2,"timestamp":"2026-01-01T00:00:11.000Z"})",  // out of order
  };
  EXPECT_EQ(OperatorHarness::Run(*a.op, records), records);
  const int64_t t0 = 1767225600000;  // 2026-01-01T00:00:00Z
  EXPECT_EQ(a.Advance({t0 + 999999, false}), (WatermarkStatus{t0 + 12500 - 2000 - 1, false}));
  // Older records never move it back.
  OperatorHarness::Run(*a.op, {R"({"timestamp":"2026-01-01T00:00:01.000Z"})"});
  EXPECT_EQ(a.Advance().watermark, t0 + 12500 - 2000 - 1);
}

TEST(WatermarkAssignerTest, ReadsEpochMillisecondsFromANamedField) {
  Assigner a(R"(, "timestamp-field": "ts")");
  OperatorHarness::Run(*a.op,
                       {R"({"ts":1000,"timestamp":"2026-01-01T00:00:10.000Z"})", R"({"ts":-5})"});
  EXPECT_EQ(a.Advance().watermark, 1000 - 0 - 1);  // default bound: 0
}

TEST(WatermarkAssignerTest, RecordWithoutReadableTimestampGoesToDeadLetters) {
  Assigner a("");
  auto out = OperatorHarness::Run(
      *a.op, {R"({"seq":0})", R"({"timestamp":"yesterday"})", R"({"timestamp":true})",
              R"({"timestamp":1.5})", R"({"timestamp":"2026-01-01T00:00:00.000+01:00"})",
              R"({"timestamp":"2026-01-01T00:00:00.000Z"})"});
  EXPECT_EQ(out, std::vector<std::string>{R"({"timestamp":"2026-01-01T00:00:00.000Z"})"});
  EXPECT_EQ(a.harness.counters().dead_letter(), 5u);
  EXPECT_EQ(a.Advance().watermark, 1767225600000 - 1);
}

TEST(WatermarkAssignerTest, GoesIdleAfterTheTimeoutAndARecordEndsIt) {
  Assigner a(R"(, "idle-timeout": "10s")");
  EXPECT_FALSE(a.Advance().idle);
  a.now += absl::Seconds(10);
  EXPECT_TRUE(a.Advance().idle);  // no record since the start
  OperatorHarness::Run(*a.op, {R"({"timestamp":5000})"});
  EXPECT_EQ(a.Advance(), (WatermarkStatus{4999, false}));
  a.now += absl::Seconds(9);
  EXPECT_FALSE(a.Advance().idle);
  a.now += absl::Seconds(1);
  EXPECT_EQ(a.Advance(), (WatermarkStatus{4999, true}));  // keeps its watermark while idle
  // A batch of records that all lack a timestamp is no activity.
  OperatorHarness::Run(*a.op, {R"({"seq":1})"});
  EXPECT_TRUE(a.Advance().idle);
}

TEST(WatermarkAssignerTest, NeverIdleWithoutATimeout) {
  Assigner a("");
  a.now += absl::Hours(24 * 365);
  EXPECT_FALSE(a.Advance().idle);
}

TEST(WatermarkAssignerTest, GoesIdleOnTheRealClock) {
  OperatorHarness harness(Job(R"(, "idle-timeout": "20ms")"), 2);
  auto options = WatermarkAssignerOptions(harness.spec(), harness.spec().pipeline[2], "wm");
  ASSERT_TRUE(options.ok()) << options.status();
  WatermarkAssigner op(*options);
  ASSERT_TRUE(op.Open(harness.context()).ok());
  OperatorHarness::Run(op, {R"({"timestamp":5000})"});
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  WatermarkStatus status;
  do {
    RecordBatch emitted;
    ASSERT_TRUE(op.AdvanceTime({}, emitted, &status).ok());
    if (!status.idle) absl::SleepFor(absl::Milliseconds(5));
  } while (!status.idle && absl::Now() < deadline);
  EXPECT_EQ(status, (WatermarkStatus{4999, true}));
}

TEST(WatermarkAssignerTest, BadFieldsAreRejectedWithTheFieldName) {
  for (const auto& [fields, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"(, "max-out-of-orderness": "-1s")", "pipeline[2].max-out-of-orderness"},
           {R"(, "max-out-of-orderness": "soon")", "pipeline[2].max-out-of-orderness"},
           {R"(, "max-out-of-orderness": "inf")", "pipeline[2].max-out-of-orderness"},
           {R"(, "idle-timeout": "0s")", "pipeline[2].idle-timeout"},
           {R"(, "timestamp-field": "")", "pipeline[2].timestamp-field"},
       }) {
    auto spec = ParseJobSpec(Job(fields));
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto s = ValidateJob(*spec);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << fields;
    EXPECT_NE(s.message().find("job file: " + expected + ": "), std::string::npos) << s;
  }
  auto spec = ParseJobSpec(Job(R"(, "max-out-of-orderness": "500ms", "idle-timeout": "1m")"));
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(ValidateJob(*spec).ok()) << ValidateJob(*spec);
}

TEST(WatermarkAssignerTest, NeedsJsonParseBeforeIt) {
  auto spec = ParseJobSpec(R"({"name": "x", "pipeline": [
    {"name": "src", "type": "socket-source", "hostname": "h", "port": "1"},
    {"name": "wm", "type": "watermarks"},
    {"name": "out", "type": "discard-sink"}]})");
  ASSERT_TRUE(spec.ok());
  EXPECT_NE(ValidateJob(*spec).message().find("json-parse"), std::string::npos);
}

}  // namespace
}  // namespace ec
