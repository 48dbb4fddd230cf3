// The gRPC methods whose calls carry the cluster secret's proof (call_auth.h): caller and callee
// sign and check the same name, gRPC's full method path.
#pragma once

namespace ec {

inline constexpr char kTaskManagerMethodDeployTask[] = "/ec.proto.TaskManagerService/DeployTask";
inline constexpr char kTaskManagerMethodCancelTask[] = "/ec.proto.TaskManagerService/CancelTask";
inline constexpr char kTaskManagerMethodTriggerCheckpoint[] =
    "/ec.proto.TaskManagerService/TriggerCheckpoint";
inline constexpr char kTaskManagerMethodNotifyCheckpointComplete[] =
    "/ec.proto.TaskManagerService/NotifyCheckpointComplete";
inline constexpr char kTaskManagerMethodReadLog[] = "/ec.proto.TaskManagerService/ReadLog";

inline constexpr char kJobManagerMethodRegisterTaskManager[] =
    "/ec.proto.JobManagerService/RegisterTaskManager";
inline constexpr char kJobManagerMethodHeartbeats[] = "/ec.proto.JobManagerService/Heartbeats";
inline constexpr char kJobManagerMethodUpdateTaskState[] =
    "/ec.proto.JobManagerService/UpdateTaskState";
inline constexpr char kJobManagerMethodAcknowledgeCheckpoint[] =
    "/ec.proto.JobManagerService/AcknowledgeCheckpoint";

}  // namespace ec
