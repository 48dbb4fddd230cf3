// WindowAggregate: window assignment, aggregates, firing, lateness, restore and its job fields.
#include "operators/transforms/window_aggregate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "operators/registry.h"
#include "operators/transforms/watermark_assigner.h"
#include "runtime/time_format.h"
#include "tests/operators/operator_harness.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;
using test_support::OperatorHarness;
using Strings = std::vector<std::string>;

constexpr int64_t kT0 = 1767225600000;  // 2026-01-01T00:00:00.000Z

std::string Job(const std::string& fields) {
  return R"({"name": "win", "pipeline": [
    {"name": "src", "type": "socket-source", "hostname": "localhost", "port": "9999"},
    {"name": "parse", "type": "json-parse", "dead-letter-topic": "none"},
    {"name": "win", "type": "window", "dead-letter-topic": "none")" +
         fields + R"(},
    {"name": "out", "type": "discard-sink"}]})";
}

std::string Event(int64_t ts, const std::string& source, const std::string& level,
                  const std::string& extra = "") {
  std::string out = absl::StrCat(R"({"timestamp":")", IsoMillis(ts), R"(","source":")", source,
                                 R"(","level":")", level, "\"", extra, "}");
  return out;
}

class WindowAggregateTest : public ::testing::Test {
 protected:
  // A window operator from `fields` (its job-file fields), as the registry builds it, on a fake
  // clock and a fresh or restored state backend.
  struct Window {
    std::unique_ptr<OperatorHarness> harness;
    std::unique_ptr<KeyedStateBackend> backend;
    std::unique_ptr<WindowAggregate> op;
  };
  Window Make(const std::string& fields, const std::string& local = "a",
              std::string_view handle = {}) {
    Window w;
    w.harness = std::make_unique<OperatorHarness>(Job(fields), 2);
    StateBackendOptions options;
    options.local_dir = (root_ / local).string();
    options.checkpoint_dir = (root_ / "ckpt").string();
    auto backend = KeyedStateBackend::Open(options, handle, (root_ / "ckpt").string());
    EXPECT_TRUE(backend.ok()) << backend.status();
    w.backend = *std::move(backend);
    w.harness->context().keyed_state = w.backend.get();
    auto spec = w.harness->spec();
    auto window_options = WindowAggregateOptions(spec, spec.pipeline[2], "pipeline[2]");
    EXPECT_TRUE(window_options.ok()) << window_options.status();
    window_options->clock = [this] { return now_; };
    w.op = std::make_unique<WindowAggregate>(*window_options);
    EXPECT_TRUE(w.op->UsesKeyedState());
    auto s = w.op->Open(w.harness->context());
    EXPECT_TRUE(s.ok()) << s;
    return w;
  }

  // AdvanceTime with `watermark`: what fired. The status is passed on unchanged.
  static Strings Advance(WindowAggregate& op, int64_t watermark, bool idle = false) {
    RecordBatch emitted;
    WatermarkStatus out;
    auto s = op.AdvanceTime({watermark, idle}, emitted, &out);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(out, (WatermarkStatus{watermark, idle}));
    Strings fired;
    for (size_t i = 0; i < emitted.size(); ++i) fired.emplace_back(emitted[i]);
    return fired;
  }

  test_support::ScratchDir scratch_{"window"};
  const fs::path root_ = scratch_.path();
  absl::Time now_ = absl::FromUnixMillis(kT0);
};

constexpr char kCountBySourceLevel[] = R"(, "key-by": ["source", "level"], "size": "10s")";

TEST_F(WindowAggregateTest, OutputIsOneJsonRecordPerWindowInTheDocumentedForm) {
  auto w = Make(kCountBySourceLevel);
  EXPECT_TRUE(OperatorHarness::Run(*w.op, {Event(kT0 + 1, "Security", "Information"),
                                           Event(kT0 + 9999, "Security", "Information"),
                                           Event(kT0 + 5000, "System", "Error")})
                  .empty());
  EXPECT_EQ(
      Advance(*w.op, kT0 + 10000 - 1),
      (Strings{
          R"({"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:00:10.000Z","source":"Security","level":"Information","count":2})",
          R"({"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:00:10.000Z","source":"System","level":"Error","count":1})"}));
  EXPECT_EQ(w.op->pending_windows(), 0u);
  EXPECT_TRUE(Advance(*w.op, kT0 + 100000).empty());  // fired once only
}

TEST_F(WindowAggregateTest, KeyValuesAreTheInputsRawJson) {
  auto w = Make(R"(, "key-by": ["event_id", "user"], "size": "1s")");
  OperatorHarness::Run(*w.op, {R"({"timestamp":500,"event_id":4624,"user":"a\"b"})",
                               R"({"timestamp":600,"user":"a\"b","event_id":4624})",
                               R"({"timestamp":700,"event_id":4625,"user":null})"});
  EXPECT_EQ(
      Advance(*w.op, 999),
      (Strings{
          R"({"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:01.000Z","event_id":4624,"user":"a\"b","count":2})",
          R"({"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:01.000Z","event_id":4625,"user":null,"count":1})"}));
}

TEST_F(WindowAggregateTest, NothingFiresWithoutAWatermarkOrBeforeTheWindowsLastMillisecond) {
  auto w = Make(kCountBySourceLevel);
  OperatorHarness::Run(*w.op, {Event(kT0 + 3000, "System", "Error")});
  EXPECT_TRUE(Advance(*w.op, kNoWatermark).empty());
  EXPECT_TRUE(Advance(*w.op, kNoWatermark, /*idle=*/true).empty());
  EXPECT_TRUE(Advance(*w.op, kT0 + 10000 - 2).empty());
  EXPECT_EQ(w.op->pending_windows(), 1u);
  EXPECT_EQ(Advance(*w.op, kT0 + 10000 - 1).size(), 1u);
}

TEST_F(WindowAggregateTest, TumblingCountsAreExactOverAGeneratedStream) {
  auto w = Make(R"(, "key-by": ["source", "level"], "size": "1s")");
  const Strings sources = {"Security", "System", "Application"};
  const Strings levels = {"Information", "Warning", "Error"};
  std::mt19937_64 rng(42);
  constexpr int64_t kBound = 300;  // out of order by at most this
  std::map<std::tuple<int64_t, std::string, std::string>, uint64_t> expected;
  Strings fired;
  int64_t max_ts = kT0;
  for (int batch = 0; batch < 50; ++batch) {
    Strings records;
    for (int i = 0; i < 200; ++i) {
      const int64_t ts =
          kT0 + (batch * 200 + i) * 7 - static_cast<int64_t>(rng() % (kBound + 1)) + kBound;
      const std::string& source = sources[rng() % 3];
      const std::string& level = levels[rng() % 3];
      records.push_back(Event(ts, source, level, absl::StrCat(R"(,"seq":)", batch * 200 + i)));
      ++expected[{ts - ts % 1000, source, level}];
      max_ts = std::max(max_ts, ts);
    }
    EXPECT_TRUE(OperatorHarness::Run(*w.op, records).empty());
    // What a watermarks operator with this bound would pass on: nothing is late.
    for (auto& r : Advance(*w.op, max_ts - kBound - 1)) fired.push_back(std::move(r));
  }
  for (auto& r : Advance(*w.op, std::numeric_limits<int64_t>::max())) fired.push_back(r);
  EXPECT_EQ(w.op->late_records(), 0u);
  EXPECT_EQ(w.op->pending_windows(), 0u);

  std::map<std::tuple<int64_t, std::string, std::string>, uint64_t> actual;
  int64_t previous_end = 0;
  for (const auto& r : fired) {
    auto json = nlohmann::json::parse(r);
    int64_t start = 0, end = 0;
    ASSERT_TRUE(ParseIsoMillis(json["window_start"].get<std::string>(), &start)) << r;
    ASSERT_TRUE(ParseIsoMillis(json["window_end"].get<std::string>(), &end)) << r;
    EXPECT_EQ(end - start, 1000);
    EXPECT_GE(end, previous_end) << "fired out of order: " << r;
    previous_end = end;
    EXPECT_TRUE(actual
                    .emplace(std::make_tuple(start, json["source"].get<std::string>(),
                                             json["level"].get<std::string>()),
                             json["count"].get<uint64_t>())
                    .second)
        << "fired twice: " << r;
  }
  EXPECT_EQ(actual, expected);
}

TEST_F(WindowAggregateTest, WindowsAreAlignedToTheEpochIncludingBeforeIt) {
  auto w = Make(R"(, "key-by": ["k"], "size": "7s")");
  OperatorHarness::Run(*w.op, {R"({"k":1,"timestamp":-1})", R"({"k":1,"timestamp":-7000})",
                               R"({"k":1,"timestamp":0})", R"({"k":1,"timestamp":6999})",
                               R"({"k":1,"timestamp":7000})"});
  EXPECT_EQ(
      Advance(*w.op, 20000),
      (Strings{
          R"({"window_start":"1969-12-31T23:59:53.000Z","window_end":"1970-01-01T00:00:00.000Z","k":1,"count":2})",
          R"({"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:07.000Z","k":1,"count":2})",
          R"({"window_start":"1970-01-01T00:00:07.000Z","window_end":"1970-01-01T00:00:14.000Z","k":1,"count":1})"}));
}

TEST_F(WindowAggregateTest, SlidingWindowsCountEveryWindowContainingTheRecord) {
  auto w = Make(R"(, "key-by": ["k"], "window": "sliding", "size": "10s", "slide": "5s")");
  OperatorHarness::Run(*w.op, {R"({"k":"a","timestamp":12000})", R"({"k":"a","timestamp":3000})",
                               R"({"k":"a","timestamp":5000})"});
  // 3000: [-5,5) [0,10); 5000: [0,10) [5,15); 12000: [5,15) [10,20).
  EXPECT_EQ(
      Advance(*w.op, 14999),
      (Strings{
          R"({"window_start":"1969-12-31T23:59:55.000Z","window_end":"1970-01-01T00:00:05.000Z","k":"a","count":1})",
          R"({"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:10.000Z","k":"a","count":2})",
          R"({"window_start":"1970-01-01T00:00:05.000Z","window_end":"1970-01-01T00:00:15.000Z","k":"a","count":2})"}));
  EXPECT_EQ(
      Advance(*w.op, 19999),
      (Strings{
          R"({"window_start":"1970-01-01T00:00:10.000Z","window_end":"1970-01-01T00:00:20.000Z","k":"a","count":1})"}));
}

TEST_F(WindowAggregateTest, SumMinAndMaxOfANumericField) {
  const Strings records = {
      R"({"k":"a","timestamp":100,"v":2})",   R"({"k":"a","timestamp":200,"v":-1.5})",
      R"({"k":"a","timestamp":300,"v":10})",  R"({"k":"b","timestamp":400,"v":0.25})",
      R"({"k":"b","timestamp":500,"v":"7"})",  // not a number
      R"({"k":"b","timestamp":600})"};         // no field
  auto results = [&](const std::string& aggregate) {
    auto w = Make(absl::StrCat(R"(, "key-by": ["k"], "size": "1s", "aggregate": ")", aggregate,
                               R"(", "field": "v")"),
                  aggregate);
    OperatorHarness::Run(*w.op, {records[0], records[1], records[2]});
    OperatorHarness::Run(*w.op, {records[3], records[4], records[5]});  // merged with the state
    EXPECT_EQ(w.harness->counters().dead_letter(), 2u) << aggregate;
    Strings values;
    for (const auto& r : Advance(*w.op, 999)) {
      values.push_back(r.substr(r.find("\"k\"")));
    }
    return values;
  };
  EXPECT_EQ(results("sum"), (Strings{R"("k":"a","sum":10.5})", R"("k":"b","sum":0.25})"}));
  EXPECT_EQ(results("min"), (Strings{R"("k":"a","min":-1.5})", R"("k":"b","min":0.25})"}));
  EXPECT_EQ(results("max"), (Strings{R"("k":"a","max":10})", R"("k":"b","max":0.25})"}));
}

TEST_F(WindowAggregateTest, SumsAcrossBatchesAreMergedWithTheStoredAggregate) {
  auto w = Make(R"(, "key-by": ["k"], "size": "1s", "aggregate": "sum", "field": "v")");
  for (int i = 0; i < 10; ++i) OperatorHarness::Run(*w.op, {R"({"k":1,"timestamp":5,"v":3})"});
  EXPECT_EQ(
      Advance(*w.op, 999),
      Strings{
          R"({"window_start":"1970-01-01T00:00:00.000Z","window_end":"1970-01-01T00:00:01.000Z","k":1,"sum":30})"});
}

TEST_F(WindowAggregateTest, LateEventsAreCountedAndNeverAggregated) {
  auto w = Make(kCountBySourceLevel);
  OperatorHarness::Run(*w.op, {Event(kT0 + 1000, "System", "Error")});
  EXPECT_EQ(Advance(*w.op, kT0 + 9999).size(), 1u);
  // The window's last millisecond is at or below the watermark: late, even for a new key.
  EXPECT_TRUE(OperatorHarness::Run(*w.op, {Event(kT0 + 2000, "System", "Error"),
                                           Event(kT0 + 9999, "Security", "Warning"),
                                           Event(kT0 + 10000, "System", "Error")})
                  .empty());
  EXPECT_EQ(w.op->late_records(), 2u);
  EXPECT_EQ(w.harness->counters().dead_letter(), 2u);
  EXPECT_EQ(w.op->pending_windows(), 1u);
  EXPECT_EQ(
      Advance(*w.op, kT0 + 100000),
      Strings{
          R"({"window_start":"2026-01-01T00:00:10.000Z","window_end":"2026-01-01T00:00:20.000Z","source":"System","level":"Error","count":1})"});
}

TEST_F(WindowAggregateTest, SlidingRecordIsLateOnlyWhenAllItsWindowsAreClosed) {
  auto w = Make(R"(, "key-by": ["k"], "window": "sliding", "size": "10s", "slide": "5s")");
  EXPECT_TRUE(Advance(*w.op, 9999).empty());
  // 7000 is in [0,10) (closed) and [5,15) (open): counted in the open one only.
  OperatorHarness::Run(*w.op, {R"({"k":1,"timestamp":7000})", R"({"k":1,"timestamp":4000})"});
  EXPECT_EQ(w.op->late_records(), 1u);  // 4000: [-5,5) and [0,10), both closed
  EXPECT_EQ(
      Advance(*w.op, 20000),
      Strings{
          R"({"window_start":"1970-01-01T00:00:05.000Z","window_end":"1970-01-01T00:00:15.000Z","k":1,"count":1})"});
}

TEST_F(WindowAggregateTest, RecordsWithoutKeyOrTimestampGoToDeadLetters) {
  auto w = Make(kCountBySourceLevel);
  OperatorHarness::Run(
      *w.op,
      {R"({"timestamp":"2026-01-01T00:00:00.000Z","source":"S"})", R"({"source":"S","level":"L"})",
       R"({"source":"S","level":"L","timestamp":"tomorrow"})", "[1]", Event(kT0, "S", "L")});
  EXPECT_EQ(w.harness->counters().dead_letter(), 4u);
  EXPECT_EQ(w.op->late_records(), 0u);
  EXPECT_EQ(Advance(*w.op, kT0 + 9999).size(), 1u);
}

TEST_F(WindowAggregateTest, WindowsSurviveSnapshotAndRestoreAndFireWithTheirCounts) {
  std::string handle;
  {
    auto w = Make(kCountBySourceLevel, "a");
    OperatorHarness::Run(
        *w.op, {Event(kT0 + 1, "System", "Error"), Event(kT0 + 2, "System", "Error"),
                Event(kT0 + 10001, "Security", "Warning"), Event(kT0 - 1, "System", "Error")});
    EXPECT_EQ(Advance(*w.op, kT0 - 1).size(), 1u);  // [-10s, 0) fired before the checkpoint
    auto snapshot = w.backend->Snapshot(1);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    handle = snapshot->handle;
    // Processed after the checkpoint, then lost with the failed attempt.
    OperatorHarness::Run(*w.op, {Event(kT0 + 3, "System", "Error")});
    EXPECT_EQ(Advance(*w.op, kT0 + 9999).size(), 1u);
  }
  auto w = Make(kCountBySourceLevel, "b", handle);
  EXPECT_EQ(w.op->pending_windows(), 2u);
  OperatorHarness::Run(*w.op, {Event(kT0 + 4, "System", "Error")});
  EXPECT_EQ(
      Advance(*w.op, kT0 + 100000),
      (Strings{
          R"({"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:00:10.000Z","source":"System","level":"Error","count":3})",
          R"({"window_start":"2026-01-01T00:00:10.000Z","window_end":"2026-01-01T00:00:20.000Z","source":"Security","level":"Warning","count":1})"}));
}

TEST_F(WindowAggregateTest, ProcessingTimeWindowsFireByTheClock) {
  now_ = absl::FromUnixMillis(kT0 + 4000);
  auto w = Make(R"(, "key-by": ["source"], "size": "5s", "time": "processing")");
  // Event timestamps are ignored: the record counts where the clock is.
  OperatorHarness::Run(*w.op, {Event(0, "System", "Error"), R"({"source":"System"})"});
  EXPECT_TRUE(Advance(*w.op, kNoWatermark).empty());
  now_ = absl::FromUnixMillis(kT0 + 4999);
  EXPECT_TRUE(Advance(*w.op, kNoWatermark).empty());
  now_ = absl::FromUnixMillis(kT0 + 5000);
  OperatorHarness::Run(*w.op, {R"({"source":"System"})"});
  EXPECT_EQ(
      Advance(*w.op, kNoWatermark),
      Strings{
          R"({"window_start":"2026-01-01T00:00:00.000Z","window_end":"2026-01-01T00:00:05.000Z","source":"System","count":2})"});
  EXPECT_EQ(w.op->pending_windows(), 1u);
}

TEST_F(WindowAggregateTest, BadFieldsAreRejectedWithTheFieldName) {
  for (const auto& [fields, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"(, "size": "10s")", "pipeline[2].key-by: missing"},
           {R"(, "key-by": [], "size": "10s")", "pipeline[2].key-by: expected"},
           {R"(, "key-by": "source", "size": "10s")", "pipeline[2].key-by: expected"},
           {R"(, "key-by": ["window_start"], "size": "10s")", "pipeline[2].key-by: expected"},
           {R"(, "key-by": ["a", "a"], "size": "10s")", "pipeline[2].key-by: expected"},
           {R"(, "key-by": ["a"])", "pipeline[2].size: missing"},
           {R"(, "key-by": ["a"], "size": "0s")",
            R"(pipeline[2].size: expected a duration > 0, e.g. "10s")"},
           {R"(, "key-by": ["a"], "size": "ten")", "pipeline[2].size: "},
           {R"(, "key-by": ["a"], "size": "1.5ms")", "pipeline[2].size: expected whole"},
           {R"(, "key-by": ["a"], "size": "10s", "window": "hopping")", "pipeline[2].window: "},
           {R"(, "key-by": ["a"], "size": "10s", "slide": "5s")", "pipeline[2].slide: only"},
           {R"(, "key-by": ["a"], "size": "10s", "window": "sliding")",
            "pipeline[2].slide: missing"},
           {R"(, "key-by": ["a"], "size": "10s", "window": "sliding", "slide": "3s")",
            "pipeline[2].slide: expected"},
           {R"(, "key-by": ["a"], "size": "10s", "window": "sliding", "slide": "20s")",
            "pipeline[2].slide: expected"},
           {R"(, "key-by": ["a"], "size": "10s", "time": "ingestion")", "pipeline[2].time: "},
           {R"(, "key-by": ["a"], "size": "10s", "aggregate": "avg")", "pipeline[2].aggregate: "},
           {R"(, "key-by": ["a"], "size": "10s", "aggregate": "sum")", "pipeline[2].field: "},
           {R"(, "key-by": ["a"], "size": "10s", "timestamp-field": "")",
            "pipeline[2].timestamp-field: "},
           {R"(, "key-by": ["a"], "size": "10s", "late-topic": "late")", "kafka-bootstrap-servers"},
       }) {
    auto spec = ParseJobSpec(Job(fields));
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto s = ValidateJob(*spec);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << fields;
    EXPECT_NE(s.message().find(expected), std::string::npos) << fields << " -> " << s;
  }
  for (const std::string fields : {
           R"(, "key-by": ["a"], "size": "10s")",
           R"(, "key-by": ["a", "b"], "size": "1m", "window": "sliding", "slide": "10s",
                "aggregate": "max", "field": "v", "time": "processing", "late-topic": "none")",
       }) {
    auto spec = ParseJobSpec(Job(fields));
    ASSERT_TRUE(spec.ok());
    EXPECT_TRUE(ValidateJob(*spec).ok()) << ValidateJob(*spec);
  }
}

TEST_F(WindowAggregateTest, RegistryBuildsAWatermarkedWindowChain) {
  auto spec = ParseJobSpec(R"({"name": "x", "pipeline": [
    {"name": "src", "type": "socket-source", "hostname": "h", "port": "1"},
    {"name": "parse", "type": "json-parse"},
    {"name": "wm", "type": "watermarks", "max-out-of-orderness": "1s"},
    {"name": "win", "type": "window", "key-by": ["source"], "size": "10s"},
    {"name": "out", "type": "discard-sink"}]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto chain = CreateChain(*spec, {});
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_NE(dynamic_cast<WatermarkAssigner*>((*chain)[2].get()), nullptr);
  EXPECT_NE(dynamic_cast<WindowAggregate*>((*chain)[3].get()), nullptr);
  EXPECT_TRUE((*chain)[3]->UsesKeyedState());
  EXPECT_FALSE((*chain)[2]->UsesKeyedState());
}

}  // namespace
}  // namespace ec
