// The producer's logger; kept here so ec_events needs no EventCluster library.
#include "client/producer/producer_logger.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace ec::producer {

spdlog::logger& ProducerLogger() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("producer")) return existing;
    return spdlog::stderr_color_mt("producer");
  }();
  return *logger;
}

}  // namespace ec::producer
