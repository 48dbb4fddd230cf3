// Status conversions at the RPC boundary.
#include "runtime/status.h"

#include <string>

#include "absl/strings/numbers.h"

namespace ec {
namespace {
constexpr char kLostCheckpointPayload[] = "type.eventcluster/lost-checkpoint";
}  // namespace

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
  failure.set_lost_checkpoint_id(LostCheckpointOf(status));
  return failure;
}

absl::Status LostCheckpointError(int64_t checkpoint_id, std::string_view message) {
  absl::Status status = absl::DataLossError(std::string(message));
  status.SetPayload(kLostCheckpointPayload, absl::Cord(std::to_string(checkpoint_id)));
  return status;
}

int64_t LostCheckpointOf(const absl::Status& status) {
  auto payload = status.GetPayload(kLostCheckpointPayload);
  int64_t id = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &id)) return 0;
  return id;
}

}  // namespace ec
