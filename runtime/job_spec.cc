// Job file parsing, parameter substitution and structural validation.
#include "runtime/job_spec.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/duration.h"

namespace ec {
namespace {

using nlohmann::json;

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("job file: ", field, ": ", what));
}

std::string JsonScalarToString(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// Substitutes parameters in every string inside `value`, recursively.
absl::Status SubstituteInPlace(json& value, const std::map<std::string, std::string>& parameters,
                               const std::string& path) {
  if (value.is_string()) {
    auto substituted = SubstituteParameters(value.get<std::string>(), parameters);
    if (!substituted.ok()) return FieldError(path, substituted.status().message());
    value = *substituted;
  } else if (value.is_object()) {
    for (auto& [key, item] : value.items()) {
      if (auto s = SubstituteInPlace(item, parameters, absl::StrCat(path, ".", key)); !s.ok()) {
        return s;
      }
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto s = SubstituteInPlace(value[i], parameters, absl::StrCat(path, "[", i, "]"));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// A job-level setting: the submit-time parameter wins over the file's top-level field.
std::optional<std::string> JobSetting(const json& root,
                                      const std::map<std::string, std::string>& parameters,
                                      const std::string& key) {
  if (auto it = parameters.find(key); it != parameters.end()) return it->second;
  if (root.contains(key) && !root[key].is_null()) return JsonScalarToString(root[key]);
  return std::nullopt;
}

absl::StatusOr<int> ParsePositiveInt(const std::string& field, const std::string& text) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 1) {
    return FieldError(field, absl::StrCat("expected a positive integer, got '", text, "'"));
  }
  return value;
}

absl::StatusOr<absl::Duration> ParseDurationField(const std::string& field,
                                                  const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return FieldError(field, d.status().message());
  return *d;
}

absl::StatusOr<double> ParseNumberField(const std::string& field, const std::string& text,
                                        double min, double max) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !(value >= min && value <= max)) {
    return FieldError(
        field, absl::StrCat("expected a number from ", min, " to ", max, ", got '", text, "'"));
  }
  return value;
}

// The restart-* settings (Flink's restart-strategy options, named as ours): validated together,
// since the defaults and the settings that apply depend on the strategy.
absl::Status ParseRestartSettings(const json& root, const std::map<std::string, std::string>& p,
                                  RestartSpec& restart) {
  if (auto v = JobSetting(root, p, "restart-strategy")) {
    static const std::set<std::string> kStrategies = {"fixed-delay", "exponential-delay",
                                                      "failure-rate", "none"};
    if (!kStrategies.count(*v)) {
      return FieldError("restart-strategy",
                        absl::StrCat("expected one of exponential-delay, fixed-delay, "
                                     "failure-rate, none; got '",
                                     *v, "'"));
    }
    restart.strategy = *v;
  }
  const bool exponential = restart.strategy == "exponential-delay";
  // Flink's defaults: attempts-before-reset-backoff is unlimited; fixed-delay.attempts and
  // failure-rate.max-failures-per-interval are 1.
  restart.attempts = exponential ? std::nullopt : std::optional<int>(1);
  if (auto v = JobSetting(root, p, "restart-attempts")) {
    int n = 0;
    if (*v == "unlimited" && restart.strategy != "failure-rate") {
      restart.attempts = std::nullopt;
    } else if (!absl::SimpleAtoi(*v, &n) || n < 0) {
      return FieldError("restart-attempts",
                        absl::StrCat("expected an integer >= 0",
                                     restart.strategy == "failure-rate" ? "" : " or \"unlimited\"",
                                     ", got '", *v, "'"));
    } else {
      restart.attempts = n;
    }
  }
  if (auto v = JobSetting(root, p, "restart-delay")) {
    auto d = ParseDurationField("restart-delay", *v);
    if (!d.ok()) return d.status();
    restart.delay = *d;
  }
  if (auto v = JobSetting(root, p, "restart-failure-rate-interval")) {
    auto d = ParseDurationField("restart-failure-rate-interval", *v);
    if (!d.ok()) return d.status();
    if (*d <= absl::ZeroDuration()) {
      return FieldError("restart-failure-rate-interval", "expected a duration > 0");
    }
    restart.failure_rate_interval = *d;
  }
  // The exponential-delay settings: refused with another strategy rather than ignored.
  for (const char* key : {"restart-max-delay", "restart-backoff-multiplier",
                          "restart-reset-backoff-threshold", "restart-jitter-factor"}) {
    if (!exponential && JobSetting(root, p, key)) {
      return FieldError(key, absl::StrCat("applies only to restart-strategy exponential-delay, "
                                          "not ",
                                          restart.strategy));
    }
  }
  if (!exponential) return absl::OkStatus();
  if (auto v = JobSetting(root, p, "restart-max-delay")) {
    auto d = ParseDurationField("restart-max-delay", *v);
    if (!d.ok()) return d.status();
    restart.max_delay = *d;
  }
  if (restart.max_delay < restart.delay) {
    return FieldError(
        "restart-max-delay",
        absl::StrCat("expected at least restart-delay (", absl::FormatDuration(restart.delay),
                     "), got ", absl::FormatDuration(restart.max_delay)));
  }
  if (auto v = JobSetting(root, p, "restart-backoff-multiplier")) {
    auto x = ParseNumberField("restart-backoff-multiplier", *v, 1, 1000);
    if (!x.ok()) return x.status();
    restart.backoff_multiplier = *x;
  }
  if (auto v = JobSetting(root, p, "restart-reset-backoff-threshold")) {
    auto d = ParseDurationField("restart-reset-backoff-threshold", *v);
    if (!d.ok()) return d.status();
    if (*d <= absl::ZeroDuration()) {
      return FieldError("restart-reset-backoff-threshold", "expected a duration > 0");
    }
    restart.reset_backoff_threshold = *d;
  }
  if (auto v = JobSetting(root, p, "restart-jitter-factor")) {
    auto x = ParseNumberField("restart-jitter-factor", *v, 0, 1);
    if (!x.ok()) return x.status();
    restart.jitter_factor = *x;
  }
  return absl::OkStatus();
}

absl::Status ParseJobSettings(const json& root, JobSpec& spec) {
  const auto& p = spec.parameters;
  if (auto v = JobSetting(root, p, "parallelism")) {
    auto n = ParsePositiveInt("parallelism", *v);
    if (!n.ok()) return n.status();
    spec.parallelism = *n;
  }
  if (auto v = JobSetting(root, p, "max-parallelism")) {
    int n = 0;
    // 32768 key groups at most: a stored key starts with its key group in 2 bytes.
    if (!absl::SimpleAtoi(*v, &n) || n < 1 || n > 32768) {
      return FieldError("max-parallelism",
                        absl::StrCat("expected an integer from 1 to 32768, got '", *v, "'"));
    }
    spec.max_parallelism = n;
  }
  if (spec.max_parallelism < spec.parallelism) {
    return FieldError("max-parallelism",
                      absl::StrCat("expected at least the parallelism (", spec.parallelism,
                                   "), got ", spec.max_parallelism));
  }
  if (auto v = JobSetting(root, p, "checkpoint-interval")) {
    auto d = ParseDurationField("checkpoint-interval", *v);
    if (!d.ok()) return d.status();
    if (*d > absl::ZeroDuration()) spec.checkpoint_interval = *d;
  }
  if (auto s = ParseRestartSettings(root, p, spec.restart); !s.ok()) return s;
  if (auto v = JobSetting(root, p, "tolerable-failed-checkpoints")) {
    int n = 0;
    if (!absl::SimpleAtoi(*v, &n) || n < 0) {
      return FieldError("tolerable-failed-checkpoints",
                        absl::StrCat("expected an integer >= 0, got '", *v, "'"));
    }
    spec.tolerable_failed_checkpoints = n;
  }
  if (auto v = JobSetting(root, p, "slot-timeout")) {
    auto d = ParseDurationField("slot-timeout", *v);
    if (!d.ok()) return d.status();
    spec.slot_timeout = *d;
  }
  return absl::OkStatus();
}

// ToJson() marks its output as resolved: its strings were substituted already, and a value may
// itself contain "${" (a password, say), so substituting again would break or change it.
constexpr char kResolvedField[] = "resolved";

absl::Status ParsePipeline(const json& root, JobSpec& spec) {
  const bool resolved = root.contains(kResolvedField) && root[kResolvedField] == true;
  if (!root.contains("pipeline"))
    return FieldError("pipeline", "missing (expected an array of operators)");
  const json& pipeline = root["pipeline"];
  if (!pipeline.is_array() || pipeline.empty()) {
    return FieldError("pipeline", "expected a non-empty array of operators");
  }
  std::map<std::string, int> index_by_name;
  for (size_t i = 0; i < pipeline.size(); ++i) {
    const std::string path = absl::StrCat("pipeline[", i, "]");
    json item = pipeline[i];
    if (!item.is_object()) return FieldError(path, "expected an object");
    OperatorSpec op;
    if (!item.contains("type") || !item["type"].is_string()) {
      return FieldError(path + ".type", "expected a string (the operator type)");
    }
    op.type = item["type"].get<std::string>();
    if (item.contains("name")) {
      if (!item["name"].is_string() || item["name"].get<std::string>().empty()) {
        return FieldError(path + ".name", "expected a non-empty string");
      }
      op.name = item["name"].get<std::string>();
    } else {
      op.name = op.type;
    }
    if (index_by_name.count(op.name)) {
      return FieldError(path + ".name",
                        absl::StrCat("'", op.name, "' is used twice; names must be unique"));
    }
    if (item.contains("inputs")) {
      if (!item["inputs"].is_array())
        return FieldError(path + ".inputs", "expected an array of operator names");
      for (size_t k = 0; k < item["inputs"].size(); ++k) {
        const json& input = item["inputs"][k];
        auto it =
            input.is_string() ? index_by_name.find(input.get<std::string>()) : index_by_name.end();
        if (it == index_by_name.end()) {
          return FieldError(absl::StrCat(path, ".inputs[", k, "]"),
                            "expected the name of an operator defined before this one");
        }
        op.inputs.push_back(it->second);
      }
    } else if (i > 0) {
      op.inputs.push_back(static_cast<int>(i) - 1);
    }
    item.erase("type");
    item.erase("name");
    item.erase("inputs");
    if (!resolved) {
      if (auto s = SubstituteInPlace(item, spec.parameters, path); !s.ok()) return s;
    }
    if (item.contains("parallelism")) {
      auto n = ParsePositiveInt(path + ".parallelism", JsonScalarToString(item["parallelism"]));
      if (!n.ok()) return n.status();
      op.parallelism = *n;
      item.erase("parallelism");
    }
    op.config = std::move(item);
    index_by_name[op.name] = static_cast<int>(i);
    spec.pipeline.push_back(std::move(op));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::string> JobSpec::Setting(const OperatorSpec& op, const std::string& key) const {
  if (op.config.contains(key) && !op.config[key].is_null())
    return JsonScalarToString(op.config[key]);
  if (auto it = parameters.find(key); it != parameters.end()) return it->second;
  return std::nullopt;
}

nlohmann::json JobSpec::ToJson() const {
  json root;
  root["name"] = name;
  root[kResolvedField] = true;
  root["parameters"] = parameters;
  root["parallelism"] = parallelism;
  root["max-parallelism"] = max_parallelism;
  if (checkpoint_interval) {
    root["checkpoint-interval"] =
        absl::StrCat(absl::ToInt64Milliseconds(*checkpoint_interval), "ms");
  }
  root["restart-strategy"] = restart.strategy;
  if (restart.attempts) {
    root["restart-attempts"] = *restart.attempts;
  } else {
    root["restart-attempts"] = "unlimited";
  }
  root["restart-delay"] = absl::StrCat(absl::ToInt64Milliseconds(restart.delay), "ms");
  root["restart-failure-rate-interval"] =
      absl::StrCat(absl::ToInt64Milliseconds(restart.failure_rate_interval), "ms");
  if (restart.strategy == "exponential-delay") {
    root["restart-max-delay"] = absl::StrCat(absl::ToInt64Milliseconds(restart.max_delay), "ms");
    root["restart-backoff-multiplier"] = restart.backoff_multiplier;
    root["restart-reset-backoff-threshold"] =
        absl::StrCat(absl::ToInt64Milliseconds(restart.reset_backoff_threshold), "ms");
    root["restart-jitter-factor"] = restart.jitter_factor;
  }
  if (tolerable_failed_checkpoints)
    root["tolerable-failed-checkpoints"] = *tolerable_failed_checkpoints;
  root["slot-timeout"] = absl::StrCat(absl::ToInt64Milliseconds(slot_timeout), "ms");
  json pipeline = json::array();
  for (const auto& op : this->pipeline) {
    json item = op.config;
    item["type"] = op.type;
    item["name"] = op.name;
    json inputs = json::array();
    for (int input : op.inputs) inputs.push_back(this->pipeline[input].name);
    item["inputs"] = inputs;
    if (op.parallelism) item["parallelism"] = *op.parallelism;
    pipeline.push_back(std::move(item));
  }
  root["pipeline"] = pipeline;
  return root;
}

absl::StatusOr<std::string> SubstituteParameters(
    std::string_view std_text, const std::map<std::string, std::string>& parameters) {
  absl::string_view text(std_text.data(), std_text.size());
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find("${", pos);
    if (start == absl::string_view::npos) break;
    size_t end = text.find('}', start + 2);
    if (end == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unterminated ${ in '", text, "'"));
    }
    std::string name(text.substr(start + 2, end - start - 2));
    auto it = parameters.find(name);
    if (it == parameters.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown parameter ${", name, "} (give it with --", name, " VALUE at submit)"));
    }
    out.append(std::string(text.substr(pos, start - pos)));
    out.append(it->second);
    pos = end + 1;
  }
  out.append(std::string(text.substr(pos)));
  return out;
}

absl::StatusOr<JobSpec> ParseJobSpec(std::string_view json_text,
                                     const std::map<std::string, std::string>& overrides) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError("job file: not valid JSON");
  if (!root.is_object()) return absl::InvalidArgumentError("job file: expected a JSON object");
  JobSpec spec;
  if (!root.contains("name") || !root["name"].is_string() ||
      root["name"].get<std::string>().empty()) {
    return FieldError("name", "expected a non-empty string");
  }
  spec.name = root["name"].get<std::string>();
  if (root.contains("parameters")) {
    if (!root["parameters"].is_object()) return FieldError("parameters", "expected an object");
    for (auto& [key, value] : root["parameters"].items()) {
      if (value.is_object() || value.is_array()) {
        return FieldError("parameters." + key, "expected a string, number or boolean");
      }
      spec.parameters[key] = JsonScalarToString(value);
    }
  }
  for (const auto& [key, value] : overrides) spec.parameters[key] = value;
  if (auto s = ParseJobSettings(root, spec); !s.ok()) return s;
  if (auto s = ParsePipeline(root, spec); !s.ok()) return s;
  return spec;
}

}  // namespace ec
