// gRPC handlers of the TaskManager.
#include "taskmanager/taskmanager_service.h"

#include "runtime/security/rpc_methods.h"
#include "runtime/status.h"

namespace ec {

grpc::Status TaskManagerServiceImpl::DeployTask(grpc::ServerContext* ctx,
                                                const proto::DeployTaskRequest* request,
                                                proto::DeployTaskResponse*) {
  if (auto denied = auth_->Check(ctx, kTaskManagerMethodDeployTask); !denied.ok()) return denied;
  return ToGrpcStatus(executor_->Deploy(*request));
}

grpc::Status TaskManagerServiceImpl::CancelTask(grpc::ServerContext* ctx,
                                                const proto::CancelTaskRequest* request,
                                                proto::CancelTaskResponse*) {
  if (auto denied = auth_->Check(ctx, kTaskManagerMethodCancelTask); !denied.ok()) return denied;
  return ToGrpcStatus(executor_->Cancel(*request));
}

grpc::Status TaskManagerServiceImpl::TriggerCheckpoint(
    grpc::ServerContext* ctx, const proto::TriggerCheckpointRequest* request,
    proto::TriggerCheckpointResponse*) {
  if (auto denied = auth_->Check(ctx, kTaskManagerMethodTriggerCheckpoint); !denied.ok()) return denied;
  return ToGrpcStatus(executor_->TriggerCheckpoint(*request));
}

grpc::Status TaskManagerServiceImpl::NotifyCheckpointComplete(
    grpc::ServerContext* ctx, const proto::CheckpointCompleteRequest* request,
    proto::CheckpointCompleteResponse*) {
  if (auto denied = auth_->Check(ctx, kTaskManagerMethodNotifyCheckpointComplete); !denied.ok()) return denied;
  return ToGrpcStatus(executor_->NotifyCheckpointComplete(*request));
}

}  // namespace ec
