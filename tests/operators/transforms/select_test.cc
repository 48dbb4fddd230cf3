// Select: fields in their order and names, WHERE keeps only TRUE, non-JSON is a dead letter;
// the job file's fields are checked at submit with the field named.
#include "operators/transforms/select.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operators/registry.h"
#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using ::testing::HasSubstr;
using test_support::OperatorHarness;

std::string Job(const std::string& select) {
  return R"({"name": "t", "pipeline": [{"type": "socket-source", "hostname": "h", "port": 1},)" +
         select + R"(, {"type": "discard-sink"}]})";
}

std::vector<std::string> RunSelect(const std::string& select, const std::vector<std::string>& in,
                             uint64_t* dead_letters = nullptr) {
  OperatorHarness harness(Job(select), 1);
  auto op = CreateSelect(harness.spec(), harness.spec().pipeline[1]);
  EXPECT_TRUE(op->Open(harness.context()).ok());
  auto out = OperatorHarness::Run(*op, in);
  if (dead_letters) *dead_letters = harness.counters().dead_letter();
  return out;
}

const std::vector<std::string> kEvents = {
    R"({"event_type":0,"person":{"id":1000,"name":"Ann"},"auction":null,"bid":null})",
    R"({"event_type":2,"person":null,"auction":null,"bid":{"auction":1107,"bidder":1000,)"
    R"("price":1000,"dateTime":"2015-07-15 00:00:00.001"}})",
    R"({"event_type":2,"person":null,"auction":null,"bid":{"auction":1108,"bidder":1001,)"
    R"("price":3,"dateTime":"2015-07-15 00:00:00.002"}})",
};

TEST(SelectTest, ProjectsComputedFieldsInOrderForRecordsWhereHolds) {
  EXPECT_EQ(RunSelect(R"({"type": "select", "dead-letter-topic": "none", "where": "event_type = 2",
                    "fields": ["bid.auction", "bid.bidder", "0.908 * bid.price AS price",
                               "bid.dateTime"]})",
                kEvents),
            (std::vector<std::string>{
                R"({"auction":1107,"bidder":1000,"price":908.000,)"
                R"("dateTime":"2015-07-15 00:00:00.001"})",
                R"({"auction":1108,"bidder":1001,"price":2.724,)"
                R"("dateTime":"2015-07-15 00:00:00.002"})"}));
}

TEST(SelectTest, WhereAloneFiltersRecordsUnchanged) {
  EXPECT_EQ(RunSelect(R"({"type": "select", "dead-letter-topic": "none",
                    "where": "MOD(bid.auction, 123) = 0"})", kEvents),
            std::vector<std::string>{kEvents[1]});
}

TEST(SelectTest, RecordsThatAreNotJsonObjectsAreDeadLetters) {
  uint64_t dead = 0;
  EXPECT_EQ(RunSelect(R"({"type": "select", "dead-letter-topic": "none", "fields": ["a"]})",
                {"not json", R"({"a":1})", "[1]", R"({"b":2})"}, &dead),
            (std::vector<std::string>{R"({"a":1})", R"({"a":null})"}));
  EXPECT_EQ(dead, 2u);
}

std::string Refusal(const std::string& select) {
  auto spec = ParseJobSpec(Job(select));
  if (!spec.ok()) return std::string(spec.status().message());
  return std::string(ValidateJob(*spec).message());
}

TEST(SelectTest, BadJobFilesAreRefusedNamingTheField) {
  EXPECT_THAT(Refusal(R"({"type": "select"})"),
              HasSubstr("pipeline[1]: expected \"fields\", \"where\" or both"));
  EXPECT_THAT(Refusal(R"({"type": "select", "fields": []})"),
              HasSubstr("pipeline[1].fields: expected a non-empty list"));
  EXPECT_THAT(Refusal(R"({"type": "select", "fields": ["a", "(b"]})"),
              HasSubstr("pipeline[1].fields[1]: expected ')' at 3 in '(b'"));
  EXPECT_THAT(Refusal(R"({"type": "select", "fields": ["a.x", "b.x"]})"),
              HasSubstr("pipeline[1].fields[1]: a second field named x"));
  EXPECT_THAT(Refusal(R"({"type": "select", "fields": ["a * 2"]})"),
              HasSubstr("pipeline[1].fields[0]: name the computed field"));
  EXPECT_THAT(Refusal(R"({"type": "select", "where": 3})"),
              HasSubstr("pipeline[1].where: expected a condition"));
  EXPECT_THAT(Refusal(R"({"type": "filter", "where": "a =", "field": "a"})"),
              HasSubstr("pipeline[1]: \"where\" or \"field\", not both"));
  EXPECT_THAT(Refusal(R"({"type": "filter", "where": "a ="})"),
              HasSubstr("pipeline[1].where: expected a value at 4"));
  EXPECT_EQ(Refusal(R"({"type": "filter", "where": "a = 1"})"), "");
  EXPECT_EQ(Refusal(R"({"type": "select", "fields": ["a"], "where": "a > 1"})"), "");
}

}  // namespace
}  // namespace ec
