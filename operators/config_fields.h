// Typed access to an operator's settings (its own fields, else job parameters), with errors
// that name the field.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/job_spec.h"

namespace ec {

class ConfigFields {
 public:
  ConfigFields(const JobSpec& job, const OperatorSpec& op, std::string path)
      : job_(job), op_(op), path_(std::move(path)) {}

  absl::StatusOr<std::string> String(const std::string& key) const;
  std::string StringOr(const std::string& key, const std::string& fallback) const;
  absl::StatusOr<int64_t> Int(const std::string& key, int64_t min, int64_t max) const;
  absl::StatusOr<int64_t> IntOr(const std::string& key, int64_t fallback, int64_t min,
                                int64_t max) const;
  absl::StatusOr<absl::Duration> DurationOr(const std::string& key, absl::Duration fallback) const;
  // Fails unless the value is one of `choices` (a '|'-separated list).
  absl::StatusOr<std::string> ChoiceOr(const std::string& key, const std::string& fallback,
                                       const std::string& choices) const;

 private:
  absl::Status Error(const std::string& key, const std::string& what) const;

  const JobSpec& job_;
  const OperatorSpec& op_;
  std::string path_;
};

}  // namespace ec
