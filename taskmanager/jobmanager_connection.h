// JobManagerConnection: registration with the JobManager, the heartbeat stream, task reports.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "proto/jobmanager.grpc.pb.h"
#include "runtime/security/call_auth.h"
#include "taskmanager/task_executor.h"

namespace ec {

// Registers this TaskManager, then keeps one heartbeat stream open carrying the status and
// metrics of every task. When the JobManager is unreachable or restarts, it retries with capped
// exponential backoff (a log line per step) and registers again; tasks deployed by a previous
// JobManager epoch are cancelled. Start/Stop from the main thread; ReportTaskState from any.
class JobManagerConnection {
 public:
  struct Options {
    std::string jobmanager_address;
    std::string taskmanager_id;
    std::string rpc_address;
    std::string data_address;
    int metrics_port = 0;  // 0: none
    const ClusterCallAuth* auth = nullptr;  // signs every call; required
    std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plaintext
  };

  JobManagerConnection(Options options, TaskExecutor* executor);
  ~JobManagerConnection();

  void Start();
  void Stop();
  // Sends a task's new state at once (not waiting for the next heartbeat).
  void ReportTaskState(const proto::TaskStatus& status);
  // Sends a task's checkpoint acknowledgement (or decline).
  void AcknowledgeCheckpoint(proto::CheckpointAck ack);

 private:
  void Run();
  bool Register();
  void HeartbeatUntilBroken();
  bool SleepUnlessStopped(absl::Duration d);

  Options options_;
  TaskExecutor* executor_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::JobManagerService::Stub> stub_;
  absl::Notification stop_;
  std::thread thread_;
  absl::Duration heartbeat_interval_ = absl::Milliseconds(500);
  std::atomic<int64_t> epoch_{0};
  std::string last_error_;
};

}  // namespace ec
