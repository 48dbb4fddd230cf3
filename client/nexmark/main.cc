// ec-nexmark-gen: writes Nexmark events (persons, auctions, bids) into a Kafka topic in
// nexmark-flink's JSON format, or as NDJSON to stdout.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/nexmark/generation_run.h"
#include "client/nexmark/kafka_event_writer.h"
#include "client/nexmark/nexmark_generator.h"
#include "client/producer/timestamp_formatter.h"
#include "runtime/logging.h"
#include "runtime/util/job_arguments.h"

namespace {

constexpr char kName[] = "ec-nexmark-gen";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kName, message.c_str());
  return code;
}

// The password file's first line; the error names the file, never its content.
absl::StatusOr<std::string> ReadPasswordFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--kafka-sasl-password-file ", path,
                                                   ": cannot be read"));
  std::string password;
  std::getline(in, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Writes Nexmark events (1 person : 3 auctions : 46 bids) into a Kafka topic as the JSON "
      "records of nexmark-flink's Kafka table, one record per event, spread round-robin over "
      "the partitions; every event is a pure function of --seed and its number."};
  ec::nexmark::KafkaSettings kafka;
  ec::nexmark::NexmarkGenerator::Options generator_options;
  ec::nexmark::RunOptions run;
  std::string base_time = "2015-07-15T00:00:00.000Z";
  std::string output;
  std::string password_file;
  double timeout_s = 30;
  app.add_option("--bootstrap-servers,--kafka-bootstrap-servers", kafka.bootstrap_servers,
                 "Kafka brokers, HOST:PORT[,HOST:PORT]");
  app.add_option("--topic,--kafka-topic", kafka.topic, "the topic (must exist)");
  app.add_option("--count", run.count, "number of events")
      ->required()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 50));
  app.add_option("--seed", generator_options.seed, "the same seed gives the same events")
      ->capture_default_str();
  app.add_option("--first-event", run.first_event,
                 "number of the first event: the run is the tail of one from 0")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 50))
      ->capture_default_str();
  app.add_option("--events-per-second", generator_options.events_per_second,
                 "event-time rate: event n is at base-time + n / rate (Nexmark's "
                 "firstEventRate; nexmark-flink's default TPS)")
      ->check(CLI::Range(1e-3, 1e12))
      ->capture_default_str();
  app.add_option("--base-time", base_time, "ISO 8601 event time of event 0")
      ->capture_default_str();
  app.add_option("--rate", run.rate, "wall-clock cap in records per second (0: none)")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  app.add_option("--output", output, "'-': NDJSON to stdout (or to this file) instead of Kafka");
  app.add_option("--timeout", timeout_s,
                 "seconds the broker has to answer, and each record to be acknowledged")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--kafka-security-protocol", kafka.security_protocol,
                 "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
      ->capture_default_str();
  app.add_option("--kafka-sasl-mechanism", kafka.sasl_mechanism, "PLAIN, SCRAM-SHA-256, ...")
      ->capture_default_str();
  app.add_option("--kafka-sasl-username", kafka.sasl_username, "SASL user");
  app.add_option("--kafka-sasl-password-file", password_file,
                 "file holding the SASL password (else EC_KAFKA_SASL_PASSWORD)");
  app.allow_extras();  // --kafka.<librdkafka property> VALUE
  app.footer("Any --kafka.<property> VALUE is passed to librdkafka as is.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return Fail(2, e.what());
  }

  absl::StatusOr<ec::JobArguments> extras = ec::ParseJobArguments(app.remaining());
  if (!extras.ok()) return Fail(2, std::string(extras.status().message()));
  if (!extras->from_savepoint.empty()) return Fail(2, "unknown flag --from-savepoint");
  for (const auto& [key, value] : extras->parameters) {
    if (!absl::StartsWith(key, "kafka.") || key.size() == 6) {
      return Fail(2, absl::StrCat("unknown flag --", key,
                                  " (librdkafka properties are --kafka.<property> VALUE)"));
    }
    kafka.properties.emplace_back(key.substr(6), value);
  }
  const absl::StatusOr<int64_t> base_ms = ec::producer::ParseIso8601Millis(base_time);
  if (!base_ms.ok()) return Fail(2, absl::StrCat("--base-time: ", base_ms.status().message()));
  generator_options.base_time_ms = *base_ms;
  kafka.timeout = absl::Seconds(timeout_s);
  if (output.empty() && (kafka.bootstrap_servers.empty() || kafka.topic.empty())) {
    return Fail(2, "--bootstrap-servers and --topic are required (or --output - for stdout)");
  }
  if (!password_file.empty()) {
    absl::StatusOr<std::string> password = ReadPasswordFile(password_file);
    if (!password.ok()) return Fail(2, std::string(password.status().message()));
    kafka.sasl_password = *password;
  } else if (const char* env = std::getenv("EC_KAFKA_SASL_PASSWORD")) {
    kafka.sasl_password = env;
  }

  ec::InitLogging(kName);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout pipe is an EPIPE error, reported once
  ec::nexmark::NexmarkGenerator generator(generator_options);
  std::string target;
  absl::StatusOr<ec::nexmark::RunSummary> summary;
  if (!output.empty()) {
    int fd = STDOUT_FILENO;
    if (output != "-") {
      fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) return Fail(1, absl::StrCat("--output ", output, ": ", std::strerror(errno)));
    }
    target = output == "-" ? "stdout" : output;
    summary = ec::nexmark::GenerateToFd(generator, run, fd);
    if (fd != STDOUT_FILENO && close(fd) != 0 && summary.ok()) {
      return Fail(1, absl::StrCat("--output ", output, ": ", std::strerror(errno)));
    }
  } else {
    ec::Logger("nexmark-gen")->debug("connecting to {} for topic '{}'", kafka.Describe(),
                                     kafka.topic);
    absl::StatusOr<std::unique_ptr<ec::nexmark::KafkaEventWriter>> writer =
        ec::nexmark::KafkaEventWriter::Open(kafka);
    if (!writer.ok()) return Fail(1, std::string(writer.status().message()));
    target = absl::StrCat("topic '", kafka.topic, "' (", (*writer)->partition_count(),
                          " partitions)");
    summary = ec::nexmark::GenerateToKafka(generator, run, **writer);
  }
  if (!summary.ok()) return Fail(1, std::string(summary.status().message()));
  const double rate = summary->seconds > 0 ? summary->events / summary->seconds : 0;
  std::fprintf(stderr, "%s: %llu events (%llu..%llu) in %.3f s, %.0f events/s, to %s\n", kName,
               static_cast<unsigned long long>(summary->events),
               static_cast<unsigned long long>(run.first_event),
               static_cast<unsigned long long>(run.first_event + run.count - 1), summary->seconds,
               rate, target.c_str());
  return 0;
}
