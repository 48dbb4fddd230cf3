// Named spdlog loggers writing to stderr.
#include "runtime/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>

namespace ec {

std::shared_ptr<spdlog::logger> Logger(const std::string& module) {
  if (auto existing = spdlog::get(module)) return existing;
  // Two threads may ask for a new logger at once; spdlog throws on the second registration.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(module)) return existing;
  auto logger = spdlog::stderr_color_mt(module);
  logger->set_level(spdlog::get_level());
  return logger;
}

void InitLogging(const std::string& process_name) {
  const char* level = std::getenv("EC_LOG_LEVEL");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ " + process_name + " [%n] %v");
  spdlog::flush_every(std::chrono::seconds(1));
}

}  // namespace ec
