// The data-plane handshake: before any frame, both ends of a data connection prove they hold
// the cluster secret, mutually and without sending it.
//
//   server → client  "ECAUTH1\n" + 32-byte nonce Ns
//   client → server  32-byte nonce Nc + HMAC(secret, "ec-data-client", Ns, Nc)
//   server → client  HMAC(secret, "ec-data-server", Nc, Ns)
//
// Each side's nonce is fresh per connection, so an answer recorded from one connection is
// worthless on the next (replay), and neither side answers before the other has committed to
// its nonce. A wrong answer closes the connection before any frame is read.
#pragma once

#include "absl/strings/string_view.h"
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/security/cluster_secret.h"

namespace ec {

inline constexpr char kHandshakeMagic[] = "ECAUTH1\n";
inline constexpr size_t kHandshakeNonceBytes = 32;

// Both return Unauthenticated naming what failed (never the secret), or Unavailable/
// DeadlineExceeded for a socket that broke or stayed silent past `deadline`.
absl::Status ServerHandshake(int fd, const ClusterSecret& secret, absl::Time deadline);
absl::Status ClientHandshake(int fd, const ClusterSecret& secret, absl::Time deadline);

}  // namespace ec
