// Per-channel counters of the data exchange: records, bytes, batches and back-pressure time.
#pragma once

#include <atomic>
#include <cstdint>

namespace ec {

// Written by the one thread that owns the channel end (the producer's task thread for an
// output channel, the consumer's for an input channel), once per batch; read from any thread
// (relaxed atomics, as OperatorCounters).
class ChannelCounters {
 public:
  void AddBatch(uint64_t records, uint64_t bytes) {
    records_.fetch_add(records, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
  }
  void AddBackPressure(int64_t ns) { backpressure_ns_.fetch_add(ns, std::memory_order_relaxed); }

  uint64_t records() const { return records_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  // Output channels only: total time the producer waited for the consumer to grant credit.
  int64_t backpressure_ns() const { return backpressure_ns_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<int64_t> backpressure_ns_{0};
};

}  // namespace ec
