// TaskManagerService: the gRPC handlers the JobManager calls; thin wrappers over TaskExecutor.
#pragma once

#include "proto/taskmanager.grpc.pb.h"
#include "runtime/security/call_auth.h"
#include "taskmanager/task_executor.h"

namespace ec {

class TaskManagerServiceImpl final : public proto::TaskManagerService::Service {
 public:
  // Every call must carry the proof of `auth`'s cluster secret (when it has one).
  TaskManagerServiceImpl(TaskExecutor* executor, ClusterCallAuth* auth)
      : executor_(executor), auth_(auth) {}

  grpc::Status DeployTask(grpc::ServerContext*, const proto::DeployTaskRequest* request,
                          proto::DeployTaskResponse*) override;
  grpc::Status CancelTask(grpc::ServerContext*, const proto::CancelTaskRequest* request,
                          proto::CancelTaskResponse*) override;
  grpc::Status TriggerCheckpoint(grpc::ServerContext*,
                                 const proto::TriggerCheckpointRequest* request,
                                 proto::TriggerCheckpointResponse*) override;
  grpc::Status NotifyCheckpointComplete(grpc::ServerContext*,
                                        const proto::CheckpointCompleteRequest* request,
                                        proto::CheckpointCompleteResponse*) override;

 private:
  TaskExecutor* executor_;
  ClusterCallAuth* auth_;
};

}  // namespace ec
