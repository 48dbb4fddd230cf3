// The producer's named spdlog logger ("producer", on stderr).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>

namespace ec::producer {

// Returns the "producer" logger, registering it on first use (or reusing one registered under
// that name by the process). Thread-safe.
spdlog::logger& ProducerLogger();

}  // namespace ec::producer
