// Fuzzes event parsing and mapping (json-parse then windows-event-map, simdjson on-demand), the
// original job's hot path: each input line is one record. Both ways a task runs them, fused into
// one pass and as two steps, must emit the same records and dead-letter the same ones.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "operators/registry.h"
#include "runtime/job_spec.h"
#include "runtime/metrics.h"
#include "runtime/record_batch.h"

namespace {

constexpr char kJob[] = R"({"name": "fuzz", "pipeline": [
  {"type": "socket-source", "hostname": "h", "port": 1},
  {"name": "parse", "type": "json-parse", "dead-letter-topic": "none"},
  {"name": "map", "type": "windows-event-map", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

struct Chain {
  explicit Chain(bool fuse) {
    spec = *ec::ParseJobSpec(kJob);
    ops = *ec::CreateChain(spec, {.fuse = fuse});
    for (int i : {1, 2}) {
      counters[i] = std::make_unique<ec::OperatorCounters>(spec.pipeline[i].name);
      ec::OperatorContext& ctx = contexts[i];
      ctx.job = &spec;
      ctx.spec = &spec.pipeline[i];
      ctx.job_id = "fuzz";
      ctx.task_name = "job=fuzz task=fuzz#0";
      ctx.counters = counters[i].get();
      if (!ops[i]->Open(ctx).ok()) __builtin_trap();
    }
  }

  // The records emitted, and how many were dead-lettered in all.
  std::vector<std::string> Run(const ec::RecordBatch& in, uint64_t* dead) {
    ec::RecordBatch parsed, mapped;
    if (!ops[1]->ProcessBatch(in, parsed).ok()) __builtin_trap();
    const ec::RecordBatch* out = &parsed;
    if (ops[1]->FusedSuccessors() == 0) {
      if (!ops[2]->ProcessBatch(parsed, mapped).ok()) __builtin_trap();
      out = &mapped;
    }
    *dead = counters[1]->dead_letter() + counters[2]->dead_letter();
    std::vector<std::string> emitted;
    for (size_t i = 0; i < out->size(); ++i) emitted.emplace_back((*out)[i]);
    return emitted;
  }

  ec::JobSpec spec;
  std::vector<std::unique_ptr<ec::Operator>> ops;
  std::unique_ptr<ec::OperatorCounters> counters[3];
  ec::OperatorContext contexts[3];
};

// processed_at is the clock: equal outputs are compared without it.
std::string WithoutClock(std::string record) {
  const size_t at = record.find("\"processed_at\":\"");
  if (at == std::string::npos) return record;
  const size_t end = record.find('"', at + 16);
  return record.erase(at, end == std::string::npos ? std::string::npos : end + 1 - at);
}

// Says what went wrong (the fuzzer's log shows it above the input) and stops.
[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "event_parse_map_fuzzer: %s\n", what.c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Chain* fused = new Chain(true);
  static Chain* stepwise = new Chain(false);
  ec::RecordBatch in;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    in.Append(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  uint64_t dead_before_fused = 0, dead_before_stepwise = 0, dead_fused = 0, dead_stepwise = 0;
  fused->Run(ec::RecordBatch(), &dead_before_fused);
  stepwise->Run(ec::RecordBatch(), &dead_before_stepwise);
  std::vector<std::string> a = fused->Run(in, &dead_fused);
  std::vector<std::string> b = stepwise->Run(in, &dead_stepwise);
  const uint64_t dead_a = dead_fused - dead_before_fused;
  const uint64_t dead_b = dead_stepwise - dead_before_stepwise;
  if (a.size() != b.size() || dead_a != dead_b) {
    Fail("fused emitted " + std::to_string(a.size()) + " and dead-lettered " +
         std::to_string(dead_a) + ", stepwise " + std::to_string(b.size()) + " and " +
         std::to_string(dead_b));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (WithoutClock(a[i]) != WithoutClock(b[i])) {
      Fail("record " + std::to_string(i) + " differs:\n  fused:    " + a[i] +
           "\n  stepwise: " + b[i]);
    }
  }
  if (a.size() + dead_a != in.size()) {
    Fail(std::to_string(in.size()) + " records in, " + std::to_string(a.size()) +
         " emitted and " + std::to_string(dead_a) + " dead-lettered");
  }
  return 0;
}
