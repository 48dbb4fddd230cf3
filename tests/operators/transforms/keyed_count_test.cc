// KeyedCount: running counts per key, kept across a snapshot and restore.
#include "operators/transforms/keyed_count.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "operators/registry.h"
#include "tests/operators/operator_harness.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;
using test_support::OperatorHarness;

constexpr char kJob[] = R"({"name": "counts", "pipeline": [
  {"name": "src", "type": "socket-source", "hostname": "localhost", "port": "9999"},
  {"name": "parse", "type": "json-parse", "dead-letter-topic": "none"},
  {"name": "count", "type": "keyed-count", "key-fields": ["source", "level"], "dead-letter-topic": "none"},
  {"name": "out", "type": "discard-sink"}]})";

class KeyedCountTest : public ::testing::Test {
 protected:
  std::unique_ptr<KeyedStateBackend> Backend(const std::string& local,
                                             std::string_view handle = {}) {
    StateBackendOptions options;
    options.local_dir = (root_ / local).string();
    options.checkpoint_dir = (root_ / "ckpt").string();
    auto backend = KeyedStateBackend::Open(options, handle, (root_ / "ckpt").string());
    EXPECT_TRUE(backend.ok()) << backend.status();
    return *std::move(backend);
  }
  test_support::ScratchDir scratch_{"keyed-count"};
  const fs::path root_ = scratch_.path();
};

TEST_F(KeyedCountTest, CountsPerKeyAndContinuesAfterRestore) {
  OperatorHarness harness(kJob, 2);
  auto backend = Backend("a");
  harness.context().keyed_state = backend.get();
  KeyedCount count({"source", "level"});
  EXPECT_TRUE(count.UsesKeyedState());
  ASSERT_TRUE(count.Open(harness.context()).ok());
  auto out = OperatorHarness::Run(count, {
                                             R"({"seq":0,"source":"Security","level":"Error"})",
                                             R"({"level":"Error","source":"Security","seq":1})",
                                             R"({"seq":2,"source":"System","level":"Error"})",
                                         });
  EXPECT_EQ(out, (std::vector<std::string>{R"({"source":"Security","level":"Error","count":1})",
                                           R"({"source":"Security","level":"Error","count":2})",
                                           R"({"source":"System","level":"Error","count":1})"}));
  auto snapshot = backend->Snapshot(1);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  // Processed after the checkpoint, then lost with the failed attempt.
  OperatorHarness::Run(count, {R"({"source":"Security","level":"Error"})"});
  ASSERT_TRUE(count.Close().ok());

  OperatorHarness again(kJob, 2);
  auto restored = Backend("b", snapshot->handle);
  again.context().keyed_state = restored.get();
  KeyedCount resumed({"source", "level"});
  ASSERT_TRUE(resumed.Open(again.context()).ok());
  out = OperatorHarness::Run(resumed, {R"({"source":"Security","level":"Error"})"});
  EXPECT_EQ(out, std::vector<std::string>{R"({"source":"Security","level":"Error","count":3})"});
}

TEST_F(KeyedCountTest, RecordWithoutKeyFieldGoesToDeadLetters) {
  OperatorHarness harness(kJob, 2);
  auto backend = Backend("a");
  harness.context().keyed_state = backend.get();
  KeyedCount count({"source", "level"});
  ASSERT_TRUE(count.Open(harness.context()).ok());
  auto out = OperatorHarness::Run(
      count, {R"({"source":"Security"})", "[1,2]", R"({"source":"System","level":"Warning"})"});
  EXPECT_EQ(out, std::vector<std::string>{R"({"source":"System","level":"Warning","count":1})"});
  EXPECT_EQ(harness.counters().dead_letter(), 2u);
}

TEST_F(KeyedCountTest, JobValidationNamesTheField) {
  auto spec = ParseJobSpec(R"({"name": "x", "pipeline": [
    {"name": "src", "type": "socket-source", "hostname": "h", "port": "1"},
    {"name": "parse", "type": "json-parse"},
    {"name": "count", "type": "keyed-count", "key-fields": []},
    {"name": "out", "type": "discard-sink"}]})");
  ASSERT_TRUE(spec.ok());
  auto s = ValidateJob(*spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pipeline[2].key-fields"), std::string::npos) << s;
  spec = ParseJobSpec(R"({"name": "x", "pipeline": [
    {"name": "src", "type": "socket-source", "hostname": "h", "port": "1"},
    {"name": "count", "type": "keyed-count"},
    {"name": "out", "type": "discard-sink"}]})");
  ASSERT_TRUE(spec.ok());
  EXPECT_NE(ValidateJob(*spec).message().find("json-parse"), std::string::npos);
}

}  // namespace
}  // namespace ec
