// Secure by default: a listener binds to every interface only when all of its callers must
// authenticate, or when the operator asked for it with --insecure; otherwise to loopback only.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ec {

inline constexpr char kAnyAddress[] = "0.0.0.0";
inline constexpr char kLoopbackAddress[] = "127.0.0.1";

inline std::string ListenHost(bool authenticated, bool insecure) {
  return authenticated || insecure ? kAnyAddress : kLoopbackAddress;
}

// Whether `host` (a name or an address, no port) is this machine's loopback.
bool IsLoopbackHost(absl::string_view host);
// Whether a gRPC peer string ("ipv4:127.0.0.1:5000", "ipv6:[::1]:5000", "unix:...") is local.
bool IsLoopbackPeer(absl::string_view peer);

// Whether a job parameter holds a secret: kafka-sasl-password and any name containing
// "password", "secret" or "token". Such values are never shown, logged or sent in the clear.
bool IsSecretParameter(absl::string_view name);

// FailedPrecondition, naming the parameter and the peer and pointing to TLS or
// EC_KAFKA_SASL_PASSWORD, when a secret parameter with a value came over a channel that is
// neither encrypted nor from this machine; OK otherwise.
absl::Status CheckSecretsOverChannel(const std::map<std::string, std::string>& parameters,
                                     bool encrypted, bool loopback, absl::string_view peer);

}  // namespace ec
