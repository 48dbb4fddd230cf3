// ec-bench-chain: the parse → map → discard chain alone, in one thread, over events in memory.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "operators/registry.h"

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ec-bench-chain: events/s of json-parse → windows-event-map → discard-sink"};
  std::string input;
  int repeat = 1;
  size_t batch_size = 4096;
  app.add_option("--input", input, "NDJSON file (e.g. from ec-consumer)")->required();
  app.add_option("--repeat", repeat, "passes over the input");
  app.add_option("--batch", batch_size, "records per batch");
  std::string stages = "parse,map";
  app.add_option("--stages", stages, "which steps run: parse,map | parse | map (for profiling)");
  bool unfused = false;
  app.add_flag("--unfused", unfused,
               "run parse,map as two passes, as before the task fused them (for comparison)");
  CLI11_PARSE(app, argc, argv);

  std::ifstream in(input);
  if (!in) {
    std::fprintf(stderr, "ec-bench-chain: cannot read %s\n", input.c_str());
    return 1;
  }
  // Pre-split into batches as the socket source would deliver them.
  std::vector<ec::RecordBatch> batches(1);
  std::string line;
  while (std::getline(in, line)) {
    if (batches.back().size() == batch_size) batches.emplace_back();
    batches.back().Append(line);
  }

  auto spec = ec::ParseJobSpec(R"({"name": "bench-chain", "pipeline": [
      {"type": "socket-source", "hostname": "unused", "port": "1"},
      {"type": "json-parse", "dead-letter-topic": "none"},
      {"type": "windows-event-map", "dead-letter-topic": "none"},
      {"type": "discard-sink"}]})");
  const bool run_parse = stages.find("parse") != std::string::npos;
  const bool run_map = stages.find("map") != std::string::npos;
  // As the task builds it: with parse and map, one fused pass (unless --unfused).
  auto chain = ec::CreateChain(*spec, {.fuse = run_parse && run_map && !unfused});
  if (!chain.ok()) {
    std::fprintf(stderr, "ec-bench-chain: %s\n", std::string(chain.status().message()).c_str());
    return 1;
  }
  std::vector<std::unique_ptr<ec::OperatorCounters>> counters;
  std::vector<ec::OperatorContext> contexts(chain->size());
  for (size_t i = 0; i < chain->size(); ++i)
    counters.push_back(std::make_unique<ec::OperatorCounters>(spec->pipeline[i].name));
  for (size_t i = 1; i < chain->size(); ++i) {
    contexts[i].job = &*spec;
    contexts[i].spec = &spec->pipeline[i];
    contexts[i].job_id = "bench";
    contexts[i].task_name = "bench";
    contexts[i].counters = counters[i].get();
    if (auto s = (*chain)[i]->Open(contexts[i]); !s.ok()) return 1;
  }
  // A fused json-parse emits what the map would have.
  const bool map_in_parse = (*chain)[1]->FusedSuccessors() > 0;
  ec::RecordBatch parsed, mapped, none;
  uint64_t events = 0;
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repeat; ++r) {
    for (const auto& batch : batches) {
      parsed.Clear();
      mapped.Clear();
      const ec::RecordBatch* current = &batch;
      if (run_parse) {
        (void)(*chain)[1]->ProcessBatch(*current, parsed);
        current = &parsed;
      }
      if (run_map && !map_in_parse) {
        (void)(*chain)[2]->ProcessBatch(*current, mapped);
        current = &mapped;
      }
      (void)(*chain)[3]->ProcessBatch(*current, none);
      events += batch.size();
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "{\"events\": %lu, \"seconds\": %.4f, \"events_per_s\": %.0f, \"cpu_seconds\": %.4f, "
      "\"out\": %lu}\n",
      static_cast<unsigned long>(events), seconds, events / seconds, cpu,
      static_cast<unsigned long>(counters[3]->records_out()));
  return counters[3]->records_out() == events ? 0 : 1;
}
