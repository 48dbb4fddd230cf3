// Fuzzes the data-plane handshake from the server's side: whatever a client sends in answer to
// the challenge must be refused (it cannot know the fresh nonce's MAC), never crash or hang the
// server, and never be accepted.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "absl/time/clock.h"
#include "runtime/security/cluster_secret.h"
#include "runtime/security/handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto secret = ec::ClusterSecret::FromString("fuzzing-secret-0123456789");
  if (size > 4096) return 0;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) __builtin_trap();
  if (size > 0 && write(fds[0], data, size) != static_cast<ssize_t>(size)) __builtin_trap();
  shutdown(fds[0], SHUT_WR);  // then silence: the server must not wait for more
  const absl::Status s = ec::ServerHandshake(fds[1], *secret, absl::Now() + absl::Seconds(5));
  if (s.ok()) __builtin_trap();  // accepted without the secret
  close(fds[0]);
  close(fds[1]);
  return 0;
}
