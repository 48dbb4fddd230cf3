// TLS for the gRPC planes: credentials from --tls-cert, --tls-key and --tls-ca (PEM files).
//
// A server with a certificate serves TLS; with a CA as well it also requires and verifies the
// client's certificate (mutual TLS, how the JobManager and the TaskManagers meet). A client
// verifies the server against the CA (or the system's roots when none is given) and presents
// its own certificate when it has one.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ec {

struct TlsFiles {
  std::string cert;  // --tls-cert: this process's certificate chain
  std::string key;   // --tls-key: its private key
  std::string ca;    // --tls-ca: the CA that signs the peers' certificates

  bool server_enabled() const { return !cert.empty(); }
  // Whether calls from this process go over TLS: with a certificate, or a CA to check against.
  bool client_enabled() const { return !cert.empty() || !ca.empty(); }
};

// InvalidArgument naming the flag when only one of --tls-cert and --tls-key is given or a file
// cannot be read.
absl::Status ValidateTlsFiles(const TlsFiles& files);

// Insecure credentials when the files enable no TLS. With a CA, client certificates are verified
// against it: required when `require_client_cert` (a TaskManager: only its JobManager calls), else
// verified when presented (the JobManager's port serves TaskManagers and ecctl alike; both are
// authenticated again above TLS, by the cluster secret or a token).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const TlsFiles& files, bool require_client_cert);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const TlsFiles& files);

// Both credentials of a process from its TLS files, the files checked first
// (ValidateTlsFiles): one error naming what is wrong.
struct GrpcCredentials {
  std::shared_ptr<grpc::ServerCredentials> server;
  std::shared_ptr<grpc::ChannelCredentials> channel;
};
absl::StatusOr<GrpcCredentials> LoadGrpcCredentials(const TlsFiles& files,
                                                    bool require_client_cert);

// The whole of a small file (a PEM), or InvalidArgument "cannot read FLAG FILE".
absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path);

}  // namespace ec
