// gRPC handlers of the TaskManager.
#include "taskmanager/taskmanager_service.h"

#include "runtime/status.h"

namespace ec {

grpc::Status TaskManagerServiceImpl::DeployTask(grpc::ServerContext*,
                                                const proto::DeployTaskRequest* request,
                                                proto::DeployTaskResponse*) {
  return ToGrpcStatus(executor_->Deploy(*request));
}

grpc::Status TaskManagerServiceImpl::CancelTask(grpc::ServerContext*,
                                                const proto::CancelTaskRequest* request,
                                                proto::CancelTaskResponse*) {
  return ToGrpcStatus(executor_->Cancel(*request));
}

grpc::Status TaskManagerServiceImpl::TriggerCheckpoint(
    grpc::ServerContext*, const proto::TriggerCheckpointRequest* request,
    proto::TriggerCheckpointResponse*) {
  return ToGrpcStatus(executor_->TriggerCheckpoint(*request));
}

grpc::Status TaskManagerServiceImpl::NotifyCheckpointComplete(
    grpc::ServerContext*, const proto::CheckpointCompleteRequest* request,
    proto::CheckpointCompleteResponse*) {
  return ToGrpcStatus(executor_->NotifyCheckpointComplete(*request));
}

}  // namespace ec
