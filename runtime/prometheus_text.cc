// Prometheus text exposition and process usage.
#include "runtime/prometheus_text.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ec {
namespace {

// A label value with '\', '"' and newlines escaped, as the format wants.
std::string EscapeLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string CheckMetricsPrefix(const std::string& prefix) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  bool ok = !prefix.empty() && letter(prefix[0]);
  for (char c : prefix) ok = ok && (letter(c) || (c >= '0' && c <= '9'));
  return ok ? "" : "a metrics prefix is letters, digits and '_', not starting with a digit";
}

void Exposition::Add(const std::string& name, const char* help, const MetricLabels& labels,
                     int64_t value) {
  AddUnprefixed(absl::StrCat(prefix_, "_", name), help, labels, value);
}

void Exposition::AddUnprefixed(const std::string& name, const char* help,
                               const MetricLabels& labels, int64_t value) {
  auto [it, inserted] = index_.try_emplace(name, families_.size());
  if (inserted) families_.push_back({name, help, {}});
  std::string sample = name;
  if (!labels.empty()) {
    sample += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&sample, i ? "," : "", labels[i].first, "=\"",
                      EscapeLabel(labels[i].second), "\"");
    }
    sample += '}';
  }
  absl::StrAppend(&sample, " ", value, "\n");
  families_[it->second].samples.push_back(std::move(sample));
}

std::string Exposition::Text() const {
  std::string out;
  for (const auto& f : families_) {
    // Flink's reporter exposes counters as gauges too.
    absl::StrAppend(&out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " gauge\n");
    for (const auto& s : f.samples) out += s;
  }
  return out;
}

ProcessUsage ReadProcessUsage() {
  ProcessUsage usage;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    auto ns = [](const timeval& t) {
      return static_cast<int64_t>(t.tv_sec) * 1000000000 + static_cast<int64_t>(t.tv_usec) * 1000;
    };
    usage.cpu_time_ns = ns(ru.ru_utime) + ns(ru.ru_stime);
  }
  // statm: total and resident size, in pages.
  std::ifstream statm("/proc/self/statm");
  int64_t total = 0, resident = 0;
  if (statm >> total >> resident) usage.rss_bytes = resident * sysconf(_SC_PAGESIZE);
  return usage;
}

void AddProcessMetrics(const std::string& scope, const MetricLabels& labels, Exposition& out) {
  const ProcessUsage usage = ReadProcessUsage();
  out.Add(scope + "_Status_CPU_Time", "Nanoseconds of CPU the process has used.", labels,
          usage.cpu_time_ns);
  out.Add(scope + "_Status_Memory_RSS", "Bytes of the process resident in memory.", labels,
          usage.rss_bytes);
}

}  // namespace ec
