// BuildJobGraph: where Flink-style chaining cuts a pipeline and which exchange joins the chains.
#include "runtime/job_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ec {
namespace {

using ::testing::HasSubstr;

JobSpec Spec(const std::string& pipeline, const std::string& settings = "") {
  auto spec = ParseJobSpec(R"({"name": "g", )" + settings + R"("pipeline": [)" + pipeline + "]}");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *std::move(spec) : JobSpec{};
}

// Traits as the registry declares them for the types these tests use: runtime compares no type
// names, the lookup does.
OperatorTraits TestTraits(const std::string& type) {
  OperatorTraits traits;
  if (type == "socket-source") traits.non_parallel = true;
  if (type == "keyed-count") {
    traits.key_fields_field = "key-fields";
    traits.default_key_fields = {"source", "level"};
  }
  return traits;
}

absl::StatusOr<JobGraph> Build(const JobSpec& job) { return BuildJobGraph(job, TestTraits); }

constexpr char kKafka[] = R"({"name": "src", "type": "kafka-source"},)";
constexpr char kSocket[] = R"({"name": "src", "type": "socket-source"},)";
constexpr char kParse[] = R"({"name": "parse", "type": "json-parse"},)";
constexpr char kSink[] = R"({"name": "sink", "type": "kafka-sink"})";

TEST(JobGraphTest, ForwardOperatorsAtOneParallelismAreOneChain) {
  auto graph = Build(Spec(std::string(kKafka) + kParse + kSink, R"("parallelism": 3, )"));
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->vertices.size(), 1u);
  EXPECT_EQ(graph->vertices[0].operators, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(graph->vertices[0].parallelism, 3);
  EXPECT_EQ(graph->vertices[0].name, "src -> parse -> sink");
  EXPECT_EQ(graph->max_vertex_parallelism(), 3);
}

TEST(JobGraphTest, SocketSourceRunsOnceAndFeedsTheRestRoundRobin) {
  auto graph = Build(Spec(std::string(kSocket) + kParse + kSink, R"("parallelism": 2, )"));
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->vertices.size(), 2u);
  EXPECT_EQ(graph->vertices[0].parallelism, 1);
  EXPECT_EQ(graph->vertices[1].input, proto::PARTITIONING_REBALANCE);
  EXPECT_EQ(graph->vertices[1].operators, (std::vector<int>{1, 2}));
  EXPECT_EQ(graph->vertices[1].parallelism, 2);
}

TEST(JobGraphTest, KeyedOperatorsStartAChainBehindAHashExchangeEvenAtOneParallelism) {
  auto graph = Build(Spec(std::string(kKafka) + kParse +
                          R"({"name": "w", "type": "window", "key-by": ["source", "level"]},
                                     {"name": "c", "type": "keyed-count"},)" +
                          kSink));
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->vertices.size(), 3u);
  EXPECT_EQ(graph->vertices[1].input, proto::PARTITIONING_HASH);
  EXPECT_EQ(graph->vertices[1].key_fields, (std::vector<std::string>{"source", "level"}));
  // keyed-count keys by its key-fields, ["source", "level"] by default.
  EXPECT_EQ(graph->vertices[2].input, proto::PARTITIONING_HASH);
  EXPECT_EQ(graph->vertices[2].operators, (std::vector<int>{3, 4}));
}

TEST(JobGraphTest, AskedPartitioningCutsTheChain) {
  auto graph = Build(Spec(std::string(kKafka) + R"({"name": "parse", "type": "json-parse",
                                     "partitioning": "broadcast"},)" +
                          kSink));
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->vertices.size(), 2u);
  EXPECT_EQ(graph->vertices[1].input, proto::PARTITIONING_BROADCAST);
  EXPECT_EQ(graph->vertices[1].operators, (std::vector<int>{1, 2}));
}

TEST(JobGraphTest, BadSettingsAreRefusedNamingTheField) {
  auto forward =
      Build(Spec(std::string(kKafka) + R"({"type": "kafka-sink", "partitioning": "forward",
                                     "parallelism": 2})"));
  EXPECT_THAT(std::string(forward.status().message()),
              HasSubstr("job file: pipeline[1].partitioning: forward needs the same parallelism"));
  auto key = Build(Spec(std::string(kKafka) + R"({"type": "kafka-sink", "key-by": []})"));
  EXPECT_THAT(std::string(key.status().message()),
              HasSubstr("job file: pipeline[1].key-by: expected a non-empty array"));
  auto both = Build(Spec(std::string(kKafka) + R"({"type": "kafka-sink",
                                 "key-by": ["a"], "partitioning": "rebalance"})"));
  EXPECT_THAT(std::string(both.status().message()), HasSubstr("pipeline[1].partitioning"));
  auto wide = Build(Spec(std::string(kKafka) + R"({"type": "kafka-sink", "parallelism": 9})",
                         R"("max-parallelism": 8, )"));
  EXPECT_THAT(std::string(wide.status().message()),
              HasSubstr("pipeline[1].parallelism: expected at most max-parallelism (8), got 9"));
}

}  // namespace
}  // namespace ec
