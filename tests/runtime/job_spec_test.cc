// ParseJobSpec: parameters and overrides, job-level settings, structural errors naming the field,
// SubstituteParameters, JobSpec::Setting and the ToJson round trip.
#include "runtime/job_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/job_graph.h"

namespace ec {
namespace {

using ::testing::HasSubstr;

constexpr char kJob[] = R"({
  "name": "events",
  "parameters": {"hostname": "localhost", "port": 9999, "topic": "out", "verbose": true},
  "pipeline": [
    {"type": "socket-source", "hostname": "${hostname}", "port": "${port}"},
    {"name": "parse", "type": "json-parse"},
    {"name": "sink", "type": "kafka-sink", "topic": "${topic}-${hostname}"}
  ]
})";

JobSpec Parse(std::string_view text, const std::map<std::string, std::string>& overrides = {}) {
  auto spec = ParseJobSpec(text, overrides);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *std::move(spec) : JobSpec{};
}

std::string ParseError(std::string_view text,
                       const std::map<std::string, std::string>& overrides = {}) {
  auto spec = ParseJobSpec(text, overrides);
  EXPECT_FALSE(spec.ok());
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

// A one-operator job whose only operator carries `op_fields` (a JSON object body).
std::string JobWithOp(const std::string& op_fields, const std::string& top_level = "") {
  return R"({"name": "j", )" + top_level + R"("pipeline": [{"type": "socket-source", )" +
         op_fields + "}]}";
}

TEST(JobSpecTest, ParsesNameOperatorsAndDefaultNames) {
  JobSpec spec = Parse(kJob);
  EXPECT_EQ(spec.name, "events");
  ASSERT_EQ(spec.pipeline.size(), 3u);
  EXPECT_EQ(spec.pipeline[0].name, "socket-source");  // defaults to the type
  EXPECT_EQ(spec.pipeline[0].type, "socket-source");
  EXPECT_EQ(spec.pipeline[1].name, "parse");
  EXPECT_EQ(spec.pipeline[2].type, "kafka-sink");
}

TEST(JobSpecTest, InputsDefaultToThePreviousOperator) {
  JobSpec spec = Parse(kJob);
  EXPECT_TRUE(spec.pipeline[0].inputs.empty());
  EXPECT_EQ(spec.pipeline[1].inputs, std::vector<int>{0});
  EXPECT_EQ(spec.pipeline[2].inputs, std::vector<int>{1});
}

TEST(JobSpecTest, ConfigHoldsOnlyTheOperatorsOwnFields) {
  JobSpec spec = Parse(kJob);
  EXPECT_FALSE(spec.pipeline[1].config.contains("type"));
  EXPECT_FALSE(spec.pipeline[1].config.contains("name"));
  EXPECT_FALSE(spec.pipeline[1].config.contains("inputs"));
  EXPECT_TRUE(spec.pipeline[0].config.contains("hostname"));
}

TEST(JobSpecTest, SubstitutesParametersInOperatorFields) {
  JobSpec spec = Parse(kJob);
  EXPECT_EQ(spec.pipeline[0].config["hostname"], "localhost");
  EXPECT_EQ(spec.pipeline[0].config["port"], "9999");
  EXPECT_EQ(spec.pipeline[2].config["topic"], "out-localhost");
}

TEST(JobSpecTest, NonStringParametersBecomeTheirJsonText) {
  JobSpec spec = Parse(kJob);
  EXPECT_EQ(spec.parameters.at("port"), "9999");
  EXPECT_EQ(spec.parameters.at("verbose"), "true");
}

TEST(JobSpecTest, SubmitOverridesReplaceFileParameters) {
  JobSpec spec = Parse(kJob, {{"hostname", "10.0.0.5"}, {"port", "7777"}});
  EXPECT_EQ(spec.parameters.at("hostname"), "10.0.0.5");
  EXPECT_EQ(spec.pipeline[0].config["hostname"], "10.0.0.5");
  EXPECT_EQ(spec.pipeline[0].config["port"], "7777");
  EXPECT_EQ(spec.pipeline[2].config["topic"], "out-10.0.0.5");
}

TEST(JobSpecTest, OverrideMayDefineAParameterTheFileLacks) {
  JobSpec spec = Parse(JobWithOp(R"("hostname": "${host}")"), {{"host", "h1"}});
  EXPECT_EQ(spec.pipeline[0].config["hostname"], "h1");
  EXPECT_EQ(spec.parameters.at("host"), "h1");
}

TEST(JobSpecTest, UnknownParameterIsAnErrorNamingItAndTheField) {
  std::string error = ParseError(JobWithOp(R"("hostname": "${nope}")"));
  EXPECT_THAT(error, HasSubstr("job file: pipeline[0].hostname"));
  EXPECT_THAT(error, HasSubstr("${nope}"));
  EXPECT_THAT(error, HasSubstr("--nope"));
}

TEST(JobSpecTest, SubstitutesInsideNestedArraysAndNamesTheElementOnError) {
  JobSpec spec = Parse(JobWithOp(R"("in": ["${a}", "x"], "opts": {"k": "${a}"})"), {{"a", "A"}});
  EXPECT_EQ(spec.pipeline[0].config["in"][0], "A");
  EXPECT_EQ(spec.pipeline[0].config["opts"]["k"], "A");
  EXPECT_THAT(ParseError(JobWithOp(R"("in": ["x", "${missing}"])")),
              HasSubstr("job file: pipeline[0].in[1]: unknown parameter ${missing}"));
}

TEST(JobSpecTest, NumbersInOperatorFieldsAreKeptAsNumbers) {
  JobSpec spec = Parse(JobWithOp(R"("port": 9999)"));
  EXPECT_TRUE(spec.pipeline[0].config["port"].is_number());
}

TEST(JobSpecTest, ObjectParameterIsRejectedNamingIt) {
  EXPECT_THAT(ParseError(R"({"name": "j", "parameters": {"p": {"x": 1}},
                            "pipeline": [{"type": "a"}]})"),
              HasSubstr("job file: parameters.p: expected a string, number or boolean"));
}

TEST(JobSpecTest, ParametersMustBeAnObject) {
  EXPECT_THAT(ParseError(R"({"name": "j", "parameters": [], "pipeline": [{"type": "a"}]})"),
              HasSubstr("job file: parameters: expected an object"));
}

TEST(JobSpecTest, JobSettingsDefaultWhenAbsent) {
  JobSpec spec = Parse(JobWithOp(R"("x": 1)"));
  EXPECT_EQ(spec.parallelism, 1);
  EXPECT_EQ(spec.max_parallelism, 128);  // Flink's default
  EXPECT_FALSE(spec.pipeline[0].parallelism.has_value());
  EXPECT_EQ(OperatorParallelism(spec, spec.pipeline[0], OperatorTraits{}), 1);
  EXPECT_FALSE(spec.checkpoint_interval.has_value());
  // Flink 2.x's default restart strategy: exponential-delay, unlimited.
  EXPECT_EQ(spec.restart.strategy, "exponential-delay");
  EXPECT_FALSE(spec.restart.attempts.has_value());
  EXPECT_EQ(spec.restart.delay, absl::Seconds(1));
  EXPECT_EQ(spec.restart.max_delay, absl::Minutes(1));
  EXPECT_EQ(spec.restart.backoff_multiplier, 1.5);
  EXPECT_EQ(spec.restart.reset_backoff_threshold, absl::Hours(1));
  EXPECT_EQ(spec.restart.jitter_factor, 0.1);
  EXPECT_EQ(spec.slot_timeout, absl::Seconds(60));
}

TEST(JobSpecTest, ExponentialDelaySettingsAreRead) {
  JobSpec spec = Parse(JobWithOp(R"("x": 1)", R"("restart-strategy": "exponential-delay",
      "restart-attempts": 20, "restart-delay": "200ms", "restart-max-delay": "30s",
      "restart-backoff-multiplier": 2, "restart-reset-backoff-threshold": "10m",
      "restart-jitter-factor": 0.25, )"));
  EXPECT_EQ(spec.restart.attempts, 20);
  EXPECT_EQ(spec.restart.delay, absl::Milliseconds(200));
  EXPECT_EQ(spec.restart.max_delay, absl::Seconds(30));
  EXPECT_EQ(spec.restart.backoff_multiplier, 2.0);
  EXPECT_EQ(spec.restart.reset_backoff_threshold, absl::Minutes(10));
  EXPECT_EQ(spec.restart.jitter_factor, 0.25);
}

TEST(JobSpecTest, RestartAttemptsDefaultAsFlinks) {
  // fixed-delay.attempts and failure-rate.max-failures-per-interval default to 1 in Flink.
  EXPECT_EQ(
      Parse(JobWithOp(R"("x": 1)", R"("restart-strategy": "fixed-delay", )")).restart.attempts, 1);
  EXPECT_EQ(
      Parse(JobWithOp(R"("x": 1)", R"("restart-strategy": "failure-rate", )")).restart.attempts, 1);
  EXPECT_FALSE(Parse(JobWithOp(R"("x": 1)", R"("restart-strategy": "exponential-delay", )"))
                   .restart.attempts.has_value());
  EXPECT_FALSE(Parse(JobWithOp(R"("x": 1)", R"("restart-strategy": "fixed-delay",
      "restart-attempts": "unlimited", )"))
                   .restart.attempts.has_value());
}

TEST(JobSpecTest, BadRestartSettingsAreRefusedNamingTheField) {
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-strategy": "sometimes", )")),
              HasSubstr("job file: restart-strategy: expected one of exponential-delay"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-strategy": "failure-rate",
      "restart-attempts": "unlimited", )")),
              HasSubstr("job file: restart-attempts: expected an integer >= 0, got 'unlimited'"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-backoff-multiplier": 0.5, )")),
              HasSubstr("job file: restart-backoff-multiplier: expected a number from 1 to 1000, "
                        "got '0.5'"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-jitter-factor": "lots", )")),
              HasSubstr("job file: restart-jitter-factor: expected a number from 0 to 1"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-jitter-factor": 1.5, )")),
              HasSubstr("job file: restart-jitter-factor: expected a number from 0 to 1"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-delay": "10s",
      "restart-max-delay": "5s", )")),
              HasSubstr("job file: restart-max-delay: expected at least restart-delay (10s), "
                        "got 5s"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-reset-backoff-threshold": "0s", )")),
              HasSubstr("job file: restart-reset-backoff-threshold: expected a duration > 0"));
}

TEST(JobSpecTest, ExponentialDelaySettingsAreRefusedWithAnotherStrategy) {
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-strategy": "fixed-delay",
      "restart-max-delay": "1m", )")),
              HasSubstr("job file: restart-max-delay: applies only to restart-strategy "
                        "exponential-delay, not fixed-delay"));
}

TEST(JobSpecTest, JobSettingsAreReadFromTheFile) {
  JobSpec spec = Parse(JobWithOp(R"("x": 1)", R"("parallelism": 2, "checkpoint-interval": "10s",
      "restart-strategy": "none", "restart-attempts": 0, "restart-delay": "250ms",
      "slot-timeout": "2m", )"));
  EXPECT_EQ(spec.parallelism, 2);
  EXPECT_EQ(spec.checkpoint_interval, absl::Seconds(10));
  EXPECT_EQ(spec.restart.strategy, "none");
  EXPECT_EQ(spec.restart.attempts, 0);
  EXPECT_EQ(spec.restart.delay, absl::Milliseconds(250));
  EXPECT_EQ(spec.slot_timeout, absl::Minutes(2));
}

TEST(JobSpecTest, JobSettingsGivenAsParametersBeatTheFile) {
  JobSpec spec = Parse(JobWithOp(R"("x": 1)", R"("slot-timeout": "2m", "restart-attempts": 1, )"),
                       {{"slot-timeout", "500ms"}, {"restart-attempts", "7"}});
  EXPECT_EQ(spec.slot_timeout, absl::Milliseconds(500));
  EXPECT_EQ(spec.restart.attempts, 7);
}

TEST(JobSpecTest, JobSettingsMayComeFromTheFilesParameters) {
  JobSpec spec = Parse(
      R"({"name": "j", "parameters": {"checkpoint-interval": "5s"}, "pipeline": [{"type": "a"}]})");
  EXPECT_EQ(spec.checkpoint_interval, absl::Seconds(5));
}

TEST(JobSpecTest, ZeroCheckpointIntervalDisablesCheckpoints) {
  JobSpec spec = Parse(JobWithOp(R"("x": 1)", R"("checkpoint-interval": "0", )"));
  EXPECT_FALSE(spec.checkpoint_interval.has_value());
}

TEST(JobSpecTest, ParallelismMustBeAPositiveInteger) {
  EXPECT_EQ(ParseError(JobWithOp(R"("x": 1)", R"("parallelism": 0, )")),
            "job file: parallelism: expected a positive integer, got '0'");
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)"), {{"parallelism", "two"}}),
              HasSubstr("job file: parallelism: expected a positive integer, got 'two'"));
}

TEST(JobSpecTest, MaxParallelismIsReadAndMustCoverTheParallelism) {
  JobSpec spec = Parse(JobWithOp(R"("x": 1)", R"("parallelism": 4, "max-parallelism": 16, )"));
  EXPECT_EQ(spec.max_parallelism, 16);
  EXPECT_EQ(Parse(JobWithOp(R"("x": 1)"), {{"max-parallelism", "4096"}}).max_parallelism, 4096);
  EXPECT_EQ(ParseError(JobWithOp(R"("x": 1)", R"("parallelism": 4, "max-parallelism": 2, )")),
            "job file: max-parallelism: expected at least the parallelism (4), got 2");
  EXPECT_EQ(ParseError(JobWithOp(R"("x": 1)", R"("max-parallelism": 40000, )")),
            "job file: max-parallelism: expected an integer from 1 to 32768, got '40000'");
}

TEST(JobSpecTest, OperatorParallelismIsItsOwnFieldNotConfig) {
  JobSpec spec =
      Parse(JobWithOp(R"("parallelism": "${p}")", R"("parallelism": 3, )"), {{"p", "2"}});
  EXPECT_EQ(spec.pipeline[0].parallelism, 2);
  EXPECT_EQ(OperatorParallelism(spec, spec.pipeline[0], OperatorTraits{}), 2);
  EXPECT_FALSE(spec.pipeline[0].config.contains("parallelism"));
  EXPECT_EQ(Parse(spec.ToJson().dump()).pipeline[0].parallelism, 2);
  EXPECT_EQ(ParseError(JobWithOp(R"("parallelism": 0)")),
            "job file: pipeline[0].parallelism: expected a positive integer, got '0'");
}

TEST(JobSpecTest, UnknownRestartStrategyIsAnErrorListingTheKnownOnes) {
  std::string error = ParseError(JobWithOp(R"("x": 1)", R"("restart-strategy": "always", )"));
  EXPECT_THAT(error, HasSubstr("job file: restart-strategy:"));
  EXPECT_THAT(error, HasSubstr("exponential-delay, fixed-delay, failure-rate, none"));
  EXPECT_THAT(error, HasSubstr("'always'"));
}

TEST(JobSpecTest, NegativeRestartAttemptsIsAnError) {
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-attempts": -1, )")),
              HasSubstr("job file: restart-attempts: expected an integer >= 0 or \"unlimited\", "
                        "got '-1'"));
}

TEST(JobSpecTest, BadDurationSettingNamesTheField) {
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("slot-timeout": "soon", )")),
              HasSubstr("job file: slot-timeout: 'soon' is not a duration"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("restart-delay": "-1s", )")),
              HasSubstr("job file: restart-delay:"));
  EXPECT_THAT(ParseError(JobWithOp(R"("x": 1)", R"("checkpoint-interval": "x", )")),
              HasSubstr("job file: checkpoint-interval:"));
}

TEST(JobSpecTest, InvalidJsonIsAnError) {
  EXPECT_EQ(ParseError("{not json"), "job file: not valid JSON");
}

TEST(JobSpecTest, TopLevelMustBeAnObject) {
  EXPECT_EQ(ParseError("[1, 2]"), "job file: expected a JSON object");
}

TEST(JobSpecTest, NameIsRequired) {
  EXPECT_THAT(ParseError(R"({"pipeline": [{"type": "a"}]})"),
              HasSubstr("job file: name: expected a non-empty string"));
  EXPECT_THAT(ParseError(R"({"name": "", "pipeline": [{"type": "a"}]})"),
              HasSubstr("job file: name:"));
  EXPECT_THAT(ParseError(R"({"name": 3, "pipeline": [{"type": "a"}]})"),
              HasSubstr("job file: name:"));
}

TEST(JobSpecTest, PipelineIsRequiredAndNonEmpty) {
  EXPECT_THAT(ParseError(R"({"name": "j"})"), HasSubstr("job file: pipeline: missing"));
  EXPECT_THAT(ParseError(R"({"name": "j", "pipeline": []})"),
              HasSubstr("job file: pipeline: expected a non-empty array"));
  EXPECT_THAT(ParseError(R"({"name": "j", "pipeline": {"type": "a"}})"),
              HasSubstr("job file: pipeline: expected a non-empty array"));
}

TEST(JobSpecTest, OperatorMustBeAnObject) {
  EXPECT_THAT(ParseError(R"({"name": "j", "pipeline": [{"type": "a"}, "b"]})"),
              HasSubstr("job file: pipeline[1]: expected an object"));
}

TEST(JobSpecTest, TypeThatIsNotAStringNamesTheField) {
  EXPECT_THAT(
      ParseError(R"({"name": "j", "pipeline": [{"type": "a"}, {"type": "b"}, {"type": 7}]})"),
      HasSubstr("job file: pipeline[2].type: expected a string"));
  EXPECT_THAT(ParseError(R"({"name": "j", "pipeline": [{"name": "a"}]})"),
              HasSubstr("job file: pipeline[0].type: expected a string"));
}

TEST(JobSpecTest, OperatorNameMustBeANonEmptyString) {
  EXPECT_THAT(ParseError(R"({"name": "j", "pipeline": [{"type": "a", "name": ""}]})"),
              HasSubstr("job file: pipeline[0].name: expected a non-empty string"));
}

TEST(JobSpecTest, DuplicateOperatorNamesAreRejected) {
  EXPECT_THAT(ParseError(R"({"name": "j", "pipeline": [{"type": "a"}, {"type": "a"}]})"),
              HasSubstr("job file: pipeline[1].name: 'a' is used twice"));
}

TEST(JobSpecTest, InputsNameEarlierOperators) {
  JobSpec spec = Parse(R"({"name": "j", "pipeline": [{"type": "a"}, {"type": "b"},
                          {"type": "c", "inputs": ["a", "b"]}]})");
  EXPECT_EQ(spec.pipeline[2].inputs, (std::vector<int>{0, 1}));
}

TEST(JobSpecTest, InputNamingNoEarlierOperatorNamesTheElement) {
  EXPECT_THAT(ParseError(R"({"name": "j", "pipeline": [{"type": "a"},
                            {"type": "b", "inputs": ["a", "c"]}, {"type": "c"}]})"),
              HasSubstr("job file: pipeline[1].inputs[1]: expected the name of an operator "
                        "defined before this one"));
  EXPECT_THAT(
      ParseError(R"({"name": "j", "pipeline": [{"type": "a"}, {"type": "b", "inputs": "a"}]})"),
      HasSubstr("job file: pipeline[1].inputs: expected an array"));
}

TEST(JobSpecTest, SettingPrefersTheOperatorFieldOverTheJobParameter) {
  JobSpec spec =
      Parse(JobWithOp(R"("topic": "own", "port": 1234)"), {{"topic", "job-wide"}, {"other", "o"}});
  const OperatorSpec& op = spec.pipeline[0];
  EXPECT_EQ(spec.Setting(op, "topic"), "own");
  EXPECT_EQ(spec.Setting(op, "port"), "1234");
  EXPECT_EQ(spec.Setting(op, "other"), "o");
  EXPECT_EQ(spec.Setting(op, "absent"), std::nullopt);
}

TEST(JobSpecTest, SettingFallsBackToTheParameterWhenTheFieldIsNull) {
  JobSpec spec = Parse(JobWithOp(R"("topic": null)"), {{"topic", "job-wide"}});
  EXPECT_EQ(spec.Setting(spec.pipeline[0], "topic"), "job-wide");
}

TEST(JobSpecTest, ToJsonParsesBackToAnEqualSpec) {
  JobSpec spec = Parse(kJob, {{"hostname", "h"}});
  spec.checkpoint_interval = absl::Seconds(30);
  spec.slot_timeout = absl::Milliseconds(1500);
  const nlohmann::json json = spec.ToJson();
  JobSpec back = Parse(json.dump());
  EXPECT_EQ(back.ToJson(), json);
  EXPECT_EQ(back.name, spec.name);
  EXPECT_EQ(back.parameters, spec.parameters);
  EXPECT_EQ(back.parallelism, spec.parallelism);
  EXPECT_EQ(back.max_parallelism, spec.max_parallelism);
  EXPECT_EQ(back.checkpoint_interval, spec.checkpoint_interval);
  EXPECT_EQ(back.restart.strategy, spec.restart.strategy);
  EXPECT_EQ(back.restart.attempts, spec.restart.attempts);
  EXPECT_EQ(back.restart.delay, spec.restart.delay);
  EXPECT_EQ(back.restart.max_delay, spec.restart.max_delay);
  EXPECT_EQ(back.restart.backoff_multiplier, spec.restart.backoff_multiplier);
  EXPECT_EQ(back.restart.reset_backoff_threshold, spec.restart.reset_backoff_threshold);
  EXPECT_EQ(back.restart.jitter_factor, spec.restart.jitter_factor);
  EXPECT_EQ(back.slot_timeout, spec.slot_timeout);
  ASSERT_EQ(back.pipeline.size(), spec.pipeline.size());
  for (size_t i = 0; i < spec.pipeline.size(); ++i) {
    EXPECT_EQ(back.pipeline[i].name, spec.pipeline[i].name);
    EXPECT_EQ(back.pipeline[i].type, spec.pipeline[i].type);
    EXPECT_EQ(back.pipeline[i].inputs, spec.pipeline[i].inputs);
    EXPECT_EQ(back.pipeline[i].config, spec.pipeline[i].config);
  }
}

TEST(JobSpecTest, ToJsonRoundTripKeepsExplicitInputs) {
  JobSpec spec = Parse(R"({"name": "j", "pipeline": [{"type": "a"}, {"type": "b"},
                          {"type": "c", "inputs": ["a", "b"]}]})");
  JobSpec back = Parse(spec.ToJson().dump());
  EXPECT_EQ(back.pipeline[2].inputs, (std::vector<int>{0, 1}));
}

TEST(JobSpecTest, ToJsonRoundTripKeepsValuesThatLookLikeParameters) {
  // A substituted value (e.g. a password) may itself contain "${": the resolved spec must not be
  // substituted a second time when the TaskManager parses it.
  JobSpec spec = Parse(JobWithOp(R"("kafka-sasl-password": "${pw}")"), {{"pw", "a${b}c$d"}});
  ASSERT_EQ(spec.pipeline[0].config["kafka-sasl-password"], "a${b}c$d");
  auto back = ParseJobSpec(spec.ToJson().dump());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->pipeline[0].config["kafka-sasl-password"], "a${b}c$d");
  EXPECT_EQ(back->parameters.at("pw"), "a${b}c$d");
}

TEST(SubstituteParametersTest, ReplacesEveryOccurrence) {
  auto out = SubstituteParameters("${a}-${b}${a}", {{"a", "1"}, {"b", "2"}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "1-21");
}

TEST(SubstituteParametersTest, TextWithoutPlaceholdersIsUnchanged) {
  EXPECT_EQ(*SubstituteParameters("plain $ text {x}", {}), "plain $ text {x}");
  EXPECT_EQ(*SubstituteParameters("", {}), "");
}

TEST(SubstituteParametersTest, ValuesAreNotSubstitutedAgain) {
  EXPECT_EQ(*SubstituteParameters("${a}", {{"a", "${b}"}, {"b", "no"}}), "${b}");
}

TEST(SubstituteParametersTest, UnknownParameterIsAnErrorNamingIt) {
  auto out = SubstituteParameters("x ${missing} y", {{"a", "1"}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("unknown parameter ${missing}"));
}

TEST(SubstituteParametersTest, UnterminatedPlaceholderIsAnError) {
  auto out = SubstituteParameters("a ${b", {{"b", "1"}});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("unterminated ${"));
}

}  // namespace
}  // namespace ec
