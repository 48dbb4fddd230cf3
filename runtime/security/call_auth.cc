// ClusterCallAuth: proofs in gRPC metadata, checked with a replay cache.
#include "runtime/security/call_auth.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace ec {
namespace {

constexpr size_t kNonceBytes = 16;

absl::string_view View(const ClusterSecret::Mac& mac) {
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

absl::string_view Metadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                          absl::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return {it->second.data(), it->second.size()};
}

}  // namespace

ClusterCallAuth::ClusterCallAuth(std::shared_ptr<const ClusterSecret> secret,
                                 absl::Duration max_skew)
    : secret_(std::move(secret)), max_skew_(max_skew) {}

std::string ClusterCallAuth::ClientProof(absl::string_view method, absl::Time now,
                                         absl::string_view nonce) const {
  const std::string ms = absl::StrCat(absl::ToUnixMillis(now));
  const std::string nonce_hex = HexEncode(nonce);
  return absl::StrCat("v1 ", ms, " ", nonce_hex, " ",
                      HexEncode(View(secret_->Sign({"ec-grpc-client", method, ms, nonce_hex}))));
}

std::string ClusterCallAuth::CalleeProof(absl::string_view method, absl::string_view nonce) const {
  return HexEncode(View(secret_->Sign({"ec-grpc-server", method, nonce})));
}

absl::Status ClusterCallAuth::VerifyClientProof(absl::string_view value, absl::string_view method,
                                                absl::Time now, std::string* nonce) {
  if (value.empty()) return absl::UnauthenticatedError("no cluster secret proof (ec-cluster-auth)");
  std::vector<absl::string_view> parts = absl::StrSplit(value, ' ');
  int64_t ms = 0;
  std::string mac;
  if (parts.size() != 4 || parts[0] != "v1" || !absl::SimpleAtoi(parts[1], &ms) ||
      parts[2].size() != 2 * kNonceBytes || !HexDecode(parts[3], &mac)) {
    return absl::UnauthenticatedError("malformed cluster secret proof");
  }
  if (!secret_->Verify(mac, {"ec-grpc-client", method, parts[1], parts[2]})) {
    return absl::UnauthenticatedError("wrong cluster secret");
  }
  const absl::Time sent = absl::FromUnixMillis(ms);
  if (sent < now - max_skew_ || sent > now + max_skew_) {
    return absl::UnauthenticatedError(
        absl::StrCat("cluster secret proof is ", absl::FormatDuration(absl::AbsDuration(now - sent)),
                     " off this clock (more than ", absl::FormatDuration(max_skew_), ")"));
  }
  absl::MutexLock lock(&mu_);
  if (seen_.size() > purge_at_) {  // amortised: a purge at most each time the cache doubles
    absl::erase_if(seen_, [&](const auto& e) { return e.second < now - 2 * max_skew_; });
    purge_at_ = std::max<size_t>(4096, 2 * seen_.size());
  }
  if (!seen_.emplace(std::string(parts[2]), sent).second) {
    return absl::UnauthenticatedError("replayed cluster secret proof");
  }
  *nonce = std::string(parts[2]);
  return absl::OkStatus();
}

std::string ClusterCallAuth::Sign(grpc::ClientContext* ctx, absl::string_view method) const {
  if (!secret_) return "";
  const std::string nonce = RandomBytes(kNonceBytes);
  ctx->AddMetadata(kClusterAuthHeader, ClientProof(method, absl::Now(), nonce));
  return HexEncode(nonce);
}

grpc::Status ClusterCallAuth::VerifyCallee(const grpc::ClientContext& ctx, absl::string_view method,
                                           const std::string& nonce) const {
  if (!secret_) return grpc::Status::OK;
  const absl::string_view proof = Metadata(ctx.GetServerInitialMetadata(), kClusterAuthServerHeader);
  if (!ConstantTimeEqual(proof, CalleeProof(method, nonce))) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("the peer of ", method,
                                     " did not prove it holds the cluster secret"));
  }
  return grpc::Status::OK;
}

grpc::Status ClusterCallAuth::Check(grpc::ServerContext* ctx, absl::string_view method) {
  if (!secret_) return grpc::Status::OK;
  std::string nonce;
  const absl::Status s = VerifyClientProof(Metadata(ctx->client_metadata(), kClusterAuthHeader),
                                           method, absl::Now(), &nonce);
  if (!s.ok()) {
    refusals_.Refused(ctx->peer(), absl::StrCat(method, ": ", s.message()));
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(s.message()));
  }
  ctx->AddInitialMetadata(kClusterAuthServerHeader, CalleeProof(method, nonce));
  return grpc::Status::OK;
}

}  // namespace ec
