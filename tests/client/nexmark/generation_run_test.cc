// GenerateToFd: NDJSON lines, and --first-event K giving the tail of a run from 0.
#include "client/nexmark/generation_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"

namespace ec::nexmark {
namespace {

// The bytes GenerateToFd writes for `options`, through a temporary file.
std::string RunToFile(const RunOptions& options, uint64_t seed) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  NexmarkGenerator generator({.seed = seed});
  absl::StatusOr<RunSummary> summary = GenerateToFd(generator, options, fileno(file));
  EXPECT_TRUE(summary.ok()) << summary.status();
  if (summary.ok()) {
    EXPECT_EQ(summary->events, options.count);
  }
  std::string out;
  std::rewind(file);
  char buffer[1 << 16];
  for (size_t got; (got = std::fread(buffer, 1, sizeof(buffer), file)) > 0;) {
    out.append(buffer, got);
  }
  std::fclose(file);
  return out;
}

TEST(GenerationRunTest, WritesOneLinePerEvent) {
  NexmarkGenerator generator({.seed = 4});  // the same events, one at a time
  const std::string out = RunToFile({.first_event = 0, .count = 3000}, 4);
  std::vector<std::string> lines = absl::StrSplit(out, '\n');
  ASSERT_EQ(lines.size(), 3001u);
  EXPECT_EQ(lines.back(), "");
  for (uint64_t n = 0; n < 3000; ++n) ASSERT_EQ(lines[n], generator.Event(n)) << n;
}

TEST(GenerationRunTest, FirstEventGivesTheTailOfARunFromZero) {
  const std::string all = RunToFile({.first_event = 0, .count = 20'000}, 21);
  const std::string tail = RunToFile({.first_event = 12'345, .count = 20'000 - 12'345}, 21);
  std::vector<std::string> lines = absl::StrSplit(all, '\n');
  std::string expected;
  for (size_t i = 12'345; i < 20'000; ++i) expected += lines[i] + "\n";
  EXPECT_EQ(tail, expected);
}

TEST(GenerationRunTest, RateCapsWallClockSpeed) {
  const auto start = std::chrono::steady_clock::now();
  const std::string out = RunToFile({.first_event = 0, .count = 300, .rate = 1000}, 1);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 300);
  EXPECT_GE(seconds, 0.25);  // 300 records at 1000/s: 0.3 s, the first due at once
}

}  // namespace
}  // namespace ec::nexmark
