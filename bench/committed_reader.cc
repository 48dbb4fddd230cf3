// ec-bench-committed-reader: follows one partition of a topic as a read_committed consumer,
// writes "APPEND_TS_MS VALUE" per record to --output, and prints a mark "RECORDS_SO_FAR
// EPOCH_MS" on stdout after each batch it received.
//
// The exactly-once benchmark times when records become visible to a read_committed consumer
// by these marks. `kcat` line-buffered on a pipe (so the tail of a commit is not held back)
// makes a write per record and tops out near 0.2M records/s on the 2-core machine, below
// what the sinks commit; here the records go to a file through a buffer and only the marks
// cross the pipe.
#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <ctime>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t stop = 0;

bool WriteAll(const std::string& out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = write(STDOUT_FILENO, out.data() + done, out.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ec-bench-committed-reader: a read_committed reader for the benchmark"};
  std::string bootstrap, topic, output;
  int partition = 0;
  app.add_option("--bootstrap", bootstrap, "bootstrap servers")->required();
  app.add_option("--topic", topic, "topic")->required();
  app.add_option("--partition", partition, "partition [0]");
  app.add_option("--output", output, "file for the records")->required();
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGINT, [](int) { stop = 1; });

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, const char*> settings[] = {
      {"bootstrap.servers", bootstrap.c_str()},
      {"isolation.level", "read_committed"},
      {"fetch.wait.max.ms", "100"},  // an empty fetch waits at most this long
      {"enable.partition.eof", "false"},
      // Large fetches: at the default 1 MB per partition the reader itself tops out near 0.3M
      // records/s of the seed's ~0.4 KB events.
      {"max.partition.fetch.bytes", "16777216"},
      {"queued.max.messages.kbytes", "262144"},
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "ec-bench-committed-reader: %s: %s\n", key, err);
      return 2;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (!rk) {
    std::fprintf(stderr, "ec-bench-committed-reader: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rd_kafka_consume_start(rkt, partition, RD_KAFKA_OFFSET_BEGINNING) != 0) {
    std::fprintf(stderr, "ec-bench-committed-reader: cannot start: %s\n",
                 rd_kafka_err2str(rd_kafka_last_error()));
    return 1;
  }
  FILE* file = std::fopen(output.c_str(), "wb");
  if (!file) {
    std::perror(output.c_str());
    return 2;
  }
  struct Batch {
    std::string lines;
    int64_t records = 0;
  } batch;
  int64_t total = 0;
  while (!stop) {
    batch.lines.clear();
    batch.records = 0;
    // Serves every message already fetched (waiting up to 100 ms for the first), then returns.
    rd_kafka_consume_callback(
        rkt, partition, 100,
        [](rd_kafka_message_t* m, void* opaque) {
          auto& b = *static_cast<Batch*>(opaque);
          if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_timestamp_type_t type;
            b.lines += std::to_string(rd_kafka_message_timestamp(m, &type));
            b.lines += ' ';
            b.lines.append(static_cast<const char*>(m->payload), m->len);
            b.lines += '\n';
            ++b.records;
          } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            std::fprintf(stderr, "ec-bench-committed-reader: %s\n", rd_kafka_message_errstr(m));
          }
        },
        &batch);
    if (batch.records == 0) continue;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    total += batch.records;
    if (std::fwrite(batch.lines.data(), 1, batch.lines.size(), file) != batch.lines.size()) break;
    const std::string mark = std::to_string(total) + " " +
                             std::to_string(now.tv_sec * 1000LL + now.tv_nsec / 1000000) + "\n";
    if (!WriteAll(mark)) break;
  }
  std::fclose(file);
  rd_kafka_consume_stop(rkt, partition);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return 0;
}
