// EC_FAULT_POINT: parsing, refusal of unknown names, and death by SIGKILL on the Nth reach.
#include "runtime/util/fault_point.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

namespace ec {
namespace {

using ::testing::HasSubstr;

TEST(FaultPointTest, ParsesNameWithDefaultReach) {
  auto setting = ParseFaultPoint(FaultProcess::kTaskManager, "after-snapshot-before-ack");
  ASSERT_TRUE(setting.ok()) << setting.status();
  EXPECT_EQ(setting->name, "after-snapshot-before-ack");
  EXPECT_EQ(setting->reach, 1);
}

TEST(FaultPointTest, ParsesNameWithReach) {
  auto setting = ParseFaultPoint(FaultProcess::kJobManager, "after-complete-before-notify:3");
  ASSERT_TRUE(setting.ok()) << setting.status();
  EXPECT_EQ(setting->name, "after-complete-before-notify");
  EXPECT_EQ(setting->reach, 3);
}

TEST(FaultPointTest, EveryListedNameParsesForItsProcess) {
  for (FaultProcess p : {FaultProcess::kTaskManager, FaultProcess::kJobManager}) {
    for (std::string_view name : FaultPointNames(p)) {
      EXPECT_TRUE(ParseFaultPoint(p, name).ok()) << name;
    }
  }
  EXPECT_EQ(FaultPointNames(FaultProcess::kTaskManager).size(), 5u);
  EXPECT_EQ(FaultPointNames(FaultProcess::kJobManager).size(), 1u);
}

TEST(FaultPointTest, RefusesUnknownNameListingTheValidOnes) {
  auto setting = ParseFaultPoint(FaultProcess::kTaskManager, "after-lunch");
  ASSERT_FALSE(setting.ok());
  EXPECT_EQ(setting.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(setting.status().message());
  EXPECT_THAT(message, HasSubstr("EC_FAULT_POINT=after-lunch"));
  EXPECT_THAT(message, HasSubstr("unknown fault point 'after-lunch'"));
  for (std::string_view name : FaultPointNames(FaultProcess::kTaskManager)) {
    EXPECT_THAT(message, HasSubstr(std::string(name)));
  }
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(FaultPointTest, RefusesTheOtherProcessKindsName) {
  EXPECT_FALSE(ParseFaultPoint(FaultProcess::kJobManager, "after-snapshot-before-ack").ok());
  EXPECT_FALSE(ParseFaultPoint(FaultProcess::kTaskManager, "after-complete-before-notify").ok());
}

TEST(FaultPointTest, RefusesBadReach) {
  for (const char* value :
       {"during-recovery-commit:", "during-recovery-commit:0", "during-recovery-commit:-2",
        "during-recovery-commit:two", "during-recovery-commit:1:2"}) {
    auto setting = ParseFaultPoint(FaultProcess::kTaskManager, value);
    ASSERT_FALSE(setting.ok()) << value;
    EXPECT_THAT(std::string(setting.status().message()), HasSubstr("bad count")) << value;
  }
}

TEST(FaultPointTest, InitReadsTheEnvironment) {
  setenv("EC_FAULT_POINT", "nonsense", 1);
  absl::Status s = InitFaultPoints(FaultProcess::kTaskManager);
  unsetenv("EC_FAULT_POINT");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("EC_FAULT_POINT"));
  EXPECT_TRUE(InitFaultPoints(FaultProcess::kTaskManager).ok());  // unset: nothing armed
  setenv("EC_FAULT_POINT", "", 1);
  EXPECT_TRUE(InitFaultPoints(FaultProcess::kTaskManager).ok());  // empty: nothing armed
  unsetenv("EC_FAULT_POINT");
}

TEST(FaultPointTest, UnarmedReachDoesNothing) {
  for (int i = 0; i < 5; ++i) ReachFaultPoint("between-subtask-commits");
  SUCCEED();
}

// Death tests fork: arming happens in the child, the parent stays unarmed.
TEST(FaultPointDeathTest, FirstReachKillsBySigkill) {
  EXPECT_EXIT(
      {
        ArmFaultPoint({"during-lingering-abort", 1});
        ReachFaultPoint("during-lingering-abort");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "");
}

TEST(FaultPointDeathTest, NthReachKillsAndEarlierOnesDoNot) {
  // The child writes how many reaches it survived to stderr before each next one.
  EXPECT_EXIT(
      {
        ArmFaultPoint({"after-snapshot-before-ack", 3});
        ReachFaultPoint("after-snapshot-before-ack");
        ReachFaultPoint("after-complete-before-commit");  // another point: not counted
        fprintf(stderr, "survived 1\n");
        ReachFaultPoint("after-snapshot-before-ack");
        fprintf(stderr, "survived 2\n");
        ReachFaultPoint("after-snapshot-before-ack");
        fprintf(stderr, "survived 3\n");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL),
      "survived 2\nfault point after-snapshot-before-ack reached \\(3\\)");
}

TEST(FaultPointDeathTest, ReachBeforeTheNthReturns) {
  EXPECT_EXIT(
      {
        ArmFaultPoint({"after-snapshot-before-ack", 2});
        ReachFaultPoint("after-snapshot-before-ack");
        std::exit(7);
      },
      ::testing::ExitedWithCode(7), "");
}

}  // namespace
}  // namespace ec
