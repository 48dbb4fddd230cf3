// --KEY VALUE job arguments, as ecctl submit and REST's programArgsList give them.
#include "runtime/util/job_arguments.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ec {
namespace {

using ::testing::HasSubstr;

TEST(JobArgumentsTest, PairsEqualsFormAndFromSavepoint) {
  auto parsed = ParseJobArguments(
      {"--hostname", "10.0.0.5", "--port=9999", "--from-savepoint", "/sp/savepoint-1"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->parameters, (std::map<std::string, std::string>{{"hostname", "10.0.0.5"},
                                                                     {"port", "9999"}}));
  EXPECT_EQ(parsed->from_savepoint, "/sp/savepoint-1");
}

TEST(JobArgumentsTest, AnythingElseIsRefusedByName) {
  EXPECT_THAT(std::string(ParseJobArguments({"hostname", "x"}).status().message()),
              HasSubstr("unexpected argument 'hostname'"));
  EXPECT_THAT(std::string(ParseJobArguments({"--port"}).status().message()),
              HasSubstr("job parameter --port needs a value"));
  EXPECT_FALSE(ParseJobArguments({"--"}).ok());
}

}  // namespace
}  // namespace ec
