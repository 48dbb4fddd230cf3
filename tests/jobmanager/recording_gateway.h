// RecordingGateway: a TaskManagerGateway fake for the JobManager's component tests. It records
// every call made through it and answers deploys with `deploy_result`.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "jobmanager/taskmanager_gateway.h"

namespace ec::test_support {

class RecordingGateway : public TaskManagerGateway {
 public:
  absl::Status DeployTask(const proto::DeployTaskRequest& request) override {
    deploys.push_back(request);
    return deploy_result;
  }
  absl::Status CancelTask(const proto::CancelTaskRequest& request) override {
    cancels.push_back(request);
    return absl::OkStatus();
  }
  absl::Status TriggerCheckpoint(const proto::TriggerCheckpointRequest& request) override {
    triggers.push_back(request);
    return absl::OkStatus();
  }
  absl::Status NotifyCheckpointComplete(const proto::CheckpointCompleteRequest& request) override {
    notifies.push_back(request);
    return absl::OkStatus();
  }

  absl::Status deploy_result = absl::OkStatus();
  std::vector<proto::DeployTaskRequest> deploys;
  std::vector<proto::CancelTaskRequest> cancels;
  std::vector<proto::TriggerCheckpointRequest> triggers;
  std::vector<proto::CheckpointCompleteRequest> notifies;
};

}  // namespace ec::test_support
