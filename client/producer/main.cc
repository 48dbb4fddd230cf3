// ec-producer: serves synthetic Windows events as NDJSON over TCP, one stream per client.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "client/producer/event_server.h"
#include "client/producer/producer_logger.h"
#include "client/producer/timestamp_formatter.h"

namespace {

void InitLogging() {
  const char* level = std::getenv("EC_LOG_LEVEL");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ ec-producer [%n] %v");
  spdlog::flush_every(std::chrono::seconds(1));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Serves synthetic Windows event logs as NDJSON over TCP; every client gets its "
      "own stream, from seq 0 or from the seq of a first line \"RESUME <seq>\"."};
  ec::producer::EventServer::Options options;
  std::string start_time;
  int64_t time_step_ms = options.stream.generator.time_step_ms;
  app.add_option("--port", options.port, "TCP port (0: any free port)")->capture_default_str();
  app.add_option("--bind", options.bind_address, "address to listen on")->capture_default_str();
  app.add_option("--rate", options.stream.rate,
                 "events per second per client (0: as fast as "
                 "possible)")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  app.add_option("--count", options.stream.count,
                 "events per stream: a connection ends after event N-1 (0: endless)")
      ->capture_default_str();
  app.add_option("--seed", options.stream.seed, "the same seed gives the same events")
      ->capture_default_str();
  app.add_option("--start-time", start_time,
                 "ISO 8601 time of event 0; event seq is at start + seq * time-step-ms "
                 "(default: the wall clock at generation)");
  app.add_option("--time-step-ms", time_step_ms, "milliseconds between event timestamps")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--malformed-every", options.stream.generator.malformed_every,
                 "N > 0: event seq with seq % N == N-1 is a malformed line (0: none)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  InitLogging();
  if (!start_time.empty()) {
    const absl::StatusOr<int64_t> start_ms = ec::producer::ParseIso8601Millis(start_time);
    if (!start_ms.ok()) {
      std::fprintf(stderr, "ec-producer: %s\n", std::string(start_ms.status().message()).c_str());
      return 2;
    }
    options.stream.generator.start_time_ms = *start_ms;
  } else if (app.count("--time-step-ms") > 0) {
    ec::producer::ProducerLogger().warn("--time-step-ms has no effect without --start-time");
  }
  options.stream.generator.time_step_ms = time_step_ms;

  // Only this thread takes SIGINT/SIGTERM (through sigwait); the threads started below inherit
  // the mask. Writes to departed clients report EPIPE instead of killing the process.
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  ec::producer::EventServer server(options);
  if (const absl::Status status = server.Start(); !status.ok()) {
    std::fprintf(stderr, "ec-producer: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  // A plain line that scripts and tests read to learn the port (with --port 0).
  std::fprintf(stderr, "listening on %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stderr);
  ec::producer::ProducerLogger().info(
      "serving events: bind={} port={} rate={}/s count={} seed={} start_time={} "
      "time_step_ms={} malformed_every={}",
      options.bind_address, server.port(), options.stream.rate, options.stream.count,
      options.stream.seed, start_time.empty() ? "wall clock" : start_time, time_step_ms,
      options.stream.generator.malformed_every);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  ec::producer::ProducerLogger().info("received {}, stopping", strsignal(signal_number));
  server.Stop();
  ec::producer::ProducerLogger().info("stopped");
  spdlog::shutdown();
  return 0;
}
