// Registration and heartbeats towards the JobManager.
#include "taskmanager/jobmanager_connection.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <thread>

#include "runtime/logging.h"
#include "runtime/security/rpc_methods.h"

namespace ec {
namespace {

constexpr absl::Duration kInitialBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(3);

std::chrono::system_clock::time_point DeadlineIn(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d);
}

}  // namespace

JobManagerConnection::JobManagerConnection(Options options, TaskExecutor* executor)
    : options_(std::move(options)), executor_(executor) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  channel_ = grpc::CreateCustomChannel(
      options_.jobmanager_address,
      options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials(), args);
  stub_ = proto::JobManagerService::NewStub(channel_);
}

JobManagerConnection::~JobManagerConnection() { Stop(); }

void JobManagerConnection::Start() {
  thread_ = std::thread([this] { Run(); });
}

void JobManagerConnection::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool JobManagerConnection::SleepUnlessStopped(absl::Duration d) {
  return !stop_.WaitForNotificationWithTimeout(d);
}

bool JobManagerConnection::Register() {
  proto::RegisterTaskManagerRequest request;
  request.set_taskmanager_id(options_.taskmanager_id);
  request.set_rpc_address(options_.rpc_address);
  request.set_slots(executor_->slots());
  request.set_data_address(options_.data_address);
  request.set_metrics_port(options_.metrics_port);
  request.set_cpu_cores(static_cast<int32_t>(std::thread::hardware_concurrency()));
  request.set_physical_memory_bytes(static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) *
                                    sysconf(_SC_PAGESIZE));
  proto::RegisterTaskManagerResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineIn(absl::Seconds(3)));
  ctx.set_wait_for_ready(true);
  grpc::Status status =
      AuthenticatedCall(*options_.auth, ctx, kJobManagerMethodRegisterTaskManager,
                        [&] { return stub_->RegisterTaskManager(&ctx, request, &response); });
  if (!status.ok()) {
    last_error_ = status.error_message();
    return false;
  }
  if (epoch_ != 0 && epoch_ != response.jobmanager_epoch()) {
    Logger("taskmanager")
        ->warn("JobManager changed (epoch {} -> {}); cancelling tasks of the old one", epoch_,
               response.jobmanager_epoch());
    executor_->CancelAll();
  }
  epoch_ = response.jobmanager_epoch();
  executor_->SetEpoch(epoch_);
  if (response.heartbeat_interval_ms() > 0) {
    heartbeat_interval_ = absl::Milliseconds(response.heartbeat_interval_ms());
  }
  Logger("taskmanager")
      ->info("registered with JobManager {} as {} (epoch {}, {} slots)",
             options_.jobmanager_address, options_.taskmanager_id, epoch_, executor_->slots());
  return true;
}

void JobManagerConnection::HeartbeatUntilBroken() {
  grpc::ClientContext ctx;
  const std::string nonce = options_.auth->Sign(&ctx, kJobManagerMethodHeartbeats);
  auto stream = stub_->Heartbeats(&ctx);
  bool verified = false;
  while (!stop_.HasBeenNotified()) {
    proto::Heartbeat heartbeat;
    heartbeat.set_taskmanager_id(options_.taskmanager_id);
    heartbeat.set_jobmanager_epoch(epoch_);
    for (auto& status : executor_->CollectStatuses()) *heartbeat.add_tasks() = std::move(status);
    proto::HeartbeatAck ack;
    if (!stream->Write(heartbeat) || !stream->Read(&ack)) break;
    if (!verified) {  // the callee's proof came with its initial metadata, before the first ack
      if (auto s = options_.auth->VerifyCallee(ctx, kJobManagerMethodHeartbeats, nonce); !s.ok()) {
        Logger("taskmanager")->error("{}", s.error_message());
        break;
      }
      verified = true;
    }
    if (ack.reregister()) break;
    if (!SleepUnlessStopped(heartbeat_interval_)) break;
  }
  ctx.TryCancel();
  stream->Finish();
}

void JobManagerConnection::Run() {
  absl::Duration backoff = kInitialBackoff;
  int attempt = 0;
  while (!stop_.HasBeenNotified()) {
    if (!Register()) {
      ++attempt;
      Logger("taskmanager")
          ->warn("cannot register with JobManager {} ({}); retry {} in {}ms",
                 options_.jobmanager_address, last_error_, attempt,
                 absl::ToInt64Milliseconds(backoff));
      if (!SleepUnlessStopped(backoff)) break;
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kInitialBackoff;
    attempt = 0;
    HeartbeatUntilBroken();
    if (!stop_.HasBeenNotified()) {
      Logger("taskmanager")
          ->warn("heartbeat stream to JobManager {} broke; registering again",
                 options_.jobmanager_address);
    }
  }
}

void JobManagerConnection::ReportTaskState(const proto::TaskStatus& status) {
  proto::TaskStateUpdate update;
  update.set_taskmanager_id(options_.taskmanager_id);
  update.set_jobmanager_epoch(epoch_);
  *update.mutable_status() = status;
  proto::TaskStateAck ack;
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineIn(absl::Seconds(2)));
  grpc::Status result =
      AuthenticatedCall(*options_.auth, ctx, kJobManagerMethodUpdateTaskState,
                        [&] { return stub_->UpdateTaskState(&ctx, update, &ack); });
  if (!result.ok()) {
    Logger("taskmanager")
        ->warn("job={} could not report task state ({}); the next heartbeat carries it",
               status.task().job_id(), result.error_message());
  }
}

void JobManagerConnection::AcknowledgeCheckpoint(proto::CheckpointAck ack) {
  ack.set_taskmanager_id(options_.taskmanager_id);
  ack.set_jobmanager_epoch(epoch_);
  proto::CheckpointAckResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(DeadlineIn(absl::Seconds(5)));
  grpc::Status result =
      AuthenticatedCall(*options_.auth, ctx, kJobManagerMethodAcknowledgeCheckpoint,
                        [&] { return stub_->AcknowledgeCheckpoint(&ctx, ack, &response); });
  if (!result.ok()) {
    Logger("taskmanager")
        ->warn("job={} ckpt={} acknowledgement not delivered ({})", ack.task().job_id(),
               ack.checkpoint_id(), result.error_message());
  }
}

}  // namespace ec
