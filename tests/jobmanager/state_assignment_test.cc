// State assignment on restore: own entries at the same parallelism; at another, the union of
// operator state and keyed state by key-group range; keyed state refused when re-grouped.
#include "jobmanager/state_assignment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ec {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

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
  EXPECT_EQ(AssignState(data, 2, 2, 0), (std::map<std::string, std::string>{
                                            {"source#0", "a"}, {"@keyed-state/source#0", "k0"}}));
  EXPECT_EQ(AssignState(data, 2, 2, 1),
            (std::map<std::string, std::string>{
                {"source#1", "b"}, {"odd#name#1", "c"}, {"@keyed-state/source#1", "k1"}}));
}

TEST(StateAssignmentTest, UnionStateOperatorsGetEverySubtasksEntriesAtTheSameParallelism) {
  const CheckpointData data = TwoSubtasks(/*keyed=*/true);
  EXPECT_EQ(AssignState(data, 2, 2, 0, {"source"}),
            (std::map<std::string, std::string>{
                {"source#0", "a"}, {"source#1", "b"}, {"@keyed-state/source#0", "k0"}}))
      << "only the named operator's entries are unioned; keyed state stays by range";
}

TEST(StateAssignmentTest, OtherParallelismGivesEverySubtaskTheUnionOfOperatorState) {
  const CheckpointData data = TwoSubtasks(/*keyed=*/false);
  EXPECT_TRUE(CheckStateAssignable(data, JobAt(3)).ok());
  for (int subtask = 0; subtask < 3; ++subtask) {
    EXPECT_EQ(AssignState(data, 3, 3, subtask), data.state) << subtask;
  }
  EXPECT_EQ(AssignState(data, 1, 1, 0), data.state);
}

TEST(StateAssignmentTest, KeyedStateFromTwoToThreeGoesByKeyGroupRange) {
  const CheckpointData data = TwoSubtasks(/*keyed=*/true);
  EXPECT_TRUE(CheckStateAssignable(data, JobAt(3)).ok());
  // Old ranges of 128 groups: #0 [0, 63], #1 [64, 127]; new: [0, 42], [43, 85], [86, 127].
  const std::map<std::string, std::string> operator_state = {
      {"source#0", "a"}, {"source#1", "b"}, {"odd#name#1", "c"}};
  auto with = [&](std::map<std::string, std::string> keyed) {
    keyed.insert(operator_state.begin(), operator_state.end());
    return keyed;
  };
  EXPECT_EQ(AssignState(data, 3, 3, 0), with({{"@keyed-state/source#0", "k0"}}));
  EXPECT_EQ(AssignState(data, 3, 3, 1),
            with({{"@keyed-state/source#0", "k0"}, {"@keyed-state/source#1", "k1"}}));
  EXPECT_EQ(AssignState(data, 3, 3, 2), with({{"@keyed-state/source#1", "k1"}}));
}

TEST(StateAssignmentTest, KeyedStateFromThreeToOneGoesWhole) {
  CheckpointData data;
  data.parallelism = 3;
  data.state = {{"@keyed-state/count#0", "k0"},
                {"@keyed-state/count#1", "k1"},
                {"@keyed-state/count#2", "k2"},
                {"source#0", "a"}};
  EXPECT_TRUE(CheckStateAssignable(data, JobAt(1)).ok());
  EXPECT_EQ(AssignState(data, 1, 1, 0), data.state);
}

TEST(StateAssignmentTest, KeyedStateFollowsItsVertexParallelism) {
  // The job stays at 2, but the keyed vertex ran 2 subtasks and now runs 1: the old parallelism
  // of keyed state is its number of entries, not the job's.
  const CheckpointData data = TwoSubtasks(/*keyed=*/true);
  EXPECT_EQ(
      AssignState(data, 2, 1, 0),
      (std::map<std::string, std::string>{
          {"source#0", "a"}, {"@keyed-state/source#0", "k0"}, {"@keyed-state/source#1", "k1"}}));
}

TEST(StateAssignmentTest, KeyedStateMissingASubtaskIsRefused) {
  CheckpointData data = TwoSubtasks(/*keyed=*/true);
  data.state.erase("@keyed-state/source#0");
  absl::Status s = CheckStateAssignable(data, JobAt(3));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("@keyed-state/source"));
}

TEST(StateAssignmentTest, KeyedStateKeepsItsMaxParallelism) {
  for (int parallelism : {2, 3}) {
    absl::Status s = CheckStateAssignable(TwoSubtasks(/*keyed=*/true), JobAt(parallelism, 256));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("job file: max-parallelism: expected 128"));
  }
  // Without keyed state, there are no key groups to keep.
  EXPECT_TRUE(CheckStateAssignable(TwoSubtasks(/*keyed=*/false), JobAt(2, 256)).ok());
}

TEST(StateAssignmentTest, NonRestoredStateIsOfOperatorsAndChainHeadsTheJobLacks) {
  const CheckpointData data = TwoSubtasks(/*keyed=*/true);
  JobSpec job = JobAt(2);
  job.pipeline = {{.name = "source"}, {.name = "odd#name"}};
  JobGraph one_chain;
  one_chain.vertices = {{.id = 0, .operators = {0, 1}}};
  EXPECT_THAT(NonRestoredStateOperators(data, job, one_chain), IsEmpty());
  // "source" is still there, but no longer heads a chain: its chain's keyed state has no place.
  job.pipeline = {{.name = "odd#name"}, {.name = "source"}};
  EXPECT_EQ(NonRestoredStateOperators(data, job, one_chain),
            std::vector<std::string>{"@keyed-state/source"});
  job.pipeline = {{.name = "reader"}};
  JobGraph reader;
  reader.vertices = {{.id = 0, .operators = {0}}};
  EXPECT_EQ(NonRestoredStateOperators(data, job, reader),
            (std::vector<std::string>{"@keyed-state/source", "odd#name", "source"}));
}

}  // namespace
}  // namespace ec
