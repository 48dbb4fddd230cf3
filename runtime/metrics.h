// Per-operator counters and gauges: written by the task thread once per batch (or by an
// operator's own threads), read by the heartbeat and metrics threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/event_time.h"

namespace ec {

// Extra labels of a metric sample beyond its scope's (e.g. a Kafka partition's topic and
// partition), as Flink's key/value metric groups become labels in its Prometheus reporter.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A value an operator publishes (a partition's lag, the records a sink has in flight). Set with
// a relaxed store; read by any thread.
class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

struct GaugeSample {
  std::string name;  // Flink's metric name within the operator scope, e.g. "pendingRecords"
  const char* help = "";
  MetricLabels labels;
  int64_t value = 0;
};

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
  // The event time the operator has passed on (Flink's currentOutputWatermark).
  void SetWatermark(int64_t watermark) { watermark_.store(watermark, std::memory_order_relaxed); }

  // Registers a gauge (once, e.g. when the operator opens; not on the hot path). The reference
  // stays valid as long as these counters: the task owns them and outlives its operators.
  // `help`: a string literal saying what it measures.
  Gauge& AddGauge(std::string name, const char* help, MetricLabels labels = {}) {
    std::lock_guard lock(gauges_mu_);
    return gauges_.emplace_back(std::move(name), help, std::move(labels)).gauge;
  }
  std::vector<GaugeSample> Gauges() const {
    std::lock_guard lock(gauges_mu_);
    std::vector<GaugeSample> out;
    out.reserve(gauges_.size());
    for (const auto& g : gauges_) out.push_back({g.name, g.help, g.labels, g.gauge.value()});
    return out;
  }

  const std::string& name() const { return name_; }
  uint64_t records_in() const { return records_in_.load(std::memory_order_relaxed); }
  uint64_t records_out() const { return records_out_.load(std::memory_order_relaxed); }
  uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
  uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }
  uint64_t dead_letter() const { return dead_letter_.load(std::memory_order_relaxed); }
  int64_t watermark() const { return watermark_.load(std::memory_order_relaxed); }

 private:
  struct NamedGauge {
    NamedGauge(std::string n, const char* h, MetricLabels l)
        : name(std::move(n)), help(h), labels(std::move(l)) {}
    std::string name;
    const char* help;
    MetricLabels labels;
    Gauge gauge;
  };

  std::string name_;
  std::atomic<uint64_t> records_in_{0};
  std::atomic<uint64_t> records_out_{0};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::atomic<uint64_t> dead_letter_{0};
  std::atomic<int64_t> watermark_{kNoWatermark};
  mutable std::mutex gauges_mu_;
  std::deque<NamedGauge> gauges_;  // a deque: registering never moves a gauge already handed out
};

}  // namespace ec
