// TaskManagerService: the gRPC handlers the JobManager calls; thin wrappers over TaskExecutor.
#pragma once

#include <string>

#include "proto/taskmanager.grpc.pb.h"
#include "runtime/security/call_auth.h"
#include "taskmanager/task_executor.h"

namespace ec {

class TaskManagerServiceImpl final : public proto::TaskManagerService::Service {
 public:
  // Every call must carry the proof of `auth`'s cluster secret (when it has one). `log_file`
  // is what ReadLog reads ("": no log file).
  TaskManagerServiceImpl(TaskExecutor* executor, ClusterCallAuth* auth, std::string log_file = "")
      : executor_(executor), auth_(auth), log_file_(std::move(log_file)) {}

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
  // The last max_bytes (at most 1 MiB) of the log file.
  grpc::Status ReadLog(grpc::ServerContext*, const proto::ReadLogRequest* request,
                       proto::ReadLogResponse* response) override;

 private:
  TaskExecutor* executor_;
  ClusterCallAuth* auth_;
  const std::string log_file_;
};

}  // namespace ec
