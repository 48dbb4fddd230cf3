// Typed operator settings.
#include "operators/config_fields.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/duration.h"

namespace ec {

absl::Status ConfigFields::Error(const std::string& key, const std::string& what) const {
  return absl::InvalidArgumentError(absl::StrCat("job file: ", path_, ".", key, ": ", what));
}

absl::StatusOr<std::string> ConfigFields::String(const std::string& key) const {
  auto value = job_.Setting(op_, key);
  if (!value || value->empty()) {
    return Error(key, absl::StrCat("missing (expected a string; set it in the operator or with --",
                                   key, " VALUE)"));
  }
  return *value;
}

std::string ConfigFields::StringOr(const std::string& key, const std::string& fallback) const {
  auto value = job_.Setting(op_, key);
  return value ? *value : fallback;
}

absl::StatusOr<int64_t> ConfigFields::Int(const std::string& key, int64_t min, int64_t max) const {
  auto text = String(key);
  if (!text.ok()) return text.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < min || value > max) {
    return Error(
        key, absl::StrCat("expected an integer from ", min, " to ", max, ", got '", *text, "'"));
  }
  return value;
}

absl::StatusOr<int64_t> ConfigFields::IntOr(const std::string& key, int64_t fallback, int64_t min,
                                            int64_t max) const {
  if (!job_.Setting(op_, key)) return fallback;
  return Int(key, min, max);
}

absl::StatusOr<absl::Duration> ConfigFields::DurationOr(const std::string& key,
                                                        absl::Duration fallback) const {
  auto text = job_.Setting(op_, key);
  if (!text) return fallback;
  auto d = ParseDuration(*text);
  if (!d.ok()) return Error(key, std::string(d.status().message()));
  return *d;
}

absl::StatusOr<std::string> ConfigFields::ChoiceOr(const std::string& key,
                                                   const std::string& fallback,
                                                   const std::string& choices) const {
  std::string value = StringOr(key, fallback);
  for (absl::string_view choice : absl::StrSplit(choices, '|')) {
    if (choice == value) return value;
  }
  return Error(key, absl::StrCat("expected one of ", choices, ", got '", value, "'"));
}

}  // namespace ec
