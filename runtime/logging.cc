// Named spdlog loggers writing to stderr, and to a log file when the process keeps one.
#include "runtime/logging.h"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace ec {
namespace {

// Every logger writes through this one sink: stderr, plus the file once AddLogFile is called.
std::shared_ptr<spdlog::sinks::dist_sink_mt> ProcessSinks() {
  static auto sinks = [] {
    auto dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    dist->add_sink(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    return dist;
  }();
  return sinks;
}

// The line pattern InitLogging set, for sinks added later.
std::string& LinePattern() {
  static std::string pattern = "%Y-%m-%dT%H:%M:%S.%e %l [%n] %v";
  return pattern;
}

}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& module) {
  if (auto existing = spdlog::get(module)) return existing;
  // Two threads may ask for a new logger at once; spdlog throws on the second registration.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(module)) return existing;
  auto logger = std::make_shared<spdlog::logger>(module, ProcessSinks());
  spdlog::initialize_logger(logger);  // the process's level and pattern, and registered
  return logger;
}

void InitLogging(const std::string& process_name) {
  const char* level = std::getenv("EC_LOG_LEVEL");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
  LinePattern() = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ " + process_name + " [%n] %v";
  spdlog::set_pattern(LinePattern());
  spdlog::flush_every(std::chrono::seconds(1));
}

absl::Status AddLogFile(const std::string& path, size_t max_bytes, size_t max_files) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::filesystem::create_directories(dir, ec);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  try {
    auto file =
        std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, max_bytes, max_files);
    file->set_pattern(LinePattern());  // a file sink leaves out the colour marks
    ProcessSinks()->add_sink(std::move(file));
  } catch (const spdlog::spdlog_ex& e) {
    return absl::UnavailableError(absl::StrCat("log file ", path, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileTail(const std::string& path, size_t max_bytes) {
  // Lines are flushed once a second (InitLogging); a reader must see every line logged so far.
  ProcessSinks()->flush();
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!in || ec) {
    return absl::NotFoundError(
        absl::StrCat("no log file ", std::filesystem::path(path).filename().string()));
  }
  const uintmax_t skip = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(skip));
  std::string text(static_cast<size_t>(size - skip), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace ec
