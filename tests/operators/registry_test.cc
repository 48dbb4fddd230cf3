// ValidateJob against the operator table: known types, source first and sink last, linear
// chains, json-parse before map and filter, parallelism (every operator at the job's, a socket
// source and keyed state only at 1), operator fields named in errors; the
// example job validates with the README's parameters; CreateChain builds one operator a step.
#include "operators/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ec {
namespace {

using ::testing::HasSubstr;

constexpr char kSource[] = R"({"type": "socket-source", "hostname": "localhost", "port": 9999})";

// A job of the given operators (JSON objects), parsed with `overrides`.
JobSpec Job(const std::vector<std::string>& ops,
            const std::map<std::string, std::string>& overrides = {},
            const std::string& top_level = "") {
  std::string text = R"({"name": "j", )" + top_level + R"("pipeline": [)";
  for (size_t i = 0; i < ops.size(); ++i) text += (i ? ", " : "") + ops[i];
  text += "]}";
  auto spec = ParseJobSpec(text, overrides);
  EXPECT_TRUE(spec.ok()) << spec.status() << " in " << text;
  return spec.ok() ? *spec : JobSpec{};
}

std::string Error(const JobSpec& job) {
  absl::Status s = ValidateJob(job);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

std::string SourceWith(const std::string& fields) {
  return R"({"type": "socket-source", )" + fields + "}";
}

std::string ReadExampleJob() {
  const auto root = std::filesystem::path(EC_SOURCE_DIR);
  std::ifstream in(root / "examples" / "job.json");
  EXPECT_TRUE(in.good()) << root;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every job file the repository ships (examples, benchmark jobs, Nexmark queries) is accepted.
TEST(RegistryTest, ShippedJobFilesAreValid) {
  const auto root = std::filesystem::path(EC_SOURCE_DIR);
  int checked = 0;
  for (const char* dir : {"examples", "bench/jobs", "bench/nexmark"}) {
    for (const auto& entry : std::filesystem::directory_iterator(root / dir)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      auto spec = ParseJobSpec(text.str());
      ASSERT_TRUE(spec.ok()) << entry.path() << ": " << spec.status();
      EXPECT_TRUE(ValidateJob(*spec).ok()) << entry.path() << ": " << ValidateJob(*spec);
      ++checked;
    }
  }
  EXPECT_GE(checked, 8);
}

TEST(RegistryTest, TableHasEveryBuiltInType) {
  for (const char* name : {"socket-source", "kafka-source", "json-parse", "windows-event-map",
                           "filter", "kafka-sink", "print-sink", "discard-sink"}) {
    ASSERT_NE(FindOperatorType(name), nullptr) << name;
    EXPECT_EQ(FindOperatorType(name)->name, name);
  }
  EXPECT_EQ(FindOperatorType("socket-source")->kind, OperatorKind::kSource);
  EXPECT_EQ(FindOperatorType("filter")->kind, OperatorKind::kTransform);
  EXPECT_EQ(FindOperatorType("kafka-sink")->kind, OperatorKind::kSink);
  EXPECT_EQ(FindOperatorType("nope"), nullptr);
}

TEST(RegistryTest, EntriesDeclareTheirTraits) {
  EXPECT_TRUE(TraitsOf("socket-source").non_parallel);
  EXPECT_FALSE(TraitsOf("kafka-source").non_parallel);
  EXPECT_EQ(TraitsOf("keyed-count").key_fields_field, "key-fields");
  EXPECT_EQ(TraitsOf("keyed-count").default_key_fields,
            (std::vector<std::string>{"source", "level"}));
  for (const char* name : {"kafka-source", "json-parse", "window", "kafka-sink", "nope"}) {
    EXPECT_FALSE(TraitsOf(name).non_parallel) << name;
    EXPECT_EQ(TraitsOf(name).key_fields_field, "") << name;
  }
}

TEST(RegistryTest, TableListsConnectorTypesBesideTheBuiltIns) {
  std::vector<std::string> names;
  for (const auto& type : OperatorTypes()) names.push_back(type.name);
  EXPECT_EQ(names, (std::vector<std::string>{"socket-source", "kafka-source", "json-parse",
                                             "windows-event-map", "filter", "select", "keyed-count",
                                             "watermarks", "window", "throttle", "kafka-sink",
                                             "print-sink", "discard-sink"}));
}

TEST(RegistryTest, MinimalChainIsValid) {
  EXPECT_TRUE(ValidateJob(Job({kSource, R"({"type": "discard-sink"})"})).ok());
}

TEST(RegistryTest, ExampleJobValidatesWithTheReadmeParameters) {
  const std::string text = ReadExampleJob();
  auto spec = ParseJobSpec(text, {{"hostname", "10.0.0.5"},
                                  {"port", "9999"},
                                  {"kafka-bootstrap-servers", "kafka:9094"},
                                  {"kafka-topic", "events_processed"},
                                  {"kafka-security-protocol", "SASL_PLAINTEXT"},
                                  {"kafka-sasl-username", "alice"},
                                  {"kafka-sasl-password", "pw"}});
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::Status s = ValidateJob(*spec);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(spec->pipeline[1].config["dead-letter-topic"], "events_processed.dlq");
}

TEST(RegistryTest, ExampleJobValidatesWithItsOwnDefaults) {
  auto spec = ParseJobSpec(ReadExampleJob());
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::Status s = ValidateJob(*spec);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(RegistryTest, UnknownTypeIsAnErrorListingTheKnownOnes) {
  std::string error = Error(Job({kSource, R"({"type": "flat-map"})", R"({"type": "print-sink"})"}));
  EXPECT_THAT(error, HasSubstr("job file: pipeline[1].type: unknown operator 'flat-map'"));
  for (const auto& type : OperatorTypes()) EXPECT_THAT(error, HasSubstr(type.name));
}

TEST(RegistryTest, SourceMustComeFirst) {
  EXPECT_THAT(Error(Job({R"({"type": "json-parse"})", R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[0].type: expected a source first"));
}

TEST(RegistryTest, SourceMayOnlyComeFirst) {
  EXPECT_THAT(Error(Job({kSource, R"({"name": "s2", "type": "socket-source", "hostname": "h",
                                      "port": 1})",
                         R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[1].type: a source may only come first"));
}

TEST(RegistryTest, SinkMustComeLast) {
  EXPECT_THAT(Error(Job({kSource, R"({"type": "json-parse"})"})),
              HasSubstr("job file: pipeline[1].type: expected a sink last"));
  EXPECT_THAT(Error(Job({kSource})), HasSubstr("job file: pipeline[0].type: expected a sink last"));
}

TEST(RegistryTest, SinkMayOnlyComeLast) {
  EXPECT_THAT(Error(Job({kSource, R"({"type": "print-sink"})", R"({"type": "discard-sink"})"})),
              HasSubstr("job file: pipeline[1].type: a sink may only come last"));
}

TEST(RegistryTest, OnlyLinearChainsAreAccepted) {
  EXPECT_THAT(Error(Job({kSource, R"({"type": "json-parse"})",
                         R"({"type": "discard-sink", "inputs": ["socket-source"]})"})),
              HasSubstr("job file: pipeline[2].inputs: this version runs linear chains"));
  EXPECT_THAT(
      Error(Job({kSource, R"({"type": "json-parse"})",
                 R"({"type": "discard-sink", "inputs": ["socket-source", "json-parse"]})"})),
      HasSubstr("job file: pipeline[2].inputs:"));
}

TEST(RegistryTest, MapNeedsJsonParseBeforeIt) {
  EXPECT_THAT(
      Error(Job({kSource, R"({"type": "windows-event-map"})", R"({"type": "print-sink"})"})),
      HasSubstr("job file: pipeline[1].type: windows-event-map expects validated JSON; "
                "put a json-parse (or a select) before it"));
  EXPECT_TRUE(ValidateJob(Job({kSource, R"({"type": "json-parse"})",
                               R"({"type": "windows-event-map"})", R"({"type": "print-sink"})"}))
                  .ok());
}

TEST(RegistryTest, FilterNeedsJsonParseBeforeIt) {
  EXPECT_THAT(Error(Job({kSource, R"({"type": "filter", "field": "level", "in": ["Error"]})",
                         R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[1].type: filter expects validated JSON"));
}

constexpr char kKafkaSource[] =
    R"({"type": "kafka-source", "topic": "in", "kafka-bootstrap-servers": "k:9092"})";

TEST(RegistryTest, ForwardChainRunsInParallel) {
  EXPECT_TRUE(ValidateJob(Job({kKafkaSource, R"({"type": "json-parse"})",
                               R"({"type": "windows-event-map"})", R"({"type": "print-sink"})"},
                              {}, R"("parallelism": 4, )"))
                  .ok());
  EXPECT_TRUE(ValidateJob(Job({kKafkaSource, R"({"type": "print-sink", "parallelism": 4})"}, {},
                              R"("parallelism": 4, )"))
                  .ok());
}

TEST(RegistryTest, ParallelSocketSourceIsRefusedNamingTheField) {
  EXPECT_THAT(
      Error(Job({SourceWith(R"("hostname": "h", "port": 1, "parallelism": 3)"),
                 R"({"type": "print-sink"})"})),
      HasSubstr("job file: pipeline[0].parallelism: expected 1 for a socket-source, got 3"));
  // Unless told otherwise it runs once and feeds the parallel operators after it.
  EXPECT_TRUE(
      ValidateJob(Job({kSource, R"({"type": "print-sink"})"}, {}, R"("parallelism": 2, )")).ok());
}

TEST(RegistryTest, OperatorsMayRunAtOtherParallelisms) {
  EXPECT_TRUE(ValidateJob(Job({kKafkaSource, R"({"type": "print-sink", "parallelism": 2})"}, {},
                              R"("parallelism": 3, )"))
                  .ok());
  EXPECT_THAT(Error(Job({kKafkaSource, R"({"type": "print-sink", "parallelism": 2,
                                          "partitioning": "forward"})"},
                        {}, R"("parallelism": 3, )")),
              HasSubstr("job file: pipeline[1].partitioning: forward needs the same parallelism "
                        "on both sides (3 before it, 2 here)"));
  EXPECT_THAT(Error(Job({kKafkaSource, R"({"type": "print-sink", "partitioning": "shuffle"})"})),
              HasSubstr("job file: pipeline[1].partitioning: expected \"forward\""));
}

TEST(RegistryTest, KeyedStateRunsInParallelBehindAHashExchange) {
  EXPECT_TRUE(ValidateJob(Job({kKafkaSource, R"({"type": "json-parse"})",
                               R"({"type": "keyed-count", "key-fields": ["computer"]})",
                               R"({"type": "print-sink"})"},
                              {}, R"("parallelism": 2, )"))
                  .ok());
}

TEST(RegistryTest, PortOutOfRangeNamesTheField) {
  EXPECT_EQ(
      Error(Job({SourceWith(R"("hostname": "h", "port": 99999)"), R"({"type": "print-sink"})"})),
      "job file: pipeline[0].port: expected an integer from 1 to 65535, got '99999'");
  EXPECT_THAT(
      Error(Job({SourceWith(R"("hostname": "h", "port": 0)"), R"({"type": "print-sink"})"})),
      HasSubstr("job file: pipeline[0].port:"));
  EXPECT_THAT(
      Error(Job({SourceWith(R"("hostname": "h", "port": "http")"), R"({"type": "print-sink"})"})),
      HasSubstr("job file: pipeline[0].port: expected an integer from 1 to 65535, got 'http'"));
}

TEST(RegistryTest, PortGivenAtSubmitIsCheckedToo) {
  JobSpec job =
      Job({SourceWith(R"("hostname": "h", "port": "${port}")"), R"({"type": "print-sink"})"},
          {{"port", "70000"}});
  EXPECT_THAT(Error(job), HasSubstr("job file: pipeline[0].port:"));
}

TEST(RegistryTest, MissingHostnameNamesTheField) {
  EXPECT_THAT(Error(Job({SourceWith(R"("port": 1)"), R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[0].hostname: missing"));
}

TEST(RegistryTest, SourceSettingsMayComeFromJobParameters) {
  JobSpec job = Job({R"({"type": "socket-source"})", R"({"type": "print-sink"})"},
                    {{"hostname", "h"}, {"port", "1234"}});
  EXPECT_TRUE(ValidateJob(job).ok());
}

TEST(RegistryTest, BackoffsMustBePositiveAndOrdered) {
  EXPECT_THAT(Error(Job({SourceWith(R"("hostname": "h", "port": 1, "initial-backoff": "2s",
                                       "max-backoff": "1s")"),
                         R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[0].max-backoff:"));
  EXPECT_THAT(Error(Job({SourceWith(R"("hostname": "h", "port": 1, "initial-backoff": "0")"),
                         R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[0].max-backoff:"));
  EXPECT_THAT(Error(Job({SourceWith(R"("hostname": "h", "port": 1, "initial-backoff": "x")"),
                         R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[0].initial-backoff: 'x' is not a duration"));
}

TEST(RegistryTest, ResumeMustBeTrueOrFalse) {
  EXPECT_THAT(Error(Job({SourceWith(R"("hostname": "h", "port": 1, "resume": "maybe")"),
                         R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[0].resume: expected one of true|false, got 'maybe'"));
}

TEST(RegistryTest, FilterNeedsExactlyOneOfInAndNotIn) {
  const std::string parse = R"({"type": "json-parse"})";
  const std::string sink = R"({"type": "print-sink"})";
  EXPECT_THAT(Error(Job({kSource, parse, R"({"type": "filter", "field": "level"})", sink})),
              HasSubstr("job file: pipeline[2]: expected exactly one of \"in\" or \"not-in\""));
  EXPECT_THAT(
      Error(Job({kSource, parse,
                 R"({"type": "filter", "field": "level", "in": ["a"], "not-in": ["b"]})", sink})),
      HasSubstr("job file: pipeline[2]: expected exactly one of"));
}

TEST(RegistryTest, FilterListMustHoldStringsOrNumbers) {
  const std::string parse = R"({"type": "json-parse"})";
  const std::string sink = R"({"type": "print-sink"})";
  EXPECT_THAT(Error(Job({kSource, parse, R"({"type": "filter", "field": "f", "in": []})", sink})),
              HasSubstr("job file: pipeline[2].in: expected a non-empty array"));
  EXPECT_THAT(
      Error(Job({kSource, parse, R"({"type": "filter", "field": "f", "not-in": [{}]})", sink})),
      HasSubstr("job file: pipeline[2].not-in: expected strings or numbers"));
  EXPECT_TRUE(ValidateJob(Job({kSource, parse,
                               R"({"type": "filter", "field": "f", "in": ["a", 4625]})", sink}))
                  .ok());
}

TEST(RegistryTest, FilterNeedsAField) {
  EXPECT_THAT(Error(Job({kSource, R"({"type": "json-parse"})", R"({"type": "filter", "in": ["a"]})",
                         R"({"type": "print-sink"})"})),
              HasSubstr("job file: pipeline[2].field: missing"));
}

TEST(RegistryTest, KafkaSinkNeedsATopicAndBootstrapServers) {
  EXPECT_THAT(
      Error(Job({kSource, R"({"type": "kafka-sink"})"}, {{"kafka-bootstrap-servers", "b:1"}})),
      HasSubstr("job file: pipeline[1].topic: missing"));
  EXPECT_THAT(Error(Job({kSource, R"({"type": "kafka-sink", "topic": "t"})"})),
              HasSubstr("kafka-bootstrap-servers"));
  EXPECT_TRUE(ValidateJob(Job({kSource, R"({"type": "kafka-sink"})"},
                              {{"kafka-bootstrap-servers", "b:1"}, {"kafka-topic", "t"}}))
                  .ok());
}

TEST(RegistryTest, CreateChainBuildsOneOperatorPerStep) {
  auto chain = CreateChain(Job(
      {kSource, R"({"type": "json-parse"})", R"({"type": "windows-event-map"})",
       R"({"type": "filter", "field": "level", "not-in": ["x"]})", R"({"type": "discard-sink"})"}));
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 5u);
  EXPECT_NE(dynamic_cast<SourceOperator*>((*chain)[0].get()), nullptr);
}

TEST(RegistryTest, CreateChainRefusesAnInvalidJob) {
  auto chain = CreateChain(Job({kSource, R"({"type": "json-parse"})"}));
  EXPECT_FALSE(chain.ok());
}

}  // namespace
}  // namespace ec
