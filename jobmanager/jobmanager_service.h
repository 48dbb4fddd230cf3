// gRPC handlers of the JobManager: JobManagerService (TaskManagers) and ClientService (ecctl).
// Thin: convert, call the Dispatcher, map the status.
#pragma once

#include "jobmanager/dispatcher.h"
#include "proto/jobmanager.grpc.pb.h"

namespace ec {

class JobManagerServiceImpl final : public proto::JobManagerService::Service {
 public:
  explicit JobManagerServiceImpl(Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

  grpc::Status RegisterTaskManager(grpc::ServerContext*,
                                   const proto::RegisterTaskManagerRequest* request,
                                   proto::RegisterTaskManagerResponse* response) override;
  grpc::Status Heartbeats(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<proto::HeartbeatAck, proto::Heartbeat>* stream) override;
  grpc::Status UpdateTaskState(grpc::ServerContext*, const proto::TaskStateUpdate* request,
                               proto::TaskStateAck*) override;
  grpc::Status AcknowledgeCheckpoint(grpc::ServerContext*, const proto::CheckpointAck* request,
                                     proto::CheckpointAckResponse*) override;

 private:
  Dispatcher* dispatcher_;
};

class ClientServiceImpl final : public proto::ClientService::Service {
 public:
  explicit ClientServiceImpl(Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

  grpc::Status SubmitJob(grpc::ServerContext*, const proto::SubmitJobRequest* request,
                         proto::SubmitJobResponse* response) override;
  grpc::Status CancelJob(grpc::ServerContext*, const proto::JobIdRequest* request,
                         proto::CancelJobResponse*) override;
  grpc::Status GetJobStatus(grpc::ServerContext*, const proto::JobIdRequest* request,
                            proto::JobStatus* response) override;
  grpc::Status ListJobs(grpc::ServerContext*, const proto::ListJobsRequest*,
                        proto::ListJobsResponse* response) override;
  grpc::Status ListTaskManagers(grpc::ServerContext*, const proto::ListTaskManagersRequest*,
                                proto::ListTaskManagersResponse* response) override;
  grpc::Status RescaleJob(grpc::ServerContext*, const proto::RescaleRequest* request,
                          proto::RescaleResponse* response) override;
  grpc::Status TriggerSavepoint(grpc::ServerContext*, const proto::SavepointRequest* request,
                                proto::SavepointResponse* response) override;

 private:
  Dispatcher* dispatcher_;
};

}  // namespace ec
