// Per-operator counters: written by the task thread once per batch, read by the heartbeat thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace ec {

// Counters of one operator in one subtask. The task thread adds once per batch (relaxed
// atomics: no lock, no per-record cost); any thread may read a consistent-enough snapshot.
class OperatorCounters {
 public:
  explicit OperatorCounters(std::string name) : name_(std::move(name)) {}

  void AddIn(uint64_t records, uint64_t bytes) {
    records_in_.fetch_add(records, std::memory_order_relaxed);
    bytes_in_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void AddOut(uint64_t records, uint64_t bytes) {
    records_out_.fetch_add(records, std::memory_order_relaxed);
    bytes_out_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void AddDeadLetter(uint64_t records) {
    dead_letter_.fetch_add(records, std::memory_order_relaxed);
  }

  const std::string& name() const { return name_; }
  uint64_t records_in() const { return records_in_.load(std::memory_order_relaxed); }
  uint64_t records_out() const { return records_out_.load(std::memory_order_relaxed); }
  uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
  uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }
  uint64_t dead_letter() const { return dead_letter_.load(std::memory_order_relaxed); }

 private:
  std::string name_;
  std::atomic<uint64_t> records_in_{0};
  std::atomic<uint64_t> records_out_{0};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::atomic<uint64_t> dead_letter_{0};
};

}  // namespace ec
