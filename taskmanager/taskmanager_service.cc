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

}  // namespace ec
