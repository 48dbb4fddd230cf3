// The gRPC TaskManagerGateway.
#include "jobmanager/taskmanager_gateway.h"

#include <grpcpp/grpcpp.h>

#include "proto/taskmanager.grpc.pb.h"
#include "runtime/status.h"

namespace ec {
namespace {

class GrpcTaskManagerGateway : public TaskManagerGateway {
 public:
  explicit GrpcTaskManagerGateway(const std::string& address)
      : stub_(proto::TaskManagerService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  absl::Status DeployTask(const proto::DeployTaskRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    proto::DeployTaskResponse response;
    return FromGrpcStatus(stub_->DeployTask(&ctx, request, &response));
  }

  absl::Status CancelTask(const proto::CancelTaskRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    proto::CancelTaskResponse response;
    return FromGrpcStatus(stub_->CancelTask(&ctx, request, &response));
  }

  absl::Status TriggerCheckpoint(const proto::TriggerCheckpointRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    proto::TriggerCheckpointResponse response;
    return FromGrpcStatus(stub_->TriggerCheckpoint(&ctx, request, &response));
  }

  absl::Status NotifyCheckpointComplete(const proto::CheckpointCompleteRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    proto::CheckpointCompleteResponse response;
    return FromGrpcStatus(stub_->NotifyCheckpointComplete(&ctx, request, &response));
  }

 private:
  std::unique_ptr<proto::TaskManagerService::Stub> stub_;
};

}  // namespace

std::unique_ptr<TaskManagerGateway> NewGrpcTaskManagerGateway(const std::string& address) {
  return std::make_unique<GrpcTaskManagerGateway>(address);
}

}  // namespace ec
