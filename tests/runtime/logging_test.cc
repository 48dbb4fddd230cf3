// Logger(): named loggers, safe to create from several threads at once.
#include "runtime/logging.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

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

}  // namespace
}  // namespace ec
