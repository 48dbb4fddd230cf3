// gRPC handlers of the TaskManager.
#include "taskmanager/taskmanager_service.h"

#include <algorithm>
#include <filesystem>

#include "runtime/logging.h"
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

grpc::Status TaskManagerServiceImpl::ReadLog(grpc::ServerContext* ctx,
                                             const proto::ReadLogRequest* request,
                                             proto::ReadLogResponse* response) {
  if (auto denied = auth_->Check(ctx, kTaskManagerMethodReadLog); !denied.ok()) return denied;
  if (log_file_.empty()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no log file");
  constexpr int64_t kMaxBytes = int64_t{1} << 20;
  const int64_t wanted = std::clamp<int64_t>(request->max_bytes(), 0, kMaxBytes);
  auto text = ReadFileTail(log_file_, static_cast<size_t>(wanted));
  if (!text.ok()) return ToGrpcStatus(text.status());
  std::error_code ec;
  response->set_file_size(static_cast<int64_t>(std::filesystem::file_size(log_file_, ec)));
  response->set_text(*std::move(text));
  return grpc::Status::OK;
}

}  // namespace ec
