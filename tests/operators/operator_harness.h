// OperatorHarness: a job spec, counters and an OperatorContext built by hand, as a task would,
// so one operator can be opened and fed batches in a test.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "operators/operator.h"
#include "runtime/job_spec.h"
#include "runtime/metrics.h"
#include "runtime/record_batch.h"

namespace ec::test_support {

class OperatorHarness {
 public:
  // `job_json` is a whole job file; the context is for its operator at `index`.
  explicit OperatorHarness(const std::string& job_json, size_t index = 0,
                           const std::map<std::string, std::string>& overrides = {}) {
    auto spec = ParseJobSpec(job_json, overrides);
    EXPECT_TRUE(spec.ok()) << spec.status();
    if (spec.ok()) spec_ = *std::move(spec);
    if (index >= spec_.pipeline.size()) {
      ADD_FAILURE() << "no operator " << index;
      spec_.pipeline.resize(index + 1);
    }
    counters_ = std::make_unique<OperatorCounters>(spec_.pipeline[index].name);
    context_.job = &spec_;
    context_.spec = &spec_.pipeline[index];
    context_.job_id = "job-1";
    context_.task_name = "job=job-1 task=test#0";
    context_.counters = counters_.get();
    context_.cancelled = &cancelled_;
  }

  OperatorContext& context() { return context_; }
  OperatorCounters& counters() { return *counters_; }
  const JobSpec& spec() const { return spec_; }
  // What Task::Cancel() does: the operator sees ctx.IsCancelled() from now on.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }

  // Runs `records` through `op` as one batch and returns what it emitted.
  static std::vector<std::string> Run(Operator& op, const std::vector<std::string>& records) {
    RecordBatch in;
    for (const auto& r : records) in.Append(r);
    RecordBatch out;
    absl::Status s = op.ProcessBatch(in, out);
    EXPECT_TRUE(s.ok()) << s;
    std::vector<std::string> emitted;
    for (size_t i = 0; i < out.size(); ++i) emitted.emplace_back(out[i]);
    return emitted;
  }

 private:
  JobSpec spec_;
  std::unique_ptr<OperatorCounters> counters_;
  std::atomic<bool> cancelled_{false};
  OperatorContext context_;
};

}  // namespace ec::test_support
