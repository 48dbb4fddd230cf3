// Filter: "in" keeps, "not-in" drops; string and number fields; records without the field.
#include "operators/transforms/filter.h"

#include <gtest/gtest.h>

#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;

const std::vector<std::string> kEvents = {
    R"({"seq":0,"level":"Error","event_id":4625})",
    R"({"seq":1,"level":"Information","event_id":4624})",
    R"({"seq":2,"event_id":1102})",
    R"({"seq":3,"level":"Critical","event_id": 4625 })",
};

TEST(FilterTest, InKeepsRecordsWhoseStringFieldIsListed) {
  Filter filter("level", {"Error", "Critical"}, /*keep_matches=*/true);
  EXPECT_EQ(OperatorHarness::Run(filter, kEvents),
            (std::vector<std::string>{kEvents[0], kEvents[3]}));
}

TEST(FilterTest, NotInDropsRecordsWhoseFieldIsListed) {
  Filter filter("level", {"Error", "Critical"}, /*keep_matches=*/false);
  EXPECT_EQ(OperatorHarness::Run(filter, kEvents),
            (std::vector<std::string>{kEvents[1], kEvents[2]}));
}

TEST(FilterTest, RecordWithoutTheFieldIsDroppedByInAndKeptByNotIn) {
  Filter in("level", {"Error"}, true);
  Filter not_in("level", {"Error"}, false);
  EXPECT_TRUE(OperatorHarness::Run(in, {kEvents[2]}).empty());
  EXPECT_EQ(OperatorHarness::Run(not_in, {kEvents[2]}), std::vector<std::string>{kEvents[2]});
}

TEST(FilterTest, NumberFieldsCompareByTheirJsonText) {
  Filter filter("event_id", {"4625"}, true);
  EXPECT_EQ(OperatorHarness::Run(filter, kEvents),
            (std::vector<std::string>{kEvents[0], kEvents[3]}));
}

TEST(FilterTest, EscapedStringsCompareByTheirValue) {
  Filter filter("user", {"CORP\\alice"}, true);
  const std::string record = R"({"user":"CORP\\alice"})";
  EXPECT_EQ(OperatorHarness::Run(filter, {record}), std::vector<std::string>{record});
}

TEST(FilterTest, ComparisonIsExact) {
  Filter filter("level", {"Error"}, true);
  EXPECT_TRUE(
      OperatorHarness::Run(filter, {R"({"level":"error"})", R"({"level":"Error "})"}).empty());
}

}  // namespace
}  // namespace ec
