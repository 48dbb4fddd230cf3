// The gRPC TaskManagerGateway.
#include "jobmanager/taskmanager_gateway.h"

#include <grpcpp/grpcpp.h>

#include "proto/taskmanager.grpc.pb.h"
#include "runtime/security/rpc_methods.h"
#include "runtime/status.h"

namespace ec {
namespace {

class GrpcTaskManagerGateway : public TaskManagerGateway {
 public:
  GrpcTaskManagerGateway(const std::string& address, const GrpcGatewayOptions& options)
      : auth_(options.auth),
        stub_(proto::TaskManagerService::NewStub(grpc::CreateChannel(
            address, options.credentials ? options.credentials
                                         : grpc::InsecureChannelCredentials()))) {}

  absl::Status DeployTask(const proto::DeployTaskRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    proto::DeployTaskResponse response;
    return FromGrpcStatus(AuthenticatedCall(*auth_, ctx, kTaskManagerMethodDeployTask, [&] {
      return stub_->DeployTask(&ctx, request, &response);
    }));
  }

  absl::Status CancelTask(const proto::CancelTaskRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    proto::CancelTaskResponse response;
    return FromGrpcStatus(AuthenticatedCall(*auth_, ctx, kTaskManagerMethodCancelTask, [&] {
      return stub_->CancelTask(&ctx, request, &response);
    }));
  }

  absl::Status TriggerCheckpoint(const proto::TriggerCheckpointRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    proto::TriggerCheckpointResponse response;
    return FromGrpcStatus(AuthenticatedCall(*auth_, ctx, kTaskManagerMethodTriggerCheckpoint, [&] {
      return stub_->TriggerCheckpoint(&ctx, request, &response);
    }));
  }

  absl::Status NotifyCheckpointComplete(const proto::CheckpointCompleteRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    proto::CheckpointCompleteResponse response;
    return FromGrpcStatus(AuthenticatedCall(*auth_, ctx, kTaskManagerMethodNotifyCheckpointComplete, [&] {
      return stub_->NotifyCheckpointComplete(&ctx, request, &response);
    }));
  }

  absl::StatusOr<std::string> ReadLog(int64_t max_bytes) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    proto::ReadLogRequest request;
    request.set_max_bytes(max_bytes);
    proto::ReadLogResponse response;
    absl::Status status = FromGrpcStatus(AuthenticatedCall(*auth_, ctx, kTaskManagerMethodReadLog, [&] {
      return stub_->ReadLog(&ctx, request, &response);
    }));
    if (!status.ok()) return status;
    return std::move(*response.mutable_text());
  }

 private:
  const ClusterCallAuth* auth_;
  std::unique_ptr<proto::TaskManagerService::Stub> stub_;
};

}  // namespace

std::unique_ptr<TaskManagerGateway> NewGrpcTaskManagerGateway(const std::string& address,
                                                              const GrpcGatewayOptions& options) {
  return std::make_unique<GrpcTaskManagerGateway>(address, options);
}

}  // namespace ec
