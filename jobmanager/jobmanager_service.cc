// gRPC handlers of the JobManager.
#include "jobmanager/jobmanager_service.h"

#include <map>

#include "runtime/status.h"

namespace ec {

grpc::Status JobManagerServiceImpl::RegisterTaskManager(
    grpc::ServerContext*, const proto::RegisterTaskManagerRequest* request,
    proto::RegisterTaskManagerResponse* response) {
  if (request->taskmanager_id().empty() || request->slots() < 1) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "taskmanager_id and slots >= 1 required");
  }
  *response = dispatcher_->RegisterTaskManager(*request);
  return grpc::Status::OK;
}

grpc::Status JobManagerServiceImpl::Heartbeats(
    grpc::ServerContext*, grpc::ServerReaderWriter<proto::HeartbeatAck, proto::Heartbeat>* stream) {
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

grpc::Status JobManagerServiceImpl::UpdateTaskState(grpc::ServerContext*,
                                                    const proto::TaskStateUpdate* request,
                                                    proto::TaskStateAck*) {
  dispatcher_->UpdateTaskState(*request);
  return grpc::Status::OK;
}

grpc::Status JobManagerServiceImpl::AcknowledgeCheckpoint(grpc::ServerContext*,
                                                          const proto::CheckpointAck* request,
                                                          proto::CheckpointAckResponse*) {
  dispatcher_->AcknowledgeCheckpoint(*request);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::SubmitJob(grpc::ServerContext*,
                                          const proto::SubmitJobRequest* request,
                                          proto::SubmitJobResponse* response) {
  std::map<std::string, std::string> parameters(request->parameters().begin(),
                                                request->parameters().end());
  auto id = dispatcher_->SubmitJob(request->job_json(), parameters, request->from_savepoint());
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_job_id(*id);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::CancelJob(grpc::ServerContext*, const proto::JobIdRequest* request,
                                          proto::CancelJobResponse*) {
  return ToGrpcStatus(dispatcher_->CancelJob(request->job_id()));
}

grpc::Status ClientServiceImpl::GetJobStatus(grpc::ServerContext*,
                                             const proto::JobIdRequest* request,
                                             proto::JobStatus* response) {
  auto status = dispatcher_->GetJobStatus(request->job_id());
  if (!status.ok()) return ToGrpcStatus(status.status());
  *response = *std::move(status);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::ListJobs(grpc::ServerContext*, const proto::ListJobsRequest*,
                                         proto::ListJobsResponse* response) {
  for (auto& job : dispatcher_->ListJobs()) *response->add_jobs() = std::move(job);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::ListTaskManagers(grpc::ServerContext*,
                                                 const proto::ListTaskManagersRequest*,
                                                 proto::ListTaskManagersResponse* response) {
  for (auto& tm : dispatcher_->ListTaskManagers()) *response->add_taskmanagers() = std::move(tm);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::TriggerSavepoint(grpc::ServerContext*,
                                                 const proto::SavepointRequest* request,
                                                 proto::SavepointResponse* response) {
  auto path = dispatcher_->TriggerSavepoint(request->job_id(), request->path(), request->stop());
  if (!path.ok()) return ToGrpcStatus(path.status());
  response->set_path(*path);
  return grpc::Status::OK;
}

grpc::Status ClientServiceImpl::RescaleJob(grpc::ServerContext*,
                                           const proto::RescaleRequest* request,
                                           proto::RescaleResponse*) {
  return ToGrpcStatus(dispatcher_->RescaleJob(request->job_id(), request->parallelism()));
}

}  // namespace ec
