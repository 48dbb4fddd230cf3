// Print and discard sinks: stdout of the TaskManager, and nowhere (for benchmarks).
#pragma once

#include <cstdio>
#include <string>

#include "operators/operator.h"

namespace ec {

// Writes each record as a line to the TaskManager's stdout, like Flink's print().
class PrintSink : public Operator {
 public:
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch&) override {
    line_.clear();
    for (size_t i = 0; i < in.size(); ++i) {
      line_.append(in[i]);
      line_.push_back('\n');
    }
    std::fwrite(line_.data(), 1, line_.size(), stdout);
    ctx_->counters->AddOut(in.size(), in.bytes());
    return absl::OkStatus();
  }
  absl::Status Flush(absl::Time) override {
    std::fflush(stdout);
    return absl::OkStatus();
  }

 private:
  std::string line_;
};

// Drops every record (counted as records out), to measure a chain without a destination.
class DiscardSink : public Operator {
 public:
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch&) override {
    ctx_->counters->AddOut(in.size(), in.bytes());
    return absl::OkStatus();
  }
};

}  // namespace ec
