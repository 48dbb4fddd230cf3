// gRPC handlers of the JobManager: JobManagerService (TaskManagers) and ClientService (ecctl).
// Thin: convert, call the Dispatcher, map the status.
#pragma once

#include "jobmanager/dispatcher.h"
#include "proto/jobmanager.grpc.pb.h"
#include "runtime/security/call_auth.h"
#include "runtime/security/user_tokens.h"

namespace ec {

class JobManagerServiceImpl final : public proto::JobManagerService::Service {
 public:
  // Every call must carry the proof of `auth`'s cluster secret (when it has one).
  JobManagerServiceImpl(Dispatcher* dispatcher, ClusterCallAuth* auth)
      : dispatcher_(dispatcher), auth_(auth) {}

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
  ClusterCallAuth* auth_;
};

// Every call needs `authorization: Bearer <token>` of `tokens` (null: authentication off);
// viewers read, admins also change. One audit line per state-changing call.
class ClientServiceImpl final : public proto::ClientService::Service {
 public:
  // `tls`: the port serves TLS, so secrets in job parameters may come from any host.
  ClientServiceImpl(Dispatcher* dispatcher, UserTokens* tokens, bool tls = false)
      : dispatcher_(dispatcher), tokens_(tokens), tls_(tls) {}

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
  // The caller, or the refusal: UNAUTHENTICATED (no or unknown token) or PERMISSION_DENIED.
  absl::StatusOr<User> Allow(grpc::ServerContext* ctx, bool changes_state, absl::string_view action);
  static void Audit(const User& user, absl::string_view action, absl::string_view job);

  Dispatcher* dispatcher_;
  UserTokens* tokens_;
  const bool tls_;
  RefusalLog refusals_{"client RPC"};
};

}  // namespace ec
