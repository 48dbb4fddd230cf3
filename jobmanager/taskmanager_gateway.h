// TaskManagerGateway: how the JobManager talks to one TaskManager (a fake in tests, gRPC here).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/taskmanager.pb.h"
#include "runtime/security/call_auth.h"

namespace ec {

// Calls are blocking and thread-safe; the dispatcher makes them off its lock.
class TaskManagerGateway {
 public:
  virtual ~TaskManagerGateway() = default;
  virtual absl::Status DeployTask(const proto::DeployTaskRequest& request) = 0;
  virtual absl::Status CancelTask(const proto::CancelTaskRequest& request) = 0;
  virtual absl::Status TriggerCheckpoint(const proto::TriggerCheckpointRequest& request) {
    (void)request;
    return absl::UnimplementedError("TriggerCheckpoint");
  }
  virtual absl::Status NotifyCheckpointComplete(const proto::CheckpointCompleteRequest& request) {
    (void)request;
    return absl::UnimplementedError("NotifyCheckpointComplete");
  }
  // The last `max_bytes` of the TaskManager's log file.
  virtual absl::StatusOr<std::string> ReadLog(int64_t max_bytes) {
    (void)max_bytes;
    return absl::UnimplementedError("ReadLog");
  }
};

struct GrpcGatewayOptions {
  const ClusterCallAuth* auth = nullptr;  // signs every call; required, outlives the gateways
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plaintext
};

// Creates the gRPC gateway for a TaskManager serving at `address` (host:port).
std::unique_ptr<TaskManagerGateway> NewGrpcTaskManagerGateway(const std::string& address,
                                                              const GrpcGatewayOptions& options);

}  // namespace ec
