// ec-bench-exchange: records/s and added latency of one keyed (hash) exchange over loopback TCP:
// two "TaskManagers" in one process (a DataServer and a DataClient each), a producer and a
// consumer on each, every producer hash-partitioning to both consumers.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/network/data_client.h"
#include "runtime/network/data_server.h"
#include "runtime/network/input_gate.h"
#include "runtime/network/record_writer.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kTimestampDigits = 20;
constexpr int kMaxParallelism = 128;

struct Options {
  int64_t records = 2'000'000;  // per producer
  int batch = 1000;
  int record_bytes = 200;
  int keys = 10'000;
  double rate = 0;  // records/s per producer; 0 = as fast as possible
  bool local_shortcut = false;
  ec::CreditOptions credits;
};

struct LatencySample {
  int64_t ns;
  int64_t records;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Records "k<key>|<20-digit send time ns>|xxx…", record_bytes long. The key is what the hash
// partitioner reads; the time is stamped in place just before each batch is emitted.
std::string_view KeyOf(std::string_view record) { return record.substr(0, record.find('|')); }

std::vector<ec::RecordBatch> MakeBatches(const Options& o, int producer) {
  std::vector<ec::RecordBatch> batches(16);
  int64_t seq = producer;
  for (auto& batch : batches) {
    for (int i = 0; i < o.batch; ++i, seq += 2) {
      std::string record = absl::StrCat("k", (seq * 2654435761u) % o.keys, "|");
      record.append(kTimestampDigits, '0');
      record.push_back('|');
      record.resize(std::max<size_t>(record.size(), o.record_bytes), 'x');
      batch.Append(record);
    }
  }
  return batches;
}

void Stamp(ec::RecordBatch& batch, int64_t now_ns) {
  char digits[kTimestampDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020" PRId64, now_ns);
  std::string& data = batch.buffer();
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t begin = i == 0 ? 0 : batch.ends()[i - 1];
    const size_t bar = data.find('|', begin);
    std::memcpy(data.data() + bar + 1, digits, kTimestampDigits);
  }
}

int64_t StampOf(std::string_view record) {
  const size_t bar = record.find('|');
  int64_t ns = 0;
  for (int i = 1; i <= kTimestampDigits; ++i) ns = ns * 10 + (record[bar + i] - '0');
  return ns;
}

absl::Status Produce(const Options& o, int producer, ec::RecordWriter& writer, int64_t* sent_out) {
  std::vector<ec::RecordBatch> batches = MakeBatches(o, producer);
  const auto start = Clock::now();
  int64_t& sent = *sent_out;
  for (size_t b = 0; sent < o.records; ++b) {
    if (o.rate > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::nanoseconds(static_cast<int64_t>(sent / o.rate * 1e9)));
    }
    ec::RecordBatch& batch = batches[b % batches.size()];
    Stamp(batch, NowNs());
    if (auto s = writer.Emit(batch); !s.ok()) return s;
    sent += batch.size();
  }
  return writer.EndOfStream();
}

absl::Status Consume(ec::InputGate& gate, std::vector<LatencySample>& latencies, int64_t* records) {
  ec::RecordBatch batch;
  while (true) {
    auto event = gate.Poll(batch, absl::Seconds(30));
    if (!event.ok()) return event.status();
    if (event->kind == ec::GateEvent::Kind::kEndOfInput) return absl::OkStatus();
    if (event->kind == ec::GateEvent::Kind::kNone) return absl::DeadlineExceededError("stalled");
    if (event->kind != ec::GateEvent::Kind::kData) continue;
    // Every record of a received batch left its producer in the same Emit: one sample a batch.
    latencies.push_back({NowNs() - StampOf(batch[0]), static_cast<int64_t>(batch.size())});
    *records += batch.size();
  }
}

// The latency below which `fraction` of all records were delivered.
double PercentileMs(std::vector<LatencySample> samples, double fraction) {
  std::sort(samples.begin(), samples.end(),
            [](const LatencySample& a, const LatencySample& b) { return a.ns < b.ns; });
  int64_t total = 0;
  for (const auto& s : samples) total += s.records;
  int64_t seen = 0;
  for (const auto& s : samples) {
    seen += s.records;
    if (seen >= fraction * total) return s.ns / 1e6;
  }
  return samples.empty() ? 0 : samples.back().ns / 1e6;
}

ec::ChannelId Channel(int producer, int consumer) {
  return ec::ChannelId{"bench", 0, 1, producer, 2, consumer};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ec-bench-exchange: a 2 → 2 hash exchange over loopback TCP between two data servers"};
  Options o;
  app.add_option("--records", o.records, "records per producer");
  app.add_option("--batch", o.batch, "records per batch");
  app.add_option("--record-bytes", o.record_bytes, "bytes per record");
  app.add_option("--keys", o.keys, "distinct keys");
  app.add_option("--rate", o.rate, "records/s per producer (0 = as fast as possible)");
  app.add_option("--exclusive", o.credits.exclusive_per_channel, "exclusive buffers per channel");
  app.add_option("--floating", o.credits.floating_per_gate, "floating buffers per gate");
  app.add_flag("--local-shortcut", o.local_shortcut,
               "producer → consumer on the same server in process (default: all over TCP)");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::unique_ptr<ec::DataServer>> servers;
  std::vector<std::string> addresses;
  std::vector<std::unique_ptr<ec::DataClient>> clients;
  for (int tm = 0; tm < 2; ++tm) {
    servers.push_back(std::make_unique<ec::DataServer>(ec::DataServerOptions{"127.0.0.1", 0}));
    if (auto s = servers[tm]->Start(); !s.ok()) {
      std::fprintf(stderr, "ec-bench-exchange: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    addresses.push_back(absl::StrCat("127.0.0.1:", servers[tm]->port()));
    ec::DataClientOptions client_options;
    if (o.local_shortcut) {
      client_options.local_registry = &servers[tm]->registry();
      client_options.local_address = addresses[tm];
    }
    clients.push_back(std::make_unique<ec::DataClient>(client_options));
  }
  // Consumer c runs on TaskManager c, producer p on TaskManager p.
  std::vector<std::unique_ptr<ec::InputGate>> gates;
  for (int c = 0; c < 2; ++c) {
    gates.push_back(
        *ec::InputGate::Create(servers[c]->registry(), {Channel(0, c), Channel(1, c)}, o.credits));
  }
  std::vector<std::unique_ptr<ec::RecordWriter>> writers;
  for (int p = 0; p < 2; ++p) {
    std::vector<std::unique_ptr<ec::OutputChannel>> channels;
    for (int c = 0; c < 2; ++c) {
      auto channel = clients[p]->Open(addresses[c], Channel(p, c));
      if (!channel.ok()) {
        std::fprintf(stderr, "ec-bench-exchange: %s\n",
                     std::string(channel.status().message()).c_str());
        return 1;
      }
      channels.push_back(*std::move(channel));
    }
    writers.push_back(std::make_unique<ec::RecordWriter>(
        std::move(channels), ec::HashPartitioner(2, kMaxParallelism, KeyOf)));
  }

  std::vector<std::vector<LatencySample>> latencies(2);
  std::vector<int64_t> received(2, 0);
  std::vector<int64_t> sent(2, 0);
  std::vector<absl::Status> results(4);
  const double cpu0 = CpuSeconds();
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < 2; ++c) {
    latencies[c].reserve(o.records * 2 / o.batch * 2 + 16);
    threads.emplace_back([&, c] { results[c] = Consume(*gates[c], latencies[c], &received[c]); });
  }
  for (int p = 0; p < 2; ++p) {
    threads.emplace_back([&, p] { results[2 + p] = Produce(o, p, *writers[p], &sent[p]); });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  for (const auto& s : results) {
    if (!s.ok()) {
      std::fprintf(stderr, "ec-bench-exchange: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }

  std::vector<LatencySample> all = latencies[0];
  all.insert(all.end(), latencies[1].begin(), latencies[1].end());
  const int64_t total = received[0] + received[1];
  double backpressure_s = 0;
  for (auto& w : writers) {
    for (int c = 0; c < w->num_channels(); ++c)
      backpressure_s += w->channel(c).counters().backpressure_ns() / 1e9;
  }
  std::printf("hash exchange 2 -> 2 over %s: %" PRId64
              " records of %d bytes in batches of %d, "
              "credits %d exclusive + %d floating, rate %s\n",
              o.local_shortcut ? "TCP and local channels" : "loopback TCP", total, o.record_bytes,
              o.batch, o.credits.exclusive_per_channel, o.credits.floating_per_gate,
              o.rate > 0 ? absl::StrCat(o.rate, " records/s per producer").c_str() : "unlimited");
  std::printf("throughput  %.0f records/s  %.1f MB/s  (%.3f s, %.2f CPU s)\n", total / seconds,
              total * double(o.record_bytes) / seconds / 1e6, seconds, cpu);
  std::printf("latency     p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", PercentileMs(all, 0.5),
              PercentileMs(all, 0.99), PercentileMs(all, 1.0));
  std::printf("consumers   %" PRId64 " + %" PRId64 " records; producers waited %.3f s for credit\n",
              received[0], received[1], backpressure_s);
  std::printf("{\"records\": %" PRId64
              ", \"seconds\": %.4f, \"records_per_s\": %.0f, "
              "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"cpu_seconds\": %.3f}\n",
              total, seconds, total / seconds, PercentileMs(all, 0.5), PercentileMs(all, 0.99),
              cpu);
  return total == sent[0] + sent[1] ? 0 : 1;
}
