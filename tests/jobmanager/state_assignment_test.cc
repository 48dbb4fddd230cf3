// State assignment on restore: own entries at the same parallelism, the union of operator state
// at another, keyed state refused when it would be rescaled or re-grouped.
#include "jobmanager/state_assignment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ec {
namespace {

using ::testing::HasSubstr;

CheckpointData TwoSubtasks(bool keyed) {
  CheckpointData data;
  data.parallelism = 2;
  data.state = {{"source#0", "a"}, {"source#1", "b"}, {"odd#name#1", "c"}};
  if (keyed) {
    data.state["@keyed-state/source#0"] = "k0";
    data.state["@keyed-state/source#1"] = "k1";
  }
  return data;
}

JobSpec JobAt(int parallelism, int max_parallelism = 128) {
  JobSpec job;
  job.parallelism = parallelism;
  job.max_parallelism = max_parallelism;
  return job;
}

TEST(StateAssignmentTest, SameParallelismGivesEachSubtaskItsOwnEntries) {
  const CheckpointData data = TwoSubtasks(/*keyed=*/true);
  EXPECT_TRUE(CheckStateAssignable(data, JobAt(2)).ok());
  EXPECT_EQ(AssignState(data, 2, 0), (std::map<std::string, std::string>{
                                         {"source#0", "a"}, {"@keyed-state/source#0", "k0"}}));
  EXPECT_EQ(AssignState(data, 2, 1),
            (std::map<std::string, std::string>{
                {"source#1", "b"}, {"odd#name#1", "c"}, {"@keyed-state/source#1", "k1"}}));
}

TEST(StateAssignmentTest, OtherParallelismGivesEverySubtaskTheUnionOfOperatorState) {
  const CheckpointData data = TwoSubtasks(/*keyed=*/false);
  EXPECT_TRUE(CheckStateAssignable(data, JobAt(3)).ok());
  for (int subtask = 0; subtask < 3; ++subtask) {
    EXPECT_EQ(AssignState(data, 3, subtask), data.state) << subtask;
  }
  EXPECT_EQ(AssignState(data, 1, 0), data.state);
}

TEST(StateAssignmentTest, KeyedStateIsNotRescaled) {
  absl::Status s = CheckStateAssignable(TwoSubtasks(/*keyed=*/true), JobAt(3));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("job file: parallelism: expected 2"));
}

TEST(StateAssignmentTest, KeyedStateKeepsItsMaxParallelism) {
  absl::Status s = CheckStateAssignable(TwoSubtasks(/*keyed=*/true), JobAt(2, 256));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("job file: max-parallelism: expected 128"));
  // Without keyed state, there are no key groups to keep.
  EXPECT_TRUE(CheckStateAssignable(TwoSubtasks(/*keyed=*/false), JobAt(2, 256)).ok());
}

}  // namespace
}  // namespace ec
