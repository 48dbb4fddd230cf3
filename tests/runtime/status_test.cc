// Status conversions: gRPC round trip and the failure domain a task reports for each code.
#include "runtime/status.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

TEST(StatusTest, GrpcRoundTripKeepsCodeAndMessage) {
  absl::Status s = absl::NotFoundError("no job with id x");
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "no job with id x");
  EXPECT_EQ(FromGrpcStatus(g), s);
}

TEST(StatusTest, LostCheckpointErrorCarriesItsCheckpointIntoTheTaskFailure) {
  absl::Status s = LostCheckpointError(42, "kafka sink 'out': transaction aborted");
  EXPECT_EQ(LostCheckpointOf(s), 42);
  proto::TaskFailure f = ToTaskFailure(s);
  EXPECT_EQ(f.lost_checkpoint_id(), 42);
  EXPECT_TRUE(f.retryable());
  EXPECT_EQ(f.message(), "kafka sink 'out': transaction aborted");
  EXPECT_EQ(ToTaskFailure(absl::DataLossError("other")).lost_checkpoint_id(), 0);
  EXPECT_EQ(LostCheckpointOf(absl::OkStatus()), 0);
}

TEST(StatusTest, OkConvertsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(StatusTest, UserErrorsAreNotRetryable) {
  for (auto code : {absl::StatusCode::kInvalidArgument, absl::StatusCode::kPermissionDenied,
                    absl::StatusCode::kUnauthenticated, absl::StatusCode::kFailedPrecondition}) {
    proto::TaskFailure f = ToTaskFailure(absl::Status(code, "bad"));
    EXPECT_EQ(f.domain(), proto::USER) << absl::StatusCodeToString(code);
    EXPECT_FALSE(f.retryable()) << absl::StatusCodeToString(code);
  }
}

TEST(StatusTest, ExternalErrorsAreRetryable) {
  for (auto code : {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
                    absl::StatusCode::kResourceExhausted, absl::StatusCode::kAborted}) {
    proto::TaskFailure f = ToTaskFailure(absl::Status(code, "down"));
    EXPECT_EQ(f.domain(), proto::EXTERNAL) << absl::StatusCodeToString(code);
    EXPECT_TRUE(f.retryable()) << absl::StatusCodeToString(code);
  }
}

TEST(StatusTest, OtherErrorsAreInternalAndRetryable) {
  for (auto code : {absl::StatusCode::kInternal, absl::StatusCode::kUnknown,
                    absl::StatusCode::kDataLoss, absl::StatusCode::kOutOfRange}) {
    proto::TaskFailure f = ToTaskFailure(absl::Status(code, "oops"));
    EXPECT_EQ(f.domain(), proto::INTERNAL) << absl::StatusCodeToString(code);
    EXPECT_TRUE(f.retryable()) << absl::StatusCodeToString(code);
  }
}

TEST(StatusTest, TaskFailureCarriesTheMessage) {
  EXPECT_EQ(ToTaskFailure(absl::UnavailableError("broker down")).message(), "broker down");
}

}  // namespace
}  // namespace ec
