// Loopback addresses, by name or number.
#include "runtime/security/listen_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace ec {

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" ||
         absl::StartsWith(host, "127.");
}

bool IsLoopbackPeer(absl::string_view escaped) {
  // gRPC gives the peer as a URI: "ipv6:%5B::1%5D:51876" (brackets percent-encoded).
  const std::string unescaped =
      absl::StrReplaceAll(escaped, {{"%5B", "["}, {"%5D", "]"}, {"%5b", "["}, {"%5d", "]"}});
  absl::string_view peer = unescaped;
  if (absl::StartsWith(peer, "unix:")) return true;
  if (absl::ConsumePrefix(&peer, "ipv4:")) return absl::StartsWith(peer, "127.");
  if (absl::ConsumePrefix(&peer, "ipv6:")) {
    return absl::StartsWith(peer, "[::1]") || absl::StartsWith(peer, "[::ffff:127.");
  }
  return false;
}

bool IsSecretParameter(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return absl::StrContains(lower, "password") || absl::StrContains(lower, "secret") ||
         absl::StrContains(lower, "token");
}

absl::Status CheckSecretsOverChannel(const std::map<std::string, std::string>& parameters,
                                     bool encrypted, bool loopback, absl::string_view peer) {
  if (encrypted || loopback) return absl::OkStatus();
  for (const auto& [name, value] : parameters) {
    if (!value.empty() && IsSecretParameter(name)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "job parameter ", name, " is a secret and this channel from ", peer,
          " is plaintext: serve TLS (--tls-cert, --tls-key on the JobManager; ecctl --tls-ca), "
          "or leave it out and set EC_KAFKA_SASL_PASSWORD on the TaskManagers"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ec
