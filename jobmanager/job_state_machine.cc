// Legal job state transitions.
#include "jobmanager/job_state_machine.h"

namespace ec {

bool CanTransition(proto::JobState from, proto::JobState to) {
  using namespace proto;
  switch (from) {
    case CREATED:  // RESTARTING: a deploy or a task failed before the job was RUNNING
      return to == RUNNING || to == FAILED || to == CANCELLING || to == RESTARTING;
    case RUNNING:
      return to == FINISHED || to == FAILED || to == CANCELLING || to == RESTARTING;
    case RESTARTING:
      return to == RUNNING || to == FAILED || to == CANCELLING || to == CREATED;
    case CANCELLING:
      return to == CANCELED;
    default:
      return false;  // terminal states stay
  }
}

bool IsTerminal(proto::JobState state) {
  return state == proto::FINISHED || state == proto::FAILED || state == proto::CANCELED;
}

std::string JobStateName(proto::JobState state) {
  std::string name = proto::JobState_Name(state);
  return name;
}

std::string TaskStateName(proto::TaskState state) {
  std::string name = proto::TaskState_Name(state);
  return name.substr(name.find('_') + 1);  // TASK_RUNNING -> RUNNING
}

}  // namespace ec
