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
proto::TaskFailure ToTaskFailure(const absl::Status& status);

}  // namespace ec
