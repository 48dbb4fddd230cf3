// gRPC handlers of the JobManager.
#include "jobmanager/jobmanager_service.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "runtime/logging.h"
#include "runtime/security/listen_policy.h"
#include "runtime/security/rpc_methods.h"
#include "runtime/status.h"

namespace ec {

absl::StatusOr<User> ClientServiceImpl::Allow(grpc::ServerContext* ctx, bool changes_state,
                                              absl::string_view action) {
  absl::string_view header;
  if (auto it = ctx->client_metadata().find("authorization");
      it != ctx->client_metadata().end()) {
    header = absl::string_view(it->second.data(), it->second.size());
  }
  Access access = Authorize(tokens_, BearerToken(header), changes_state, action);
  switch (access.code) {
    case Access::kOk:
      return *access.user;
    case Access::kUnauthenticated:
      refusals_.Refused(ctx->peer(), access.reason);
      return absl::UnauthenticatedError(access.reason);
    case Access::kForbidden:
      refusals_.Refused(ctx->peer(), access.reason);
      return absl::PermissionDeniedError(access.reason);
  }
  return absl::InternalError("unreachable");
}

void ClientServiceImpl::Audit(const User& user, absl::string_view action, absl::string_view job) {
  Logger("audit")->info("user={} role={} action=\"{}\" job={}", user.name, RoleName(user.role),
                        action, job.empty() ? "-" : job);
}

grpc::Status JobManagerServiceImpl::RegisterTaskManager(
    grpc::ServerContext* ctx, const proto::RegisterTaskManagerRequest* request,
    proto::RegisterTaskManagerResponse* response) {
  if (auto denied = auth_->Check(ctx, kJobManagerMethodRegisterTaskManager); !denied.ok()) {
    return denied;
  }
  if (request->taskmanager_id().empty() || request->slots() < 1) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "taskmanager_id and slots >= 1 required");
  }
  *response = dispatcher_->RegisterTaskManager(*request);
  return grpc::Status::OK;
}

grpc::Status JobManagerServiceImpl::Heartbeats(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<proto::HeartbeatAck, proto::Heartbeat>* stream) {
  if (auto denied = auth_->Check(ctx, kJobManagerMethodHeartbeats); !denied.ok()) return denied;
  proto::Heartbeat heartbeat;
  std::string taskmanager_id;
  int64_t session = 0;
  while (stream->Read(&heartbeat)) {
    taskmanager_id = heartbeat.taskmanager_id();
    proto::HeartbeatAck ack;
    ack.set_reregister(!dispatcher_->OnHeartbeat(heartbeat, &session));
    if (!stream->Write(ack) || ack.reregister()) break;
  }
  // The stream ended: the TaskManager died or lost us. Noticed now, not at the heartbeat timeout.
  if (!taskmanager_id.empty() && session != 0) {
    dispatcher_->OnHeartbeatStreamClosed(taskmanager_id, session);
  }
  return grpc::Status::OK;
}

grpc::Status JobManagerServiceImpl::UpdateTaskState(grpc::ServerContext* ctx,
                                                    const proto::TaskStateUpdate* request,
                                                    proto::TaskStateAck*) {
  if (auto denied = auth_->Check(ctx, kJobManagerMethodUpdateTaskState); !denied.ok()) {
    return denied;
  }
  dispatcher_->UpdateTaskState(*request);
  return grpc::Status::OK;
}

grpc::Status JobManagerServiceImpl::AcknowledgeCheckpoint(grpc::ServerContext* ctx,
                                                          const proto::CheckpointAck* request,
                                                          proto::CheckpointAckResponse*) {
  if (auto denied = auth_->Check(ctx, kJobManagerMethodAcknowledgeCheckpoint); !denied.ok()) {
    return denied;
  }
  dispatcher_->AcknowledgeCheckpoint(*request);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::SubmitJob(grpc::ServerContext* ctx,
                                          const proto::SubmitJobRequest* request,
                                          proto::SubmitJobResponse* response) {
  auto user = Allow(ctx, true, "submit");
  if (!user.ok()) return ToGrpcStatus(user.status());
  std::map<std::string, std::string> parameters(request->parameters().begin(),
                                                request->parameters().end());
  // A secret must not have crossed a network in the clear to get here.
  if (auto s = CheckSecretsOverChannel(parameters, tls_, IsLoopbackPeer(ctx->peer()), ctx->peer());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto id = dispatcher_->SubmitJob(request->job_json(), parameters, request->from_savepoint());
  if (!id.ok()) return ToGrpcStatus(id.status());
  Audit(*user, "submit", *id);
  response->set_job_id(*id);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::CancelJob(grpc::ServerContext* ctx,
                                          const proto::JobIdRequest* request,
                                          proto::CancelJobResponse*) {
  auto user = Allow(ctx, true, "cancel");
  if (!user.ok()) return ToGrpcStatus(user.status());
  Audit(*user, "cancel", request->job_id());
  return ToGrpcStatus(dispatcher_->CancelJob(request->job_id()));
}

grpc::Status ClientServiceImpl::GetJobStatus(grpc::ServerContext* ctx,
                                             const proto::JobIdRequest* request,
                                             proto::JobStatus* response) {
  if (auto user = Allow(ctx, false, "read"); !user.ok()) return ToGrpcStatus(user.status());
  auto status = dispatcher_->GetJobStatus(request->job_id());
  if (!status.ok()) return ToGrpcStatus(status.status());
  *response = *std::move(status);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::ListJobs(grpc::ServerContext* ctx, const proto::ListJobsRequest*,
                                         proto::ListJobsResponse* response) {
  if (auto user = Allow(ctx, false, "read"); !user.ok()) return ToGrpcStatus(user.status());
  for (auto& job : dispatcher_->ListJobs()) *response->add_jobs() = std::move(job);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::ListTaskManagers(grpc::ServerContext* ctx,
                                                 const proto::ListTaskManagersRequest*,
                                                 proto::ListTaskManagersResponse* response) {
  if (auto user = Allow(ctx, false, "read"); !user.ok()) return ToGrpcStatus(user.status());
  for (auto& tm : dispatcher_->ListTaskManagers()) *response->add_taskmanagers() = std::move(tm);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::TriggerSavepoint(grpc::ServerContext* ctx,
                                                 const proto::SavepointRequest* request,
                                                 proto::SavepointResponse* response) {
  const char* action = request->stop() ? "stop" : "savepoint";
  auto user = Allow(ctx, true, action);
  if (!user.ok()) return ToGrpcStatus(user.status());
  Audit(*user, action, request->job_id());
  auto path = dispatcher_->TriggerSavepoint(request->job_id(), request->path(), request->stop());
  if (!path.ok()) return ToGrpcStatus(path.status());
  response->set_path(*path);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::RescaleJob(grpc::ServerContext* ctx,
                                           const proto::RescaleRequest* request,
                                           proto::RescaleResponse*) {
  auto user = Allow(ctx, true, "rescale");
  if (!user.ok()) return ToGrpcStatus(user.status());
  Audit(*user, absl::StrCat("rescale to ", request->parallelism()), request->job_id());
  return ToGrpcStatus(dispatcher_->RescaleJob(request->job_id(), request->parallelism()));
}

}  // namespace ec
