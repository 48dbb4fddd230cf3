// Prometheus' text exposition format (version 0.0.4), as Flink's PrometheusReporter writes it:
// scope and metric name joined by '_' under a prefix (`--metrics-prefix`, default
// "eventcluster"; "flink" lets dashboards built for Flink read EventCluster unchanged), every
// value a gauge. Shared by the JobManager's and the TaskManagers' GET /metrics.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/metrics.h"

namespace ec {

inline constexpr char kDefaultMetricsPrefix[] = "eventcluster";

// "" when `prefix` may start a Prometheus metric name ([a-zA-Z_][a-zA-Z0-9_]*), else why not (as
// CLI11's validators answer).
std::string CheckMetricsPrefix(const std::string& prefix);

// Metric families in the order first seen, each with its help text and samples.
class Exposition {
 public:
  explicit Exposition(std::string prefix) : prefix_(std::move(prefix)) {}

  // Adds a sample of `<prefix>_<name>`.
  void Add(const std::string& name, const char* help, const MetricLabels& labels, int64_t value);
  // Adds a sample named exactly `name` (e.g. eventcluster_build_info, whatever the prefix).
  void AddUnprefixed(const std::string& name, const char* help, const MetricLabels& labels,
                     int64_t value);
  std::string Text() const;

 private:
  struct Family {
    std::string name;
    const char* help;
    std::vector<std::string> samples;
  };
  std::string prefix_;
  std::vector<Family> families_;
  std::map<std::string, size_t> index_;
};

// This process's CPU time (user and system) and resident memory, read from the kernel.
struct ProcessUsage {
  int64_t cpu_time_ns = 0;
  int64_t rss_bytes = 0;
};
ProcessUsage ReadProcessUsage();

// Adds `<scope>_Status_CPU_Time` and `<scope>_Status_Memory_RSS` (Flink's Status.JVM.CPU.Time
// and memory metrics, for a process without a JVM).
void AddProcessMetrics(const std::string& scope, const MetricLabels& labels, Exposition& out);

}  // namespace ec
