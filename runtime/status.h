// Conversions between absl::Status, grpc::Status and the failure domains tasks report.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "proto/common.pb.h"

namespace ec {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Classifies a task's failure: bad input or permissions are the user's and retrying won't help;
// unavailable or timed-out external systems may recover; anything else is ours.
// Also carries LostCheckpointOf(status) into the failure's lost_checkpoint_id.
proto::TaskFailure ToTaskFailure(const absl::Status& status);

// A task restoring a checkpoint found output that checkpoint depends on gone for good (an
// exactly-once sink's pre-committed transaction aborted by the broker, e.g. past its timeout
// while the job was down). `checkpoint_id` is the checkpoint whose pre-committed output was
// lost: the JobManager restores an older one (DataLoss, retryable).
absl::Status LostCheckpointError(int64_t checkpoint_id, std::string_view message);
// The checkpoint id a LostCheckpointError carries, or 0.
int64_t LostCheckpointOf(const absl::Status& status);

}  // namespace ec
