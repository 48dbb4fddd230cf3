// The job lifecycle's transition table, checked cell by cell, and the state names.
#include "jobmanager/job_state_machine.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace ec {
namespace {

using proto::JobState;

const std::vector<JobState> kStates = {proto::CREATED,    proto::RUNNING,  proto::RESTARTING,
                                       proto::CANCELLING, proto::CANCELED, proto::FAILED,
                                       proto::FINISHED};

TEST(JobStateMachineTest, AllowsExactlyTheDocumentedTransitions) {
  const std::set<std::pair<JobState, JobState>> legal = {
      {proto::CREATED, proto::RUNNING},     {proto::CREATED, proto::FAILED},
      {proto::CREATED, proto::CANCELLING},  {proto::CREATED, proto::RESTARTING},
      {proto::RUNNING, proto::FINISHED},    {proto::RUNNING, proto::FAILED},
      {proto::RUNNING, proto::CANCELLING},  {proto::RUNNING, proto::RESTARTING},
      {proto::RESTARTING, proto::RUNNING},  {proto::RESTARTING, proto::CREATED},
      {proto::RESTARTING, proto::FAILED},   {proto::RESTARTING, proto::CANCELLING},
      {proto::CANCELLING, proto::CANCELED},
  };
  for (JobState from : kStates) {
    for (JobState to : kStates) {
      EXPECT_EQ(CanTransition(from, to), legal.count({from, to}) == 1)
          << JobStateName(from) << " -> " << JobStateName(to);
    }
  }
}

TEST(JobStateMachineTest, TerminalStatesHaveNoWayOut) {
  for (JobState from : {proto::CANCELED, proto::FAILED, proto::FINISHED}) {
    EXPECT_TRUE(IsTerminal(from));
    for (JobState to : kStates) EXPECT_FALSE(CanTransition(from, to)) << JobStateName(from);
  }
}

TEST(JobStateMachineTest, OtherStatesAreNotTerminal) {
  for (JobState state : {proto::CREATED, proto::RUNNING, proto::RESTARTING, proto::CANCELLING}) {
    EXPECT_FALSE(IsTerminal(state)) << JobStateName(state);
  }
}

TEST(JobStateMachineTest, CancellingOnlyEndsInCanceled) {
  for (JobState to : kStates) {
    EXPECT_EQ(CanTransition(proto::CANCELLING, to), to == proto::CANCELED) << JobStateName(to);
  }
}

TEST(JobStateMachineTest, NamesStates) {
  EXPECT_EQ(JobStateName(proto::RUNNING), "RUNNING");
  EXPECT_EQ(JobStateName(proto::CANCELLING), "CANCELLING");
  EXPECT_EQ(TaskStateName(proto::TASK_RUNNING), "RUNNING");
  EXPECT_EQ(TaskStateName(proto::TASK_DEPLOYING), "DEPLOYING");
  EXPECT_EQ(TaskStateName(proto::TASK_CANCELED), "CANCELED");
}

}  // namespace
}  // namespace ec
