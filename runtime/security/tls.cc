// gRPC TLS credentials from PEM files.
#include "runtime/security/tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace ec {

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", flag, " ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, " is not a PEM file"));
  }
  return text.str();
}

absl::Status ValidateTlsFiles(const TlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--tls-cert", files.cert},
                                   {"--tls-key", files.key}, {"--tls-ca", files.ca}}) {
    if (path.empty()) continue;
    if (auto pem = ReadPem(flag, path); !pem.ok()) return pem.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcServerCredentials(
    const TlsFiles& files, bool require_client_cert) {
  if (!files.server_enabled()) return grpc::InsecureServerCredentials();
  auto cert = ReadPem("--tls-cert", files.cert);
  if (!cert.ok()) return cert.status();
  auto key = ReadPem("--tls-key", files.key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!files.ca.empty()) {
    auto ca = ReadPem("--tls-ca", files.ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const TlsFiles& files) {
  if (!files.client_enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  if (!files.ca.empty()) {
    auto ca = ReadPem("--tls-ca", files.ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
  }
  if (!files.cert.empty()) {
    auto cert = ReadPem("--tls-cert", files.cert);
    if (!cert.ok()) return cert.status();
    auto key = ReadPem("--tls-key", files.key);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<GrpcCredentials> LoadGrpcCredentials(const TlsFiles& files,
                                                    bool require_client_cert) {
  if (auto s = ValidateTlsFiles(files); !s.ok()) return s;
  auto server = GrpcServerCredentials(files, require_client_cert);
  if (!server.ok()) return server.status();
  auto channel = GrpcChannelCredentials(files);
  if (!channel.ok()) return channel.status();
  return GrpcCredentials{*std::move(server), *std::move(channel)};
}

}  // namespace ec
