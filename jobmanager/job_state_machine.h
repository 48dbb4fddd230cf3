// The job lifecycle: states and the only transitions allowed between them, in one place.
#pragma once

#include <string>

#include "proto/common.pb.h"

namespace ec {

//   CREATED ──► RUNNING ──► FINISHED
//      │  │        │  ▲
//      │  │        │  └──── RESTARTING ◄─┐ (a task failed and the restart strategy allows it)
//      │  │        ├───────────────────────┘   (also from CREATED: failed while deploying;
//      │  │        │                             RESTARTING goes back to CREATED to redeploy)
//      │  │        ├──► FAILED  (a task failed, a TaskManager was lost, no restart left)
//      │  └──► FAILED (no slots within slot-timeout, deployment refused)
//      └──► CANCELLING ──► CANCELED   (also from RUNNING and RESTARTING)
bool CanTransition(proto::JobState from, proto::JobState to);
bool IsTerminal(proto::JobState state);
std::string JobStateName(proto::JobState state);
std::string TaskStateName(proto::TaskState state);

}  // namespace ec
