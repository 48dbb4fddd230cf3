// ClusterCallAuth: the cluster secret on gRPC calls between the JobManager and TaskManagers.
//
// The caller adds metadata `ec-cluster-auth: v1 <unix ms> <nonce hex> <mac hex>` with
// mac = HMAC(secret, "ec-grpc-client", method, ms, nonce), a fresh 16-byte nonce per call. The
// callee refuses a missing, wrong, stale (more than `max_skew` off its clock) or replayed proof
// (it remembers the nonces it accepted for 2 × max_skew) with UNAUTHENTICATED, and otherwise
// answers with initial metadata `ec-cluster-auth-server: HMAC(secret, "ec-grpc-server", method,
// nonce)`, which the caller checks: a callee that does not hold the secret cannot fake it. The
// secret never crosses the wire; over a plaintext channel the proof authenticates the call, not
// its body (TLS, --tls-*, protects that).
//
// Without a secret both sides do nothing: the listeners are then bound to loopback (see
// runtime/security/listen_policy.h). Thread-safe.
#pragma once

#include "absl/strings/string_view.h"
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/security/cluster_secret.h"

namespace ec {

inline constexpr char kClusterAuthHeader[] = "ec-cluster-auth";
inline constexpr char kClusterAuthServerHeader[] = "ec-cluster-auth-server";

class ClusterCallAuth {
 public:
  explicit ClusterCallAuth(std::shared_ptr<const ClusterSecret> secret,
                           absl::Duration max_skew = absl::Minutes(5));

  bool enabled() const { return secret_ != nullptr; }

  // Caller side. Adds the proof for `method` to `ctx` and returns its nonce ("" when disabled).
  std::string Sign(grpc::ClientContext* ctx, absl::string_view method) const;
  // After the call (a stream: after its initial metadata arrived): OK, or UNAUTHENTICATED when
  // the callee did not prove it holds the secret.
  grpc::Status VerifyCallee(const grpc::ClientContext& ctx, absl::string_view method,
                            const std::string& nonce) const;

  // Callee side: OK (and the callee's proof added to ctx's initial metadata) or UNAUTHENTICATED;
  // refusals are logged with the peer, rate-limited.
  grpc::Status Check(grpc::ServerContext* ctx, absl::string_view method);

  // The parts above, without gRPC, for tests.
  std::string ClientProof(absl::string_view method, absl::Time now, absl::string_view nonce) const;
  absl::Status VerifyClientProof(absl::string_view value, absl::string_view method, absl::Time now,
                                 std::string* nonce);
  std::string CalleeProof(absl::string_view method, absl::string_view nonce) const;

 private:
  const std::shared_ptr<const ClusterSecret> secret_;
  const absl::Duration max_skew_;
  RefusalLog refusals_{"cluster RPC"};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> seen_ ABSL_GUARDED_BY(mu_);  // nonce → when
  size_t purge_at_ ABSL_GUARDED_BY(mu_) = 4096;
};

// Signs `ctx` for `method`, makes the unary call `call()` and checks the callee's proof.
template <typename Call>
grpc::Status AuthenticatedCall(const ClusterCallAuth& auth, grpc::ClientContext& ctx,
                               absl::string_view method, Call call) {
  const std::string nonce = auth.Sign(&ctx, method);
  grpc::Status status = call();
  if (!status.ok()) return status;
  return auth.VerifyCallee(ctx, method, nonce);
}

}  // namespace ec
