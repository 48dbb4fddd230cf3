// Logger(): named loggers, safe to create from several threads at once; ReadFileTail sees every
// line logged before it.
#include "runtime/logging.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tests/scratch_dir.h"

namespace ec {
namespace {

// Regression: two task threads asking for a new logger at once made spdlog throw
// ("logger with name 'task' already exists") and aborted the TaskManager.
TEST(LoggingTest, ConcurrentFirstUseOfALoggerReturnsTheSameOne) {
  for (int round = 0; round < 50; ++round) {
    const std::string name = "race-" + std::to_string(round);
    std::vector<std::shared_ptr<spdlog::logger>> got(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < got.size(); ++i) {
      threads.emplace_back([&got, i, &name] { got[i] = Logger(name); });
    }
    for (auto& t : threads) t.join();
    for (const auto& logger : got) EXPECT_EQ(logger, got[0]);
  }
}

// Regression: GET /jobmanager/log right after a submit answered an empty body, the file's lines
// still in the sink's buffer until the once-a-second flush.
TEST(LoggingTest, ReadFileTailSeesALineLoggedJustBefore) {
  test_support::ScratchDir dir("ec-logging");
  const std::string path = (dir.path() / "process.log").string();
  ASSERT_TRUE(AddLogFile(path).ok());
  Logger("tail-test")->info("job=j-1 submitted");
  auto text = ReadFileTail(path, 1 << 20);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find("job=j-1 submitted"), std::string::npos) << *text;
  EXPECT_EQ(ReadFileTail(path, 8)->size(), 8u);  // only the tail
  EXPECT_FALSE(ReadFileTail((dir.path() / "none.log").string(), 8).ok());
}

}  // namespace
}  // namespace ec
