// Status conversions at the RPC boundary.
#include "runtime/status.h"

namespace ec {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

proto::TaskFailure ToTaskFailure(const absl::Status& status) {
  proto::TaskFailure failure;
  failure.set_message(std::string(status.message()));
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kFailedPrecondition:
      failure.set_domain(proto::USER);
      failure.set_retryable(false);
      break;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      failure.set_domain(proto::EXTERNAL);
      failure.set_retryable(true);
      break;
    default:
      failure.set_domain(proto::INTERNAL);
      failure.set_retryable(true);
  }
  return failure;
}

}  // namespace ec
